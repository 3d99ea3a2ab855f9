"""Running a matrix: every unfinished cell through the one run path, each stored as it ends.

Cells are run per endpoint, at most `concurrency[endpoint]` at a time (the built-in model
serves one request at a time, so it defaults to one). Time spent waiting for a slot is the
cell's queue time, kept apart from its latency, which is the model's own.

Resuming is running again: only cells not done or failed are taken, so a matrix stopped,
cancelled or killed mid-way goes on where it was, and nothing finished is sent twice. A cell is
stored the moment its checks are done, before the next await.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from workbench.core.prompt_lab.model import (
    Cell,
    CellKey,
    CellStatus,
    Dataset,
    Matrix,
    PromptVersion,
)
from workbench.core.prompt_lab.templates import TemplateProblem
from workbench.core.runs import RunRecord, RunStatus
from workbench.core.tools import calls_markdown
from workbench.services.prompt_lab.checks import cell_checks
from workbench.services.prompt_lab.requests import cell_request
from workbench.services.run_pipeline import REFUSAL_MARK, NoMessageSink, Run, RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store.prompt_lab import PromptLabQueries

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Plan:
    matrix: Matrix
    dataset: Dataset
    versions: dict[int, PromptVersion | None]
    todo: list[CellKey]  # in key order
    waiting: set[CellKey]  # the same, to look up
    by_endpoint: dict[str, list[CellKey]]
    total: int
    finished: int


DEFAULT_CONCURRENCY = 4
TELL_SLICE = 1000  # cells told of in one loop pass when many are marked at once
LOCAL_CONCURRENCY = 1

CellListener = Callable[[Cell], None]
CellsListener = Callable[[list[Cell]], None]


@dataclass(frozen=True, slots=True)
class Progress:
    finished: int  # done or failed, including those finished before this run
    total: int
    running: int

    @property
    def fraction(self) -> float:
        return self.finished / self.total if self.total else 1.0


class MatrixMissing(LookupError):
    pass


class MatrixRunner:
    def __init__(
        self,
        runs: RunService,
        matrix_id: int,
        on_cell: CellListener = lambda _cell: None,
        clock: Callable[[], float] = time.monotonic,
        on_cells: CellsListener | None = None,
    ) -> None:
        self.runs = runs
        self.store = runs.store
        self.matrix_id = matrix_id
        self.on_cell = on_cell
        # Cells marked at once (queued at the start, cancelled at the end) are told in slices
        # of TELL_SLICE when this is given: a grid takes each slice as one change.
        self.on_cells = on_cells
        self.clock = clock
        self._finished = 0
        self._total = 0
        self._running = 0
        self._waiting: set[CellKey] = set()  # queued, not yet given a slot
        self._task: asyncio.Task[None] | None = None
        self._cancelled = False
        self._runs: set[Run] = set()

    @property
    def progress(self) -> Progress:
        return Progress(self._finished, self._total, self._running)

    def limit(self, matrix: Matrix, endpoint_id: str) -> int:
        """Parallel requests to this endpoint: as the matrix says, else one for a model on this
        machine and a few for a hosted one."""
        if endpoint_id in matrix.concurrency:
            return max(1, int(matrix.concurrency[endpoint_id]))
        endpoint = self.runs.find_endpoint(endpoint_id)
        return (
            LOCAL_CONCURRENCY if endpoint is not None and endpoint.is_local else DEFAULT_CONCURRENCY
        )

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    async def run(self) -> None:
        """Runs every unfinished cell (cells waiting in a Batch API job are left to it).

        Returns once every cell has ended, or soon after `cancel()`; cancelling the caller's
        task cancels the matrix too."""
        self._task = asyncio.create_task(self._run_all())
        try:
            await self._task
        except asyncio.CancelledError:
            if not self._cancelled:  # the caller was cancelled, not the matrix
                raise

    async def _run_all(self) -> None:
        # The reads, the marking and the planning grow with the matrix (10,000 cells: about
        # 100 ms), so they run on the store's writer thread, in order with its other writes.
        plan = await self._on_writer(self._plan)
        if plan is None:
            raise MatrixMissing(f"There is no matrix {self.matrix_id}.")
        matrix, todo = plan.matrix, plan.todo
        self._total, self._finished = plan.total, plan.finished
        self._waiting = plan.waiting
        started = self.clock()
        try:
            # What they held before (a cancelled stream's run) is replaced.
            await self._tell(todo, CellStatus.QUEUED)
            await asyncio.gather(
                *(
                    self._endpoint(
                        matrix, plan.dataset, plan.versions, keys, self.limit(matrix, e), started
                    )
                    for e, keys in plan.by_endpoint.items()
                )
            )
        finally:
            # Cancelled (or failed) before their turn: still to run, on the next resume. Cells
            # given a slot were saved running (or ended), so those still queued are the rest.
            waiting = [key for key in todo if key in self._waiting]  # in key order
            self._waiting.clear()
            # Shielded: a second cancel must not leave them marked queued.
            await asyncio.shield(self._cancel_waiting(waiting))

    def _plan(self, lab: PromptLabQueries) -> _Plan | None:
        """On the writer: what to run, grouped by endpoint; the cells to run marked queued,
        in one statement."""
        matrix = lab.matrix(self.matrix_id)
        dataset = lab.matrix_dataset(self.matrix_id)
        if matrix is None or dataset is None:
            return None
        versions = {v: lab.version(v) for v in matrix.version_ids}
        states = lab.cell_states(self.matrix_id)
        lab.queue_unfinished(self.matrix_id)
        todo = [k for k, s in states if not s.finished and s is not CellStatus.BATCHED]
        by_endpoint: dict[str, list[CellKey]] = defaultdict(list)
        for key in todo:
            by_endpoint[matrix.columns[key.column].endpoint_id].append(key)
        finished = sum(1 for _k, s in states if s.finished)
        return _Plan(
            matrix, dataset, versions, todo, set(todo), dict(by_endpoint), len(states), finished
        )

    def _on_writer(self, job: Callable[[PromptLabQueries], T]) -> asyncio.Future[T]:
        return asyncio.wrap_future(self.store.writer.submit(lambda db: job(PromptLabQueries(db))))

    async def _cancel_waiting(self, waiting: list[CellKey]) -> None:
        await self._on_writer(lambda lab: lab.cancel_queued(self.matrix_id))
        await self._tell(waiting, CellStatus.CANCELLED)

    async def _tell(self, keys: list[CellKey], status: CellStatus) -> None:
        """Tells of many cells marked at once, a slice at a time with the loop let run between
        slices, so no listener holds the loop long whatever the matrix's size."""
        for start in range(0, len(keys), TELL_SLICE):
            if start:
                await asyncio.sleep(0)
            cells = [Cell(key, status) for key in keys[start : start + TELL_SLICE]]
            if self.on_cells is not None:
                self.on_cells(cells)
            else:
                for cell in cells:
                    self.on_cell(cell)

    def cancel(self) -> None:
        """Stops the matrix: running answers are stopped, waiting cells stay to run later."""
        if self._task is not None and not self._task.done() and not self._cancelled:
            self._cancelled = True
            self._task.cancel()

    def abandon(self) -> None:
        """The app is closing: answers still streaming are kept in their runs, and the cells
        stay unfinished, to rerun on the next resume."""
        for run in list(self._runs):
            run.abandon()

    async def _endpoint(
        self,
        matrix: Matrix,
        dataset: Dataset,
        versions: dict[int, PromptVersion | None],
        keys: list[CellKey],
        limit: int,
        started: float,
    ) -> None:
        slots = asyncio.Semaphore(limit)
        tasks: set[asyncio.Task[None]] = set()
        try:
            for key in keys:
                await slots.acquire()
                queue_ms = (self.clock() - started) * 1000
                self._waiting.discard(key)
                task = asyncio.create_task(
                    self._cell(matrix, dataset, versions.get(key.version_id), key, queue_ms)
                )
                tasks.add(task)
                task.add_done_callback(lambda t: (tasks.discard(t), slots.release()))
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _cell(
        self,
        matrix: Matrix,
        dataset: Dataset,
        version: PromptVersion | None,
        key: CellKey,
        queue_ms: float,
    ) -> None:
        self._running += 1
        cell = Cell(key, CellStatus.RUNNING, queue_ms=queue_ms)
        try:
            self._save(cell)
            cell = await self._answer(matrix, dataset, version, cell)
        except asyncio.CancelledError:
            self._save(replace(cell, status=CellStatus.CANCELLED))
            raise
        finally:
            self._running -= 1
        self._save(cell)

    async def _answer(
        self, matrix: Matrix, dataset: Dataset, version: PromptVersion | None, cell: Cell
    ) -> Cell:
        key = cell.key
        column = matrix.columns[key.column]
        if version is None:
            return replace(cell, status=CellStatus.FAILED, error="Its prompt version is gone.")
        if self.runs.find_endpoint(column.endpoint_id) is None:
            return replace(
                cell,
                status=CellStatus.FAILED,
                error=f"The endpoint of column “{column.title}” no longer exists.",
            )
        try:
            request = cell_request(matrix, version, dataset, key)
        except TemplateProblem as problem:
            return replace(cell, status=CellStatus.FAILED, error=str(problem))
        run = self.runs.start(
            self.runs.prepared(request), RunOrigin(None, None), sink=NoMessageSink()
        )
        self._runs.add(run)
        try:
            record = await self.runs.execute(run)
        finally:
            self._runs.discard(run)
        cell = settled_cell(cell, run, record)
        if cell.status is CellStatus.DONE and version.assertions:
            question = request.messages[-1].content
            checks = await cell_checks(self.runs, version, column, question, cell)
            cell = replace(cell, checks=checks)
        return cell

    def _save(self, cell: Cell) -> None:
        self.store.lab.save_cell(self.matrix_id, cell)
        if cell.status.finished:
            self._finished += 1
        self.on_cell(cell)


def settled_cell(cell: Cell, run: Run, record: RunRecord) -> Cell:
    """The cell as its run ended: done, failed with the error, or stopped (to run again)."""
    output = run.text + calls_markdown(run.tool_calls)
    if run.progress.refused:
        output = REFUSAL_MARK + output
    status = {
        RunStatus.COMPLETE: CellStatus.DONE,
        RunStatus.ERROR: CellStatus.FAILED,
    }.get(record.status, CellStatus.CANCELLED)
    error = ""
    if record.error is not None:
        error = record.error.title + (f": {record.error.detail}" if record.error.detail else "")
    total_s = record.timings.total_s
    return replace(
        cell,
        status=status,
        output=output,
        latency_ms=None if total_s is None else total_s * 1000,
        prompt_tokens=record.usage.prompt_tokens,
        completion_tokens=record.usage.completion_tokens,
        cost_usd=record.cost_usd,
        price_status=str(record.price_status),
        run_id=record.run_id,
        error=error,
    )
