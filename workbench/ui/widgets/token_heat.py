"""An answer's tokens as text, each tinted by how sure the model was of it.

Tokens are laid out once per viewport width as a flow of boxes (a token holding a newline ends its
line, so it may own several boxes), and every box keeps its x, width and line. Lines all have
the same height, so painting finds the visible lines by division and the boxes in them from the
line-start table, and hit-testing bisects the x positions of one line: a 16k-token answer costs a
screenful of boxes per paint and a few comparisons per mouse move.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QHideEvent,
    QKeyEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QHBoxLayout, QLabel, QWidget

from workbench.core.logprobs import Metric, TokenInfo, confidence
from workbench.ui.widgets.alternatives_popup import AlternativesPopup

# cividis (Nuñez, Anderton & Renslow 2018): perceptually uniform in lightness and readable with
# red-green colour blindness; 10 evenly spaced stops, interpolated. Unsure is dark, sure is light.
CIVIDIS = (
    "#00204d", "#00336f", "#39486b", "#575c6d", "#707173",
    "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#ffea46",
)  # fmt: skip
_STOPS = tuple(QColor(c).getRgb()[:3] for c in CIVIDIS)
LEVELS = 256  # confidence is quantised to this many colours when painting
MARGIN = 4  # around the text, in the viewport
PAD = 2  # inside a token's box, either side of its text
_FAINT_ALPHA = 110  # visible whitespace is drawn faint: present, not competing with the words
_PLAIN = re.compile(r"( ?)(\S+)")
_SHOWN = {" ": "·", "\t": "→", "\n": "↵", "\r": ""}

Segment = tuple[int, str, bool]  # x offset in the box, text to draw, faint (visible whitespace)
Piece = tuple[int, tuple[Segment, ...], bool]  # box width, segments, ends its line


def colour_for(confidence: float) -> QColor:
    """The heat colour for a confidence in 0..1 (out-of-range clamps; nan counts as unsure)."""
    c = min(1.0, max(0.0, confidence)) if confidence == confidence else 0.0
    pos = c * (len(_STOPS) - 1)
    i = min(int(pos), len(_STOPS) - 2)
    t = pos - i
    a, b = _STOPS[i], _STOPS[i + 1]
    return QColor(*(round(a[k] + (b[k] - a[k]) * t) for k in range(3)))


def _luminance(colour: QColor) -> float:
    """WCAG relative luminance."""

    rgb = (colour.redF(), colour.greenF(), colour.blueF())
    r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour_for(background: QColor) -> QColor:
    """Black or white, whichever contrasts more with `background` (the WCAG crossover)."""
    return QColor(0, 0, 0) if _luminance(background) > 0.179 else QColor(255, 255, 255)


def _level_tables() -> tuple[list[QColor], list[QPen], list[QPen]]:
    """Per confidence level: background, text pen, and the faint pen for visible whitespace."""
    backgrounds = [colour_for(level / (LEVELS - 1)) for level in range(LEVELS)]
    texts = [text_colour_for(b) for b in backgrounds]
    faints = [QColor(t.red(), t.green(), t.blue(), _FAINT_ALPHA) for t in texts]
    return backgrounds, [QPen(t) for t in texts], [QPen(f) for f in faints]


def pieces_of(token: str, fm: QFontMetricsF, dot: float) -> tuple[Piece, ...]:
    """The boxes a token is drawn as: one per line it touches, whitespace made visible.
    `dot` is the advance of "·" in `fm`'s font."""
    if plain := _PLAIN.fullmatch(token):  # most tokens: a word, perhaps after one space
        word_x = PAD + dot if plain.group(1) else PAD
        width = math.ceil(word_x + fm.horizontalAdvance(plain.group(2))) + PAD
        word = (round(word_x), plain.group(2), False)
        return ((width, ((PAD, "·", True), word) if plain.group(1) else (word,), False),)
    pieces: list[Piece] = []
    segments: list[tuple[str, bool]] = []

    def close(breaks: bool) -> None:
        placed, x = [], float(PAD)
        for text, faint in segments:
            placed.append((round(x), text, faint))
            x += fm.horizontalAdvance(text)
        pieces.append((math.ceil(x) + PAD, tuple(placed), breaks))
        segments.clear()

    for ch in token:
        faint = ch.isspace()
        shown = _SHOWN.get(ch, "·") if faint else ch
        if segments and segments[-1][1] == faint:
            segments[-1] = (segments[-1][0] + shown, faint)
        elif shown:
            segments.append((shown, faint))
        if ch == "\n":
            close(breaks=True)
    if segments or not pieces:
        if not token:
            segments.append(("∅", True))
        close(breaks=False)
    return tuple(pieces)


