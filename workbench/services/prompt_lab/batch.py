"""A matrix through OpenAI's Batch API: half the price, answers within 24 hours.

`submit` writes one JSONL file per model (the API takes one model per batch) with a line per
unfinished cell, uploads it through the Files API and creates the batch; the cells turn
"batched". `follow` polls each batch, reporting its status (validating, in progress with
counts, finalizing, and how it ended) through `on_progress`, and when it has ended merges the
output and error files into the cells. The batch is kept in `lab_batches` and marked ended only
once its results are stored, so `resume_batches` (called when the app starts) picks up whatever
was running or half merged when the app last stopped.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from workbench.core.endpoints import PRESETS, Endpoint, EndpointKind
from workbench.core.prompt_lab.model import (
    Cell,
    CellKey,
    CellStatus,
    Dataset,
    Matrix,
    PromptVersion,
)
from workbench.core.prompt_lab.templates import TemplateProblem
from workbench.services.prompt_lab.batch_cells import UNBATCHED_CHECKS
from workbench.services.prompt_lab.batch_lines import (
    CHAT_URL,
    MAX_LINES,
    BatchProgress,
    BatchScope,
    LineResult,
    batch_line,
    jsonl,
    progress_of,
    read_results,
)
from workbench.services.prompt_lab.batch_merge import (
    mark_batched,
    plan_merge,
    prepare,
    read_cells,
    read_unfinished,
    store_slice,
)
from workbench.services.prompt_lab.requests import cell_request

if TYPE_CHECKING:
    import openai

    from workbench.services.connector import Connector
    from workbench.services.store import Store

# Only OpenAI's own API has the Files and Batches endpoints this speaks.
BATCH_KINDS = frozenset({EndpointKind.OPENAI})
POLL_S = 15.0
COMPLETION_WINDOW = "24h"
T = TypeVar("T")
MERGE_SLICE = 200  # cells per write job while merging: other answers' writes get turns


class BatchRefused(ValueError):
    """Nothing was sent; the message says why."""


def batch_refusal(endpoint: Endpoint | None) -> str | None:
    """Why an endpoint can't run a batch, or None when it can."""
    if endpoint is None:
        return "A column's endpoint no longer exists."
    if endpoint.kind not in BATCH_KINDS:
        label = PRESETS[endpoint.kind].label
        return f"“{endpoint.name}” ({label}) has no Batch API: only OpenAI endpoints run batches."
    return None


