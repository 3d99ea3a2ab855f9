"""How one cell of the image grid is drawn: the thumbnail (or a neutral placeholder until it
arrives) centred in a square, and the caption under it in at most two lines, elided."""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
    QWidget,
)

from workbench.ui.widgets.image_grid_model import GridModel

Index = QModelIndex | QPersistentModelIndex

PAD = 6  # around the thumbnail and under the caption
GAP = 4  # between the thumbnail and the caption
CAPTION_LINES = 2
_CAPTION_CHARS = 300  # more never fits in two lines of a cell
_CAPTION_CACHE = 4096
# Flags and roles looked up once: enum arithmetic is slow in Python, and paint runs per cell.
_SELECTED = QStyle.StateFlag.State_Selected
_FOCUS = QStyle.StateFlag.State_HasFocus
_BACKGROUND = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
_TEXT = QPalette.ColorRole.Text
_SELECTED_TEXT = QPalette.ColorRole.HighlightedText


def caption_lines(text: str, metrics: QFontMetrics, width: int) -> tuple[str, ...]:
    """`text` in at most two lines of `width` pixels: broken at a space where one fits, the
    second line elided."""
    text = " ".join(text[:_CAPTION_CHARS].split())
    if metrics.horizontalAdvance(text) <= width:
        return (text,) if text else ()
    ends = [i for i, ch in enumerate(text) if ch == " "]
    fitting = bisect_right(ends, width, key=lambda end: metrics.horizontalAdvance(text[:end]))
    cut = ends[fitting - 1] if fitting else 0
    first = text[:cut]
    if not first:  # one long word: break it where it stops fitting
        cut = max(1, _chars_fitting(text, metrics, width))
        first = text[:cut]
    rest = text[cut:].strip()
    second = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return (first, second) if second else (first,)


def _chars_fitting(text: str, metrics: QFontMetrics, width: int) -> int:
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if metrics.horizontalAdvance(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


class GridDelegate(QStyledItemDelegate):
    """Draws a cell straight from the model (no QVariant round trips, no per-paint text layout:
    the thumbnail or placeholder, and the caption's lines as cached QStaticText), so a screenful
    costs a few Qt calls per cell. Every cell has the same size, so the view lays out thousands
    without asking each."""

    def __init__(self, parent: QWidget, model: GridModel) -> None:
        super().__init__(parent)
        self.thumbnail_size = 160
        self._model = model
        self._captions: dict[tuple[str, int], tuple[tuple[QStaticText, int], ...]] = {}
        self._placeholder: tuple[int, QColor] = (-1, QColor())

    def cell_size(self, metrics: QFontMetrics) -> QSize:
        side = self.thumbnail_size
        return QSize(side + 2 * PAD, PAD + side + GAP + CAPTION_LINES * metrics.height() + PAD)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return self.cell_size(option.fontMetrics)

    def forget_captions(self) -> None:
        """After a font change: the lines are laid out again."""
        self._captions.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.row()
        if not 0 <= row < self._model.rowCount():
            return
        item = self._model.item_at(row)
        state, widget, cell = option.state, option.widget, option.rect
        style = widget.style() if widget is not None else None
        if style is not None and state & _BACKGROUND:  # as the platform draws selection, hover
            style.drawPrimitive(_PANEL, option, painter, widget)
        side = self.thumbnail_size
        left, top = cell.x() + (cell.width() - side) // 2, cell.y() + PAD
        pixmap = self._model.thumbnail(item.id)
        if pixmap is not None:
            size = pixmap.deviceIndependentSize()
            x = left + (side - int(size.width())) // 2
            painter.drawPixmap(x, top + (side - int(size.height())) // 2, pixmap)
        else:
            painter.fillRect(left, top, side, side, self._placeholder_colour(option.palette))
        lines = self._lines(item.caption, option.fontMetrics, cell.width() - 2 * PAD)
        if lines:
            role = _SELECTED_TEXT if state & _SELECTED else _TEXT
            painter.setPen(option.palette.color(role))
            y = top + side + GAP
            for text, offset in lines:
                painter.drawStaticText(cell.x() + PAD + offset, y, text)
                y += option.fontMetrics.height()
        if style is not None and state & _FOCUS:
            focus = QStyleOptionFocusRect()
            focus.initFrom(widget)
            focus.rect = cell.adjusted(1, 1, -1, -1)
            focus.backgroundColor = option.palette.color(QPalette.ColorRole.Base)
            style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)

    def _lines(
        self, text: str, metrics: QFontMetrics, width: int
    ) -> tuple[tuple[QStaticText, int], ...]:
        """The caption's lines, laid out once: each with its offset to centre it."""
        key = (text, width)
        lines = self._captions.get(key)
        if lines is None:
            if len(self._captions) >= _CAPTION_CACHE:
                self._captions.clear()
            laid = []
            for line in caption_lines(text, metrics, width):
                static = QStaticText(line)
                static.setTextFormat(Qt.TextFormat.PlainText)
                laid.append((static, max(0, (width - metrics.horizontalAdvance(line)) // 2)))
            lines = self._captions[key] = tuple(laid)
        return lines

    def _placeholder_colour(self, palette: QPalette) -> QColor:
        """A neutral grey between the base and mid colours, on light and dark palettes alike;
        opaque, so filling it is a plain copy."""
        key = palette.cacheKey()
        if self._placeholder[0] != key:
            base = palette.color(QPalette.ColorRole.Base)
            mid = palette.color(QPalette.ColorRole.Mid)
            mixed = QColor(
                (base.red() + mid.red()) // 2,
                (base.green() + mid.green()) // 2,
                (base.blue() + mid.blue()) // 2,
            )
            self._placeholder = (key, mixed)
        return self._placeholder[1]
