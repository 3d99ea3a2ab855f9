"""Version B against version A on the same dataset and models: the cases that flipped (pass to
fail, fail to pass), how cost and latency moved, and the two outputs side by side."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.pricing import dollars
from workbench.core.prompt_lab.model import Cell
from workbench.core.prompt_lab.results import Direction, Flip, Regression, regression
from workbench.core.run_text import duration
from workbench.ui.panels.prompt_lab import cell_text

FLIP_ROLE = Qt.ItemDataRole.UserRole + 1
FLIP_SLICE = 200  # flipped cases listed per event-loop pass
Compare = Callable[[list[Cell], int, int], None]
_ARROW = {Direction.BROKE: "✗ pass → fail", Direction.FIXED: "✓ fail → pass"}


def moved_dollars(delta: float | None) -> str:
    if delta is None:
        return "unknown"
    if delta == 0:
        return "unchanged"
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return f"{sign}{dollars(abs(delta))}"


def moved_ms(delta: float | None) -> str:
    if delta is None:
        return "unknown"
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return f"{sign}{duration(abs(delta) / 1000)}"


def summary(result: Regression, a: str, b: str) -> str:
    if not result.pairs:
        return f"No case has finished under both {a} and {b} yet."
    return (
        f"{result.pairs} cases. Pass rate {a} {result.rate_a.label()} → {b} "
        f"{result.rate_b.label()}. {len(result.broke)} broke (pass → fail), "
        f"{len(result.fixed)} fixed (fail → pass). Cost {moved_dollars(result.cost_delta_usd)}"
        f"{'' if result.cost_delta_usd == 0 else ' in total'}, latency "
        f"{moved_ms(result.latency_delta_ms)} on average."
    )


class RegressionView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cells: list[Cell] = []
        self._rows: tuple[str, ...] = ()
        self._columns: tuple[str, ...] = ()
        self._labels: dict[int, str] = {}
        self._checks: dict[int, tuple[str, ...]] = {}
        self._stale = False  # cells or versions changed while hidden
        self._filling = 0  # which fill of the flips list is current
        # Works out the comparison and hands it to show_result: here, at once; the panel
        # puts it in a worker (10,000 cells: about 60 ms).
        self.compare: Compare = lambda cells, a, b: self.show_result(regression(cells, a, b), cells)
        self.version_a = QComboBox(self, objectName="lab_regression_a")
        self.version_b = QComboBox(self, objectName="lab_regression_b")
        self.summary = QLabel(self, objectName="lab_regression_summary", wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flips = QTableWidget(0, 4, self, objectName="lab_flips")
        self.flips.setHorizontalHeaderLabels(["Flipped", "Row", "Model column", "Why B differs"])
        self.flips.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.flips.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.flips.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.flips.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.flips.verticalHeader().hide()
        self.flips.setWordWrap(False)  # one line per case, elided; the tooltip has it all
        # A fixed width for the arrows: "resize to contents" measures every row's text.
        arrows = max(map(self.fontMetrics().horizontalAdvance, _ARROW.values()))
        self.flips.setColumnWidth(0, arrows + 24)
        self.flips.setColumnWidth(1, 110)
        self.flips.setColumnWidth(2, 200)
        self.output_a = self._output("lab_regression_output_a")
        self.output_b = self._output("lab_regression_output_b")
        self.title_a, self.title_b = QLabel(self), QLabel(self)
        self.title_a.setWordWrap(True)
        self.title_b.setWordWrap(True)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Version A", self))
        pick.addWidget(self.version_a)
        pick.addWidget(QLabel("against B", self))
        pick.addWidget(self.version_b)
        pick.addStretch(1)
        sides = QSplitter(Qt.Orientation.Horizontal, self)
        for title, output in ((self.title_a, self.output_a), (self.title_b, self.output_b)):
            side = QWidget(sides)
            column = QVBoxLayout(side)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(title)
            column.addWidget(output, 1)
            sides.addWidget(side)
        # Flips beside the outputs: a dock is usually wider than tall.
        body = QSplitter(Qt.Orientation.Horizontal, self)
        body.addWidget(self.flips)
        body.addWidget(sides)
        body.setSizes([500, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(body, 1)
        self.version_a.activated.connect(lambda _i: self.refresh())
        self.version_b.activated.connect(lambda _i: self.refresh())
        self.flips.itemSelectionChanged.connect(self._show_selected)

    def _output(self, name: str) -> QPlainTextEdit:
        box = QPlainTextEdit(self, objectName=name, readOnly=True)
        box.setPlaceholderText("Pick a flipped case to see both answers")
        return box

    def set_matrix(
        self,
        labels: dict[int, str],
        rows: tuple[str, ...],
        columns: tuple[str, ...],
        checks: dict[int, tuple[str, ...]],
    ) -> None:
        """The matrix's versions (id -> 'v3', oldest first), row and column names."""
        self._labels, self._rows, self._columns, self._checks = labels, rows, columns, checks
        for box, pick in ((self.version_a, 0), (self.version_b, -1)):
            box.clear()
            for version_id, label in labels.items():
                box.addItem(label, version_id)
            if labels:
                box.setCurrentIndex(pick % len(labels))

    def set_cells(self, cells: list[Cell]) -> None:
        """Compared now if shown, else when next shown: a hidden tab costs nothing."""
        self._cells = cells
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        a, b = self.version_a.currentData(), self.version_b.currentData()
        self._stale = False
        self._filling += 1  # a fill still under way is for cells or versions no longer shown
        self.flips.setRowCount(0)
        self.output_a.clear()
        self.output_b.clear()
        if a is None or b is None or a == b:
            self.summary.setText("Pick two different versions of the prompt in this matrix.")
            return
        self.summary.setText("Comparing…")
        self.compare(self._cells, a, b)

    def show_result(self, result: Regression, cells: list[Cell]) -> None:
        """The comparison of `cells` (worked out by `compare`, maybe in a worker): shown if it
        is still what the view shows, its flips listed a slice per event-loop pass."""
        a, b = self.version_a.currentData(), self.version_b.currentData()
        if cells is not self._cells or (result.version_a, result.version_b) != (a, b):
            return
        la, lb = self._labels.get(a, "A"), self._labels.get(b, "B")
        self.summary.setText(summary(result, la, lb))
        self.title_a.setText(f"<b>A: {la}</b>")
        self.title_b.setText(f"<b>B: {lb}</b>")
        self.flips.setRowCount(len(result.flips))
        self._filling += 1
        self._fill(result, 0, self._filling)

    def _fill(self, result: Regression, start: int, filling: int) -> None:
        if filling != self._filling:
            return
        b = result.version_b
        end = min(start + FLIP_SLICE, len(result.flips))
        for number in range(start, end):
            flip = result.flips[number]
            broke = flip.direction is Direction.BROKE
            failing, version = (flip.after, b) if broke else (flip.before, result.version_a)
            why = cell_text.verdict(failing, self._checks.get(version, ()))
            row = self._rows[flip.row] if flip.row < len(self._rows) else f"row {flip.row + 1}"
            if flip.repeat:
                row += f" #{flip.repeat + 1}"
            column = self._columns[flip.column] if flip.column < len(self._columns) else ""
            texts = (_ARROW[flip.direction], row, column, _why(flip, why))
            for place, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(FLIP_ROLE, flip)
                item.setToolTip(text)
                self.flips.setItem(number, place, item)
        if start == 0 and result.flips:
            self.flips.selectRow(0)
        if end < len(result.flips):
            QTimer.singleShot(0, self, lambda: self._fill(result, end, filling))

    def _show_selected(self) -> None:
        items = self.flips.selectedItems()
        if not items:
            return
        flip: Flip = items[0].data(FLIP_ROLE)
        a, b = self.version_a.currentData(), self.version_b.currentData()
        for box, title, cell, version in (
            (self.output_a, self.title_a, flip.before, a),
            (self.output_b, self.title_b, flip.after, b),
        ):
            box.setPlainText(cell.output or cell.error)
            names = self._checks.get(version, ())
            head = f"{self._labels.get(version, '')}: {cell_text.verdict(cell, names)}"
            title.setText(f"<b>{_escape(head)}</b><br>{_escape(cell_text.figures(cell))}")


def _why(flip: Flip, verdict: str) -> str:
    side = "B" if flip.direction is Direction.BROKE else "A"
    return f"{side} {verdict}" if verdict else ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