class BatchRunner:
    """Sends, follows, cancels and resumes a store's Batch API jobs."""

    def __init__(
        self,
        store: Store,
        connector: Connector,
        *,
        on_progress: Callable[[BatchProgress], None] = lambda _p: None,
        on_cells: Callable[[int, list[Cell]], None] = lambda _m, _c: None,
        poll_s: float = POLL_S,
    ) -> None:
        self.store = store
        self.connector = connector
        self.on_progress = on_progress
        self.on_cells = on_cells  # (matrix id, cells just stored), for the grid
        self.poll_s = poll_s

    # ----- sending

    def refusal(self, matrix: Matrix) -> str | None:
        """Why this matrix can't go through the Batch API, said before anything is sent."""
        for column in matrix.columns:
            problem = batch_refusal(self.connector.endpoints.get(column.endpoint_id))
            if problem is not None:
                return problem
        for version_id in matrix.version_ids:
            version = self.store.lab.version(version_id)
            kinds = {a.kind for a in version.assertions} if version is not None else set()
            if kinds & UNBATCHED_CHECKS:
                return (
                    "A judge or a max-latency check needs each request on its own (a batch has "
                    "no per-request time, and a judge is a request of its own): run this "
                    "matrix without the Batch API."
                )
        return None

    async def submit(self, matrix_id: int) -> list[BatchProgress]:
        """One batch per (endpoint, model) for the matrix's unfinished cells not already in a
        running batch. Raises BatchRefused, or the SDK's error if the upload or creation fails
        (the cells then stay as they were)."""
        matrix = self.store.lab.matrix(matrix_id)
        if matrix is None:
            raise BatchRefused("This matrix no longer exists.")
        problem = self.refusal(matrix)
        if problem is not None:
            raise BatchRefused(problem)
        running = [_scope(row) for row in self.store.lab.batches(matrix_id, open_only=True)]
        unfinished = await self._write(lambda db: read_unfinished(db, matrix_id))
        parts = await asyncio.to_thread(_batch_parts, matrix, unfinished, running)
        if not parts:
            raise BatchRefused("Every cell has finished or is already in a running batch.")
        sent = [await self._send(matrix, keys) for keys in parts]
        if not any(sent):
            raise BatchRefused("No cell could be written: each one's template has a problem.")
        return [progress for progress in sent if progress is not None]

    async def _send(self, matrix: Matrix, keys: list[CellKey]) -> BatchProgress | None:
        """One batch; None when no cell of it could be written (they are failed, with why)."""
        assert matrix.id is not None
        column = matrix.columns[keys[0].column]
        endpoint = self.connector.endpoint(column.endpoint_id)
        dataset = self.store.lab.matrix_dataset(matrix.id)
        if dataset is None:
            raise BatchRefused("This matrix's dataset is missing.")
        versions = {v: self.store.lab.version(v) for v in {k.version_id for k in keys}}
        data, broken = await asyncio.to_thread(
            _input_file, matrix, dataset, versions, sorted(keys), endpoint.kind
        )
        if broken:
            self.store.lab.save_cells(matrix.id, broken)
            self.on_cells(matrix.id, broken)
        if not data:
            return None
        client = await self.connector.client(endpoint.id)
        name = f"workbench-matrix-{matrix.id}-{column.model}.jsonl"
        uploaded = await client.files.create(file=(name, data), purpose="batch")
        scope = BatchScope.of(keys)
        batch = await client.batches.create(
            input_file_id=uploaded.id,
            endpoint=CHAT_URL,
            completion_window=COMPLETION_WINDOW,
            metadata={"workbench_matrix": str(matrix.id), "columns": _text(scope.columns)},
        )
        progress = progress_of(matrix.id, batch)
        self._keep(progress, endpoint.id, scope, batch, ended=False)
        failed = {c.key for c in broken}
        sent = [k for k in keys if k not in failed]
        matrix_id = matrix.id
        await self._write(lambda db: mark_batched(db, matrix_id, sent))
        self.on_progress(progress)
        return progress

    # ----- following

    async def follow(self, batch_id: str) -> BatchProgress:
        """Polls until the batch has ended and its results are stored; returns how it ended.
        Raises the SDK's error if the API can't be reached (the batch stays open, to resume)."""
        row = self.store.lab.batch(batch_id)
        if row is None:
            raise LookupError(f"no batch {batch_id} in the store")
        client = await self.connector.client(row["endpoint_id"])
        while True:
            batch = await client.batches.retrieve(batch_id)
            progress = progress_of(int(row["matrix_id"]), batch)
            self._keep(progress, row["endpoint_id"], _scope(row), batch, ended=False)
            self.on_progress(progress)
            if progress.ended:
                await self._merge(client, row, batch, progress)
                self._keep(progress, row["endpoint_id"], _scope(row), batch, ended=True)
                return progress
            await asyncio.sleep(self.poll_s)

    async def cancel(self, batch_id: str) -> BatchProgress:
        """Asks the API to stop the batch; `follow` then sees it end and keeps what was done."""
        row = self.store.lab.batch(batch_id)
        if row is None:
            raise LookupError(f"no batch {batch_id} in the store")
        client = await self.connector.client(row["endpoint_id"])
        batch = await client.batches.cancel(batch_id)
        progress = progress_of(int(row["matrix_id"]), batch)
        self._keep(progress, row["endpoint_id"], _scope(row), batch, ended=False)
        self.on_progress(progress)
        return progress

    async def resume_batches(self) -> list[BatchProgress]:
        """Follows every batch the store still has open (the app calls it at start). One that
        can't be followed now is reported with the reason and stays open for next time."""
        rows = self.store.lab.batches(open_only=True)
        outcomes = await asyncio.gather(
            *(self.follow(row["id"]) for row in rows), return_exceptions=True
        )
        ended = []
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, BatchProgress):
                ended.append(outcome)
            elif isinstance(outcome, Exception):
                stalled = BatchProgress(
                    row["id"],
                    int(row["matrix_id"]),
                    str(row["status"]),
                    errors=(f"could not check on it ({outcome}); it is tried again next start",),
                )
                self.on_progress(stalled)
                ended.append(stalled)
            else:  # CancelledError and the like: stopping the app stops the follow
                raise outcome
        return ended

    def open_batches(self, matrix_id: int | None = None) -> list[str]:
        return [row["id"] for row in self.store.lab.batches(matrix_id, open_only=True)]

    # ----- results

    async def _merge(
        self, client: openai.AsyncOpenAI, row: dict[str, Any], batch: Any, progress: BatchProgress
    ) -> None:
        matrix_id = int(row["matrix_id"])
        matrix = self.store.lab.matrix(matrix_id)
        dataset = self.store.lab.matrix_dataset(matrix_id)
        if matrix is None or dataset is None:  # deleted while the batch ran
            return
        results: list[LineResult] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await client.files.content(file_id)
                results += await asyncio.to_thread(read_results, content.text)
        cells = await self._write(lambda db: read_cells(db, matrix_id))
        versions = {v: self.store.lab.version(v) for v in matrix.version_ids}
        endpoints = {c.endpoint_id: self.connector.endpoint(c.endpoint_id) for c in matrix.columns}
        scope = _scope(row)
        merged = await asyncio.to_thread(
            lambda: prepare(
                plan_merge(cells, scope, results, progress), matrix, dataset, versions, endpoints
            )
        )
        for start in range(0, len(merged), MERGE_SLICE):
            part = merged[start : start + MERGE_SLICE]
            stored = await self._write(lambda db, part=part: store_slice(db, matrix_id, part))
            self.on_cells(matrix_id, stored)

    async def _write(self, job: Callable[[Any], T]) -> T:
        """Runs a store job on the store's writer thread, not the UI's."""
        return await asyncio.wrap_future(self.store.writer.submit(job))

    def _keep(
        self,
        progress: BatchProgress,
        endpoint_id: str,
        scope: BatchScope,
        batch: Any,
        *,
        ended: bool,
    ) -> None:
        counts = {"total": progress.total, "completed": progress.completed}
        counts |= {"failed": progress.failed, "scope": scope.to_dict()}
        self.store.lab.save_batch(
            {
                "id": progress.batch_id,
                "matrix_id": progress.matrix_id,
                "endpoint_id": endpoint_id,
                "status": progress.status,
                "input_file_id": batch.input_file_id,
                "output_file_id": batch.output_file_id,
                "error_file_id": batch.error_file_id,
                "counts_json": json.dumps(counts),
                "ended": int(ended),
            }
        )