class _Layout:
    """Boxes at one width: parallel lists, and the first box of every line (plus a sentinel)."""

    __slots__ = ("first_box", "line", "line_start", "owner", "piece", "w", "x")

    def __init__(self, token_pieces: list[tuple[Piece, ...]], width: int) -> None:
        right = width - MARGIN
        xs, ws, lines, owners, first, starts = [], [], [], [], [], [0]
        boxes: list[Piece] = []
        x, line = MARGIN, 0
        for owner, pieces in enumerate(token_pieces):
            first.append(len(xs))
            for piece in pieces:
                w = piece[0]
                if x + w > right and x > MARGIN:  # wrap; a box wider than the view keeps a line
                    line, x = line + 1, MARGIN
                    starts.append(len(xs))
                xs.append(x)
                ws.append(w)
                lines.append(line)
                owners.append(owner)
                boxes.append(piece)
                x += w
                if piece[2]:
                    line, x = line + 1, MARGIN
                    starts.append(len(xs))
        starts.append(len(xs))
        self.x, self.w, self.line, self.owner, self.piece = xs, ws, lines, owners, boxes
        self.line_start, self.first_box = starts, first

    @property
    def lines(self) -> int:
        return len(self.line_start) - 1

    def boxes_of(self, token: int) -> range:
        end = self.first_box[token + 1] if token + 1 < len(self.first_box) else len(self.x)
        return range(self.first_box[token], end)


