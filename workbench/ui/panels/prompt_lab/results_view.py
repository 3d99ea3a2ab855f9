"""The grid and, under it, the clicked cell: its verdict with reasons, figures and whole answer.
A clicked cell's run is announced on the bus (as Compare does), so Token Confidence shows its
heatmap and the Request Inspector its request."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core.prompt_lab.model import Cell
from workbench.ui.bus import Bus
from workbench.ui.panels.prompt_lab import cell_text
from workbench.ui.panels.prompt_lab.grid_view import LabGrid

RED = "color: #b3261e;"
GREEN = "color: #2e7d32;"


class ResultsView(QWidget):
    def __init__(self, bus: Bus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self.cell: Cell | None = None
        self.grid = LabGrid(self)
        self.verdict = QLabel(self, objectName="lab_cell_verdict", wordWrap=True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures = QLabel(self, objectName="lab_cell_figures")
        self.figures.setStyleSheet("color: palette(placeholder-text);")
        self.output = QPlainTextEdit(self, objectName="lab_cell_output", readOnly=True)
        self.output.setPlaceholderText("Click a cell to see its whole answer")
        self.heatmap = QPushButton("Token Confidence", self, objectName="lab_cell_heatmap")
        self.heatmap.setToolTip("Show this cell's answer token by token (View ▸ Token Confidence)")
        self.request = QPushButton("Request", self, objectName="lab_cell_request")
        self.request.setToolTip("Show what was sent and received (View ▸ Request Inspector)")
        self.heatmap.clicked.connect(lambda: bus.dock_requested.emit("heatmap", ""))
        self.request.clicked.connect(lambda: bus.dock_requested.emit("inspector", ""))
        detail = QWidget(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.heatmap)
        buttons.addWidget(self.request)
        buttons.addStretch(1)
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.verdict)
        column.addWidget(self.figures)
        column.addWidget(self.output, 1)
        column.addLayout(buttons)
        # Side by side: a dock is usually wider than tall, and the grid wants every row it gets.
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.grid)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([800, 300])
        self.output.setMinimumHeight(36)
        self.figures.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.grid.cell_clicked.connect(self.show_cell)
        self.grid.grid_model.dataChanged.connect(self._cell_changed)
        self.show_cell(None)

    def show_cell(self, cell: Cell | None) -> None:
        self.cell = cell
        names = (
            ()
            if cell is None
            else self.grid.grid_model.shape.check_names.get(cell.key.version_id, ())
        )
        verdict = cell_text.verdict(cell, names)
        if cell is None:
            verdict = ""
        elif not verdict:
            verdict = str(cell.status) if not cell.status.finished else "done (no checks)"
        self.verdict.setText(verdict)
        self.verdict.setStyleSheet(
            RED
            if cell is not None and cell.passed is False
            else GREEN
            if cell and cell.passed
            else ""
        )
        self.figures.setText(cell_text.figures(cell))
        self.output.setPlainText("" if cell is None else cell.output or cell.error)
        has_run = cell is not None and cell.run_id is not None
        self.heatmap.setEnabled(has_run)
        self.request.setEnabled(has_run)
        if cell is not None and cell.run_id is not None:
            self._bus.run_selected.emit(cell.run_id)

    def _cell_changed(self, _top_left, _bottom_right, _roles=()) -> None:
        """The shown cell changed while on screen (alone, or among many marked at once): show
        what it is now. One lookup, whatever the range."""
        if self.cell is None:
            return
        now = self.grid.grid_model.cell(self.cell.key)
        if now is not None and now is not self.cell:
            self.show_cell(now)
