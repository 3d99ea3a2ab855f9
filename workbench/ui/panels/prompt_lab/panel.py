"""The Prompt Lab panel (issue 19): prompt versions x dataset rows x models, as a grid.

Tabs follow the work: write the prompt (versions, variables, checks), fill the dataset, choose
the model columns, then Run: the grid fills as cells finish, and the regression tab compares two
versions. Matrices are kept in the store; one stopped or cut off by a crash resumes where it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.prompt_lab.model import Cell, Matrix
from workbench.core.prompt_lab.results import regression
from workbench.services.model_catalog import ModelCatalog
from workbench.services.prompt_lab.batch import BatchRunner
from workbench.services.run_service import RunService
from workbench.services.store import Store
from workbench.services.tokens import TokenCounter
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.prompt_lab import grid_export
from workbench.ui.panels.prompt_lab.batch_controls import BatchControls
from workbench.ui.panels.prompt_lab.columns_editor import ColumnsEditor
from workbench.ui.panels.prompt_lab.dataset_editor import DatasetEditor
from workbench.ui.panels.prompt_lab.grid_model import GridShape
from workbench.ui.panels.prompt_lab.matrix_control import MatrixControl
from workbench.ui.panels.prompt_lab.prompt_editor import PromptEditor
from workbench.ui.panels.prompt_lab.regression_view import RegressionView
from workbench.ui.panels.prompt_lab.results_view import ResultsView
from workbench.ui.tasks import BackgroundTasks

EXPORT_FILTERS = "CSV (*.csv);;JSON Lines (*.jsonl)"
PROMPT_TAB, DATASET_TAB, MODELS_TAB, RESULTS_TAB, REGRESSION_TAB = range(5)


@dataclass(frozen=True, slots=True)
class LabDeps:
    store: Store
    bus: Bus
    tasks: BackgroundTasks
    runs: RunService
    catalog: ModelCatalog
    tokens: TokenCounter
    budget: Any = None  # ui.budget_guard.BudgetGuard, asked before money is spent
    batches: BatchRunner | None = None  # the app's Batch API jobs; None: the panel makes one


class PromptLabPanel(Panel):
    def __init__(self, deps: LabDeps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel.prompt_lab")
        self.deps = deps
        lab = deps.store.lab
        self.prompt = PromptEditor(lab, deps.bus, self)
        self.dataset = DatasetEditor(lab, deps.tasks, self)
        self.models = ColumnsEditor(deps.runs, deps.catalog, deps.tasks, self)
        self.results = ResultsView(deps.bus, self)
        self.regression = RegressionView(self)
        self.regression.compare = self._compare_versions
        self.tabs = QTabWidget(self, objectName="lab_tabs")
        self.tabs.addTab(self.prompt, "1 Prompt")
        self.tabs.addTab(self.dataset, "2 Dataset")
        self.tabs.addTab(self.models, "3 Models")
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(self.regression, "Regression")

        self.saved = QComboBox(self, objectName="lab_matrices")
        self.saved.setMinimumContentsLength(28)
        self.saved.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.saved.setToolTip("Matrices run before: open one to see its grid, or resume it")
        self.run_button = QPushButton("Run matrix", self, objectName="lab_run")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self, objectName="lab_cancel", enabled=False)
        self.resume_button = QPushButton("Resume", self, objectName="lab_resume", enabled=False)
        self.resume_button.setToolTip("Run the open matrix's unfinished cells; finished ones stay")
        self.export_button = QPushButton("Export grid…", self, objectName="lab_export_grid")
        self.progress = QProgressBar(self, objectName="lab_progress")
        self.progress.setFormat("%v / %m cells")
        self.progress.setMaximumWidth(260)
        self.progress_text = QLabel(self, objectName="lab_progress_text")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Matrix", self))
        bar.addWidget(self.saved)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.resume_button)
        bar.addWidget(self.progress)
        bar.addWidget(self.progress_text, 1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self.control = MatrixControl(self)
        runner = deps.batches or BatchRunner(deps.store, deps.runs.connector)
        self.batch = BatchControls(self, runner)
        bar.insertWidget(bar.indexOf(self.run_button) + 1, self.batch.choice)
        layout.insertWidget(1, self.batch.status)
        for part in (self.prompt, self.dataset, self.models):
            part.status.connect(self.status_message)
        self.prompt.checks.changed.connect(self._variables_to_dataset)
        self.prompt.variables.changed.connect(self._variables_to_dataset)
        self.run_button.clicked.connect(self.control.run)
        self.cancel_button.clicked.connect(self.control.cancel)
        self.resume_button.clicked.connect(self.control.resume)
        self.export_button.clicked.connect(self.choose_export)
        self.saved.activated.connect(self._open_saved)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.models.add_column()
        self.refresh_saved()
        self.batch.update_choice()
        self.set_busy(False)
        self.batch.resume()  # batches the last session left running

    def sizeHint(self) -> QSize:
        # A grid needs room: the window gives a dock at least its hint where the chat can spare it.
        return QSize(1100, 560)

    # --- matrices ------------------------------------------------------------------------------
    @property
    def matrix(self) -> Matrix | None:
        return self.control.matrix

    @property
    def running(self) -> bool:
        return self.control.running

    def refresh_saved(self, current: int | None = None) -> None:
        self.saved.blockSignals(True)
        self.saved.clear()
        self.saved.addItem("New matrix", None)
        for matrix in self.deps.store.lab.matrices():
            counts = self.deps.store.lab.status_counts(matrix.id or 0)
            total = sum(counts.values())
            done = sum(n for status, n in counts.items() if status.finished)
            self.saved.addItem(f"#{matrix.id} {matrix.name}  ({done}/{total})", matrix.id)
        index = self.saved.findData(current) if current is not None else 0
        self.saved.setCurrentIndex(max(index, 0))
        self.saved.blockSignals(False)

    def _open_saved(self, index: int) -> None:
        matrix_id = self.saved.itemData(index)
        if matrix_id is not None:
            self.open_matrix(int(matrix_id))

    def open_matrix(self, matrix_id: int) -> asyncio.Task | None:
        if self.running:
            self.status_message.emit("Cancel the running matrix before opening another.")
            return None
        return self.control.open(matrix_id)

    def show_matrix(self, matrix: Matrix, cells: list[Cell], shape: GridShape) -> None:
        """The grid, regression and the models tab for `matrix` (called by the control, with
        the axes read in a worker: `matrix_control.read_shape`)."""
        self.results.grid.grid_model.set_matrix(shape, cells)
        self.results.show_cell(None)
        labels = dict(zip(shape.version_ids, shape.version_labels, strict=True))
        self.regression.set_matrix(labels, shape.row_labels, shape.columns, shape.check_names)
        self.regression.set_cells(cells)
        self.models.set_columns(matrix.columns, matrix.repeats)
        self.refresh_saved(matrix.id)
        self.update_progress()

    def update_progress(self) -> None:
        """From the grid's running totals: called for every arriving cell, it counts nothing."""
        model = self.results.grid.grid_model
        total = model.rowCount() * model.columnCount()
        self.progress.setVisible(self.matrix is not None)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(model.finished)
        runner = self.control.runner
        running = runner.progress.running if runner is not None and self.running else 0
        parts = [
            f"{running} running" if running else "",
            f"{model.total.passed}/{model.total.judged} pass" if model.total.judged else "",
        ]
        unfinished = model.finished < total
        batches = len(self.batch.open_here())  # the shown matrix's Batch API jobs still open
        if batches:
            parts.append(f"{total - model.finished} waiting in {batches} batch job(s)")
        elif unfinished and not self.running and self.matrix is not None:
            parts.append(f"{total - model.finished} unfinished: Resume runs them")
        self.progress_text.setText(" · ".join(p for p in parts if p))
        self.resume_button.setEnabled(
            not self.running and self.matrix is not None and unfinished and not batches
        )
        self.cancel_button.setEnabled(self.running or bool(batches))

    def set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.saved.setEnabled(not busy)
        self.export_button.setEnabled(not busy or self.matrix is not None)
        self.update_progress()

    # --- hand-offs -----------------------------------------------------------------------------
    def take_prompt(self, text: str) -> None:
        if not self.running:
            self.tabs.setCurrentIndex(PROMPT_TAB)
            self.prompt.user.setPlainText(text)
            self.prompt.user.setFocus()

    def shutdown(self) -> None:
        self.control.abandon()
        self.batch.abandon()

    def _variables_to_dataset(self) -> None:
        """The dataset's columns follow the template's variables (none are taken away)."""
        names = tuple(self.prompt.variables.fields)
        if names:
            self.dataset.ensure_columns(names)

    def _compare_versions(self, cells: list[Cell], version_a: int, version_b: int) -> None:
        """The regression view's comparison, in a worker: 10,000 cells take about 60 ms."""

        async def compare() -> None:
            result = await asyncio.to_thread(regression, cells, version_a, version_b)
            if Shiboken.isValid(self):
                self.regression.show_result(result, cells)

        self.deps.tasks.start("Comparing two versions", compare(), quiet=True)

    def _tab_changed(self, index: int) -> None:
        if index == REGRESSION_TAB:
            self.regression.set_cells(self.results.grid.grid_model.cells())

    # --- export --------------------------------------------------------------------------------
    def choose_export(self) -> None:
        if self.matrix is None:
            self.status_message.emit("Run or open a matrix first: there is no grid to export.")
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Export the grid", "", EXPORT_FILTERS)
        if path:
            target = Path(path)
            if not target.suffix:
                target = target.with_suffix(".jsonl" if "JSON" in chosen else ".csv")
            self.export_grid(target)

    def export_grid(self, path: Path) -> asyncio.Task | None:
        matrix = self.matrix
        if matrix is None:
            return None
        lab = self.deps.store.lab
        shape = self.results.grid.grid_model.shape
        labels = dict(zip(shape.version_ids, shape.version_labels, strict=True))
        cells = self.results.grid.grid_model.cells()
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson")

        def write() -> int:  # in a worker: the dataset snapshot is read and decoded here too
            dataset = lab.matrix_dataset(matrix.id or 0)
            if dataset is None:
                return 0
            rows = grid_export.records(matrix, dataset, cells, labels, shape.check_names)
            text = grid_export.to_jsonl(rows) if jsonl else grid_export.to_csv(rows, dataset)
            path.write_text(text, encoding="utf-8")
            return len(rows)

        async def export() -> None:
            try:
                count = await asyncio.to_thread(write)
            except OSError as exc:
                if Shiboken.isValid(self):
                    self.status_message.emit(f"Not exported: {exc.strerror or exc} ({path}).")
                return
            if Shiboken.isValid(self):
                self.status_message.emit(f"Exported {count} cells to {path.name}.")

        return self.deps.tasks.start("Exporting the grid", export())