class TokenHeatView(QAbstractScrollArea):
    """Hover a token for its alternatives, click to pin them, drag to select a range."""

    token_hovered = Signal(int)  # -1 when the mouse is over no token
    token_clicked = Signal(int)  # the click also pins the alternatives popup
    selection_changed = Signal(int, int)  # first, last token the user dragged over; -1, -1: none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # no width flip-flop
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.popup = AlternativesPopup(self)
        self.popup.dismissed.connect(self._unpin)
        self.last_painted_count = 0  # boxes drawn by the last paint: culling shows up here
        self._infos: list[TokenInfo] = []
        self._token_pieces: list[tuple[Piece, ...]] = []
        self._piece_cache: dict[str, tuple[Piece, ...]] = {}
        self._layouts: dict[int, _Layout] = {}
        self._confidence: list[float] = []  # per token, -1 until first painted
        self._metric = Metric("probability")
        self._threshold: float | None = None
        self._selection: tuple[int, int] | None = None
        self._hovered = self._pinned = self._press_token = -1
        self._dragged = False
        self._backgrounds, self._text_pens, self._faint_pens = _level_tables()
        self._measure_font()

    # --- API -------------------------------------------------------------------------------
    def set_tokens(self, infos: list[TokenInfo]) -> None:
        self._infos = list(infos)
        if len(self._piece_cache) > 100_000:
            self._piece_cache.clear()
        cache, fm, dot = self._piece_cache, self._fm, self._fm.horizontalAdvance("·")
        pieces: list[tuple[Piece, ...]] = []
        for info in self._infos:
            found = cache.get(info.token)
            if found is None:
                found = cache[info.token] = pieces_of(info.token, fm, dot)
            pieces.append(found)
        self._token_pieces = pieces
        self._confidence = [-1.0] * len(self._infos)
        self._layouts.clear()
        self._hovered, self._selection, self._press_token = -1, None, -1
        self._unpin()
        self.popup.hide()
        self.verticalScrollBar().setValue(0)
        self._update_scroll_range()
        self.viewport().update()

    def set_metric(self, metric: Metric) -> None:
        self._metric = metric
        self._confidence = [-1.0] * len(self._infos)
        self.viewport().update()

    def set_threshold(self, p: float | None) -> None:
        """Tokens whose probability is under `p` are outlined; None outlines none."""
        self._threshold = p
        self.viewport().update()

    def select_range(self, first: int, last: int) -> None:
        """Highlights tokens first..last (inclusive); first < 0 clears. Emits nothing."""
        self._selection = None if first < 0 else (min(first, last), max(first, last))
        self.viewport().update()

    def selection(self) -> tuple[int, int] | None:
        return self._selection

    def scroll_to_token(self, index: int) -> None:
        """Scrolls so token `index` is on screen, centred if it was not."""
        if not 0 <= index < len(self._infos):
            return
        layout = self._layout()
        y = MARGIN + layout.line[layout.first_box[index]] * self._line_height
        bar, height = self.verticalScrollBar(), self.viewport().height()
        if y < bar.value() or y + self._line_height > bar.value() + height:
            bar.setValue(y - (height - self._line_height) // 2)

    @property
    def pinned_index(self) -> int:
        """The token whose alternatives are pinned open, or -1."""
        return self._pinned

    def token_rect(self, index: int) -> QRectF:
        """Token `index`'s (first) box, in viewport coordinates."""
        layout = self._layout()
        return QRectF(self._box_rect(layout, layout.first_box[index]))

    def token_at(self, pos: QPointF | QPoint) -> int:
        """The token under a viewport position, or -1."""
        if not self._infos:
            return -1
        layout = self._layout()
        y = pos.y() + self.verticalScrollBar().value() - MARGIN
        line = int(y // self._line_height)
        if y < 0 or line >= layout.lines:
            return -1
        start, end = layout.line_start[line], layout.line_start[line + 1]
        box = bisect_right(layout.x, pos.x(), start, end) - 1
        if box < start or pos.x() >= layout.x[box] + layout.w[box]:
            return -1
        return layout.owner[box]

    def display_text(self, index: int) -> str:
        """What token `index` shows, whitespace included (its boxes joined)."""
        return "".join(t for piece in self._token_pieces[index] for _, t, _ in piece[1])

    # --- layout ----------------------------------------------------------------------------
    def _measure_font(self) -> None:
        self._fm = QFontMetricsF(self.font())
        self._line_height = math.ceil(self._fm.height()) + 2
        self._ascent = round(self._fm.ascent()) + 1

    def _layout(self) -> _Layout:
        width = self.viewport().width()
        layout = self._layouts.get(width)
        if layout is None:
            if len(self._layouts) >= 4:
                self._layouts.clear()
            layout = self._layouts[width] = _Layout(self._token_pieces, width)
        return layout

    def _update_scroll_range(self) -> None:
        height = self.viewport().height()
        content = 2 * MARGIN + self._layout().lines * self._line_height if self._infos else 0
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, content - height))
        bar.setPageStep(height)
        bar.setSingleStep(self._line_height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scroll_range()
        self._place_popup()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._measure_font()
            self._piece_cache.clear()
            self.set_tokens(self._infos)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()
        if self._pinned < 0:
            self._set_hovered(-1)
        self._place_popup()

    # --- painting --------------------------------------------------------------------------
    def _lines_in(self, top: int, bottom: int, layout: _Layout) -> range:
        """Lines overlapping content y top..bottom: only these are painted."""
        first = max(0, (top - MARGIN) // self._line_height)
        last = min(layout.lines - 1, (bottom - MARGIN) // self._line_height)
        return range(first, last + 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        layout, rect = self._layout(), event.rect()
        scroll, lh = self.verticalScrollBar().value(), self._line_height
        xs, ws, owners = layout.x, layout.w, layout.owner
        boxes, starts = layout.piece, layout.line_start
        infos, conf, metric = self._infos, self._confidence, self._metric
        backgrounds, texts, faints = self._backgrounds, self._text_pens, self._faint_pens
        threshold = -1.0 if self._threshold is None else self._threshold
        first_sel, last_sel = self._selection or (-1, -2)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        left, right, painted = rect.left(), rect.right(), 0
        for line in self._lines_in(rect.top() + scroll, rect.bottom() + scroll, layout):
            y = MARGIN + line * lh - scroll
            baseline = y + self._ascent
            start, end = starts[line], starts[line + 1]
            first = max(start, bisect_right(xs, left, start, end) - 1)
            for box in range(first, bisect_right(xs, right, start, end)):
                token = owners[box]
                c = conf[token]
                if c < 0.0:
                    c = conf[token] = confidence(infos[token], metric)
                level = int(c * (LEVELS - 1) + 0.5)
                x, w = xs[box], ws[box]
                painter.fillRect(x, y, w - 1, lh - 1, backgrounds[level])
                for dx, text, faint in boxes[box][1]:
                    painter.setPen(faints[level] if faint else texts[level])
                    painter.drawText(x + dx, baseline, text)
                if infos[token].prob < threshold:
                    painter.setPen(texts[level])
                    painter.drawRect(x, y, w - 2, lh - 2)
                if first_sel <= token <= last_sel:
                    painter.fillRect(x, y + lh - 4, w - 1, 3, highlight)
                painted += 1
        for token in {self._hovered, self._pinned} - {-1}:
            width = 3 if token == self._pinned else 2
            painter.setPen(QPen(highlight, width))
            inset = width // 2
            for box in layout.boxes_of(token):
                painter.drawRect(self._box_rect(layout, box).adjusted(inset - 1, inset - 1, 0, 0))
        painter.end()
        self.last_painted_count = painted

    def _box_rect(self, layout: _Layout, box: int) -> QRect:
        """A box in viewport coordinates."""
        y = MARGIN + layout.line[box] * self._line_height - self.verticalScrollBar().value()
        return QRect(layout.x[box], y, layout.w[box], self._line_height)

    def _update_token(self, index: int) -> None:
        if 0 <= index < len(self._infos):
            layout = self._layout()
            for box in layout.boxes_of(index):
                self.viewport().update(self._box_rect(layout, box).adjusted(-2, -2, 2, 2))

    # --- hover, pin, select ----------------------------------------------------------------
    def _set_hovered(self, index: int) -> None:
        if index == self._hovered:
            return
        previous, self._hovered = self._hovered, index
        self._update_token(previous)
        self._update_token(index)
        self._place_popup()
        self.token_hovered.emit(index)

    def _place_popup(self) -> None:
        """The pinned token's alternatives, else the hovered one's, by the token if on screen."""
        token = self._pinned if self._pinned >= 0 else self._hovered
        rect = self.token_rect(token).toRect() if token >= 0 and self.isVisible() else QRect()
        if not rect.intersects(self.viewport().rect()):
            self.popup.hide()
            return
        if token != self.popup.token_index or self._infos[token] is not self.popup.info:
            self.popup.show_token(token, self._infos[token])
        self.popup.show_at(rect.translated(self.viewport().mapToGlobal(QPoint(0, 0))))

    def _pin(self, index: int) -> None:
        previous, self._pinned = self._pinned, index
        self._update_token(previous)
        self._update_token(index)
        self.popup.set_pinned(True, anchor=self)
        self._place_popup()

    def _unpin(self) -> None:
        if self._pinned < 0:
            return
        previous, self._pinned = self._pinned, -1
        self._update_token(previous)
        self.popup.set_pinned(False)
        self._place_popup()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.token_at(event.position())
        if event.buttons() & Qt.MouseButton.LeftButton and self._press_token >= 0:
            if index >= 0 and (self._dragged or index != self._press_token):
                self._dragged = True
                self.popup.hide()
                self.select_range(self._press_token, index)
            return
        self._set_hovered(index)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self._press_token = self.token_at(event.position())
        self._dragged = False
        if self._press_token < 0:
            self._unpin()
            self._clear_selection()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press_token < 0:
            super().mouseReleaseEvent(event)
            return
        pressed, self._press_token = self._press_token, -1
        if self._dragged and self._selection is not None:
            self.selection_changed.emit(*self._selection)
            self._place_popup()
            return
        self._clear_selection()
        self._pin(pressed)
        self.token_clicked.emit(pressed)

    def _clear_selection(self) -> None:
        if self._selection is not None:
            self.select_range(-1, -1)
            self.selection_changed.emit(-1, -1)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._pinned >= 0:
            self._unpin()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._set_hovered(-1)
        return super().viewportEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._unpin()
        self.popup.hide()
        super().hideEvent(event)


class _GradientBar(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedSize(110, 10)

    def paintEvent(self, event: QPaintEvent) -> None:
        gradient = QLinearGradient(0, 0, self.width(), 0)
        for i, colour in enumerate(CIVIDIS):
            gradient.setColorAt(i / (len(CIVIDIS) - 1), QColor(colour))
        painter = QPainter(self)
        painter.fillRect(self.rect(), gradient)
        painter.end()


class ColourLegend(QWidget):
    """`metric  unsure [gradient] sure`: what the heat colours mean."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmap.legend")
        self.setToolTip("Colour scale: cividis, readable with colour blindness")
        # Bold by font: a style-sheeted label kept its old colour after a light/dark switch.
        self.name = QLabel("probability", self)
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.bar = _GradientBar(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.name, QLabel("unsure", self), self.bar, QLabel("sure", self)):
            layout.addWidget(widget)

    def set_metric(self, metric: Metric) -> None:
        self.set_metric_name(str(metric))

    def set_metric_name(self, name: str) -> None:
        self.name.setText(name)

    def bar_rect(self) -> QRect:
        """The gradient, in the legend's coordinates."""
        return self.bar.geometry()