def _input_file(
    matrix: Matrix,
    dataset: Dataset,
    versions: dict[int, PromptVersion | None],
    keys: Sequence[CellKey],
    endpoint_kind: str,
) -> tuple[bytes, list[Cell]]:
    """The JSONL to upload, and the cells whose template can't be rendered (failed, not sent).
    Pure work, run off the event loop: a big matrix renders thousands of templates."""
    lines, broken = [], []
    for key in keys:
        version = versions[key.version_id]
        if version is None:
            broken.append(Cell(key, CellStatus.FAILED, error="Its prompt version is gone."))
            continue
        try:
            request = cell_request(matrix, version, dataset, key)
        except TemplateProblem as problem:
            broken.append(Cell(key, CellStatus.FAILED, error=str(problem)))
            continue
        lines.append(batch_line(key, request, endpoint_kind))
    return jsonl(lines), broken


def _batch_parts(
    matrix: Matrix, unfinished: Sequence[CellKey], running: Sequence[BatchScope]
) -> list[list[CellKey]]:
    """The cells to send, one list per batch: by endpoint and model (a batch takes one model),
    at most MAX_LINES each, leaving out cells a running batch already holds."""
    groups: dict[tuple[str, str], list[CellKey]] = defaultdict(list)
    for key in unfinished:
        column = matrix.columns[key.column]
        if not any(scope.holds(key) for scope in running):
            groups[(column.endpoint_id, column.model)].append(key)
    return [
        keys[start : start + MAX_LINES]
        for keys in groups.values()
        for start in range(0, len(keys), MAX_LINES)
    ]


def _scope(row: dict[str, Any]) -> BatchScope:
    """The cells a stored batch holds (kept beside its counts)."""
    return BatchScope.from_dict(json.loads(row.get("counts_json") or "{}")["scope"])


def _text(columns: Sequence[int]) -> str:
    return ",".join(str(c) for c in columns)
