"""The grid on screen: one table view, one delegate painting each visible cell, no per-cell
widgets. Rows and columns have fixed sizes, so Qt never measures cells it does not show."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from workbench.core.prompt_lab.model import CellStatus
from workbench.ui.panels.prompt_lab.grid_model import LabGridModel, Shown
from workbench.ui.widgets.word_diff_view import diff_colours

CELL_WIDTH = 230
MAX_KEPT = 4000  # cells' cut texts kept: several screenfuls
PAD = 4
_Index = QModelIndex | QPersistentModelIndex


class _Tints:
    """The cell colours for one palette, worked out once per palette, not once per cell."""

    def __init__(self) -> None:
        self._key: int | None = None
        self.passed = self.failed = self.busy = QColor()

    def of(self, palette: QPalette) -> _Tints:
        if palette.cacheKey() != self._key:
            self._key = palette.cacheKey()
            # The word diff's tints: readable on light and dark palettes alike.
            self.failed, self.passed = diff_colours(palette)
            self.busy = QColor(palette.color(QPalette.ColorRole.Highlight))
            self.busy.setAlpha(40)
        return self

    def colour(self, passed: bool | None, status: CellStatus | None) -> QColor | None:
        if passed is True:
            return self.passed
        if passed is False:
            return self.failed
        return self.busy if status in _BUSY else None


_BUSY = (CellStatus.RUNNING, CellStatus.QUEUED, CellStatus.BATCHED)


class CellDelegate(QStyledItemDelegate):
    """Two lines: the answer's start (with ✓ or ✗), and its figures, muted. Green for a pass,
    red for a fail, the highlight's shade while a request is on its way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tints = _Tints()
        self._cut: dict[tuple[int, int], tuple[Shown, int, str, str]] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        # Straight from the model's cache, not through data(): this runs for every cell on
        # screen at every scroll step, and each data() call crosses into C++ and back.
        model = index.model()
        if not isinstance(model, LabGridModel):
            super().paint(painter, option, index)
            return
        shown = model.shown(index.row(), index.column())
        palette, rect = option.palette, option.rect
        tint = self._tints.of(palette).colour(shown.passed, shown.status)
        pen = painter.pen()
        if tint is not None:
            painter.fillRect(rect, tint)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        metrics = option.fontMetrics
        line = metrics.height()
        x, y, width = rect.x() + PAD, rect.y() + PAD // 2, rect.width() - 2 * PAD
        text, figures = self._elided(index.row(), index.column(), shown, metrics, width)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(QRect(x, y, width, line), 0, text)
        if figures:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRect(x, y + line, width, line), 0, figures)
        painter.setPen(pen)

    def _elided(
        self, row: int, column: int, shown: Shown, metrics: QFontMetrics, width: int
    ) -> tuple[str, str]:
        """Both lines cut to `width`, kept while the cell and the width stay the same: a
        repaint (a hover, a cell arriving nearby, scrolling back) measures nothing again."""
        kept = self._cut.get((row, column))
        if kept is not None and kept[0] is shown and kept[1] == width:
            return kept[2], kept[3]
        if len(self._cut) > MAX_KEPT:
            self._cut.clear()
        # No more characters than could fit: eliding a long string costs by its length.
        text = metrics.elidedText(
            shown.text[: max(8, width // 3)], Qt.TextElideMode.ElideRight, width
        )
        figures = metrics.elidedText(shown.figures, Qt.TextElideMode.ElideRight, width)
        self._cut[(row, column)] = (shown, width, text, figures)
        return text, figures

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(CELL_WIDTH, 2 * option.fontMetrics.height() + PAD)


class LabGrid(QTableView):
    cell_clicked = Signal(object)  # the clicked Cell (None for one not run yet)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lab_grid")
        self.grid_model = LabGridModel(self)
        self.setModel(self.grid_model)
        self.setItemDelegate(CellDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        line = self.fontMetrics().height()
        rows, columns = self.verticalHeader(), self.horizontalHeader()
        # Fixed sizes: "resize to contents" would format every cell of a 10,000-cell grid.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(2 * line + PAD + 2)
        rows.setMaximumWidth(220)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setDefaultSectionSize(CELL_WIDTH)
        columns.setMinimumHeight(2 * line + PAD + 2)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.clicked.connect(lambda index: self.cell_clicked.emit(self.grid_model.cell_at(index)))
        self.activated.connect(lambda index: self.cell_clicked.emit(self.grid_model.cell_at(index)))
