"""Running the panel's matrix: checked, estimated (in a worker), asked about (requests and
cost, then the budget), stored, run; cancelled, resumed, opened again from the store."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox
from shiboken6 import Shiboken

from workbench.core.prompt_lab.assertions import describe
from workbench.core.prompt_lab.model import (
    Cell,
    Dataset,
    Matrix,
    ModelColumn,
    PromptVersion,
)
from workbench.core.prompt_lab.plan import plan_problems
from workbench.services.prompt_lab.estimate import MatrixEstimate, estimate_matrix_async
from workbench.services.prompt_lab.matrices import MatrixProblem, store_matrix
from workbench.services.prompt_lab.runner import MatrixRunner
from workbench.services.store.errors import StoreError
from workbench.services.store.prompt_lab import PromptLabQueries
from workbench.ui.panels.prompt_lab.grid_model import GridShape

if TYPE_CHECKING:
    from workbench.ui.panels.prompt_lab.panel import PromptLabPanel

RUN, DONT_RUN = "Run", "Don't run"
ROW_LABEL_CHARS = 40
PROGRESS_MS = 100


def describe_shape(
    matrix: Matrix, versions: list[PromptVersion], dataset: Dataset | None
) -> GridShape:
    """The grid's axes for `matrix`: versions named 'v3' (with the prompt's name when the matrix
    mixes prompts), rows by their first values, model columns by their titles."""
    names = {v.prompt_name for v in versions}
    by_id = {v.id: v for v in versions}
    labels = []
    for version_id in matrix.version_ids:
        version = by_id.get(version_id)
        if version is None:
            labels.append(f"#{version_id} (deleted)")
        else:
            labels.append(
                f"{version.prompt_name} v{version.number}"
                if len(names) > 1
                else f"v{version.number}"
            )
    rows = dataset.rows if dataset is not None else ()
    row_labels = tuple(
        f"{n + 1}. " + " · ".join(v for v in row.values() if v)[:ROW_LABEL_CHARS]
        for n, row in enumerate(rows)
    )
    return GridShape(
        version_ids=matrix.version_ids,
        version_labels=tuple(labels),
        columns=tuple(_column_title(c, matrix.columns) for c in matrix.columns),
        rows=len(rows),
        repeats=max(1, matrix.repeats),
        row_labels=row_labels,
        check_names={v.id: tuple(map(describe, v.assertions)) for v in versions if v.id},
    )


def read_shape(lab: PromptLabQueries, matrix: Matrix) -> GridShape:
    """In a worker: the grid's axes, from the matrix's versions and its dataset snapshot (a
    1,000-row dataset is JSON to decode, and row labels to make)."""
    versions = [v for v in map(lab.version, matrix.version_ids) if v is not None]
    return describe_shape(matrix, versions, lab.matrix_dataset(matrix.id or 0))


def _column_title(column: ModelColumn, columns: tuple[ModelColumn, ...]) -> str:
    """The label, else the model; with the temperature when two columns share a model."""
    if column.label:
        return column.label
    twins = [c for c in columns if c.model == column.model and not c.label]
    if len(twins) > 1 and column.params.temperature is not None:
        return f"{column.model} t={column.params.temperature:g}"
    return column.model or "(no model)"


class MatrixControl(QObject):
    def __init__(self, panel: PromptLabPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.matrix: Matrix | None = None
        self.runner: MatrixRunner | None = None
        self._task: asyncio.Task[Any] | None = None
        self.last_estimate: MatrixEstimate | None = None
        # The progress line follows cells at most every PROGRESS_MS: a matrix starting marks
        # every cell queued at once, and 10,000 progress updates in one pass would stall.
        self._progress = QTimer(self, singleShot=True, interval=PROGRESS_MS)
        self._progress.timeout.connect(panel.update_progress)

    @property
    def running(self) -> bool:
        return self._task is not None

    def _say(self, line: str) -> None:
        self.panel.status_message.emit(line)

    # --- run -----------------------------------------------------------------------------------
    def run(self) -> None:
        panel, deps = self.panel, self.panel.deps
        if self.running:
            return
        if deps.store.read_only:
            self._say(
                "Not run: this window is read-only (another Workbench uses this data folder)."
            )
            return
        if panel.prompt.dirty and panel.prompt.save() is None:
            panel.tabs.setCurrentIndex(0)
            return
        versions = panel.prompt.checked_versions()
        dataset = panel.dataset.dataset()
        if not dataset.name:
            dataset = Dataset(
                f"{panel.prompt.name.currentText().strip()} rows", dataset.columns, dataset.rows
            )
            panel.dataset.name.setCurrentText(dataset.name)
        columns = panel.models.columns()
        problems = [] if versions else ["Tick at least one version of the prompt to run."]
        problems += plan_problems(versions, dataset)
        problems += [
            f"Model column {n} has no model." for n, c in enumerate(columns, 1) if not c.model
        ]
        if problems:
            self._say("Not run: " + " ".join(problems))
            panel.progress_text.setText(problems[0])
            return
        matrix = Matrix(
            None,
            f"{versions[0].prompt_name} × {dataset.name}",
            tuple(v.id for v in versions if v.id is not None),
            dataset.name,
            columns,
            panel.models.repeats.value(),
            panel.models.concurrency(),
            via_batch=panel.batch.chosen(),
        )
        panel.progress_text.setText("Counting tokens for the estimate…")
        # Until this matrix runs, Cancel stops the estimate or the storing, not an old runner.
        self.runner = None
        self._task = deps.tasks.start(
            "Estimating the matrix", self._estimate(matrix, versions, dataset)
        )
        panel.set_busy(True)

    async def _estimate(self, matrix: Matrix, versions: list[PromptVersion], dataset: Dataset):
        deps = self.panel.deps
        try:
            estimate = await estimate_matrix_async(
                deps.runs, deps.tokens, matrix, versions, dataset
            )
        finally:
            if Shiboken.isValid(self):
                self._task = None
                self.panel.set_busy(False)
        if Shiboken.isValid(self):
            # The questions are modal: asked from a plain slot, not inside this task.
            QTimer.singleShot(
                0, self, lambda: self._ask_then_start(matrix, versions, dataset, estimate)
            )

    def _ask_then_start(
        self,
        matrix: Matrix,
        versions: list[PromptVersion],
        dataset: Dataset,
        estimate: MatrixEstimate,
    ) -> None:
        panel, deps = self.panel, self.panel.deps
        self.last_estimate = estimate
        panel.progress_text.setText("")
        if not self._confirm(estimate, matrix.via_batch):
            self._say("Not run.")
            return
        guard = deps.budget
        if guard is not None and not guard.allows(panel, lambda: [estimate.estimate], 1, self._say):
            return
        # 10,000 pending cells take longer to write than a frame: the store's writer does it.
        self._task = deps.tasks.start("Storing the matrix", self._store(matrix, versions, dataset))
        panel.set_busy(True)

    async def _store(self, matrix: Matrix, versions: list[PromptVersion], dataset: Dataset) -> None:
        store = self.panel.deps.store
        problem: Exception | None = None
        try:
            with store.failures():
                saved = await store_matrix(
                    store,
                    matrix.name,
                    versions,
                    dataset,
                    matrix.columns,
                    matrix.repeats,
                    matrix.concurrency,
                    via_batch=matrix.via_batch,
                    keep_dataset=True,
                )
        except (MatrixProblem, StoreError, ValueError) as exc:
            problem = exc
        finally:
            if Shiboken.isValid(self):
                self._task = None
                self.panel.set_busy(False)
        if not Shiboken.isValid(self):
            return
        self.panel.dataset.refresh_names()
        if problem is not None:
            self._say(f"Not run: {problem}")
            return
        if saved.via_batch:  # sent as Batch API jobs instead, and followed there
            self.panel.batch.submit(saved)
            return
        shape = await asyncio.to_thread(read_shape, store.lab, saved)
        if Shiboken.isValid(self) and not self.running:
            # No cells yet: the grid shows a cell it has not heard of as pending, and the
            # runner tells it of every cell (queued) as it starts.
            self._start(saved, [], shape)

    def _confirm(self, estimate: MatrixEstimate, via_batch: bool = False) -> bool:
        box = QMessageBox(self.panel)
        box.setObjectName("lab.run_question")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Run matrix")
        box.setText(f"Send {estimate.requests:,} requests?")
        box.setInformativeText(
            f"{estimate.prompt_tokens:,} prompt tokens in all.\n"
            f"Cost: {estimate.estimate.describe()}."
            + ("\nThrough the Batch API: half price, results within 24 h." if via_batch else "")
        )
        go = box.addButton(RUN, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(DONT_RUN, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.exec()
        return box.clickedButton() is go

    def _start(self, matrix: Matrix, cells: list[Cell], shape: GridShape) -> None:
        panel = self.panel
        self.matrix = matrix
        panel.show_matrix(matrix, cells, shape)
        self.runner = MatrixRunner(
            panel.deps.runs, matrix.id or 0, on_cell=self._on_cell, on_cells=self._on_cells
        )
        self._task = panel.deps.tasks.start("Running the matrix", self._execute(self.runner))
        panel.set_busy(True)
        panel.tabs.setCurrentWidget(panel.results)

    async def _execute(self, runner: MatrixRunner) -> None:
        try:
            await runner.run()
        finally:
            if Shiboken.isValid(self) and self.runner is runner:
                self._task = None
                panel = self.panel
                panel.set_busy(False)
                panel.regression.set_cells(panel.results.grid.grid_model.cells())
                panel.refresh_saved(runner.matrix_id)
                model = panel.results.grid.grid_model
                cells = model.rowCount() * model.columnCount()
                self._say(
                    f"Matrix #{runner.matrix_id}: {model.finished} of {cells} cells finished, "
                    f"{model.total.passed} of {model.total.judged} checked pass."
                )

    def _on_cell(self, cell: Cell) -> None:
        if Shiboken.isValid(self):
            self.panel.results.grid.grid_model.update_cell(cell)
            if not self._progress.isActive():
                self._progress.start()

    def _on_cells(self, cells: list[Cell]) -> None:
        """Many cells marked at once (queued at the start, cancelled at the end): one change."""
        if Shiboken.isValid(self):
            self.panel.results.grid.grid_model.update_cells(cells)
            if not self._progress.isActive():
                self._progress.start()

    def cancel(self) -> None:
        if self._task is None:
            return
        if self.runner is not None and self.matrix is not None:
            self.runner.cancel()
            self._say("Cancelled: finished cells are kept; Resume runs the rest.")
        else:
            self._task.cancel()
            self._say("Not run.")

    def resume(self) -> None:
        if self.running or self.matrix is None:
            return
        if self.matrix.via_batch:  # chosen to run as Batch API jobs: its unfinished cells too
            self.panel.batch.submit(self.matrix)
            return
        self._say(f"Resuming matrix #{self.matrix.id}: only its unfinished cells are sent.")
        model = self.panel.results.grid.grid_model
        self._start(self.matrix, model.cells(), model.shape)

    def abandon(self) -> None:
        if self.runner is not None:
            self.runner.abandon()

    # --- open ----------------------------------------------------------------------------------
    def open(self, matrix_id: int) -> asyncio.Task:
        return self.panel.deps.tasks.start("Opening a matrix", self._open(matrix_id))

    async def _open(self, matrix_id: int) -> None:
        lab = self.panel.deps.store.lab
        # 10,000 cells take about 100 ms to read and decode: off the UI thread, with the rest.
        found = await asyncio.to_thread(_read_matrix, lab, matrix_id)
        if found is None:
            return
        matrix, cells, shape = found
        if Shiboken.isValid(self) and not self.running:
            self.matrix, self.runner = matrix, None
            self.panel.show_matrix(matrix, cells, shape)
            self.panel.tabs.setCurrentWidget(self.panel.results)


def _read_matrix(
    lab: PromptLabQueries, matrix_id: int
) -> tuple[Matrix, list[Cell], GridShape] | None:
    matrix = lab.matrix(matrix_id)
    if matrix is None:
        return None
    return matrix, lab.cells(matrix_id), read_shape(lab, matrix)
