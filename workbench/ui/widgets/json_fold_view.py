"""Folding for the JSON editor, the Qt side: which blocks are hidden, the gutter's fold markers,
and the quiet " … }" after a folded line. Where regions are is `json_folding`'s business.

A fold hides the inner blocks (`QTextBlock.setVisible(False)`) and tells the layout
(`markContentsDirty`); the text is untouched, so folding is no edit and never enters the undo
history. The editor unfolds everything before any edit it sees coming (a key that types, paste,
drop, `replace_all`), and `contentsChange` unfolds whatever an unforeseen edit (undo from the
menu, `setPlainText`) left hidden; a cursor that lands inside a fold opens it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QTextBlock
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from workbench.ui.theme import quiet_text
from workbench.ui.widgets.json_folding import FoldIndex, closer_of, innermost

GLYPHS = ("▾", "▸")  # open, folded
PLAIN_GLYPHS = ("-", "+")
RESCAN_MS = 400  # after typing pauses, the exact regions replace the per-line guess


class Folds:
    """The folded regions of one editor: {first line: (last hidden line, closer)}, 0-based."""

    def __init__(self, editor: QPlainTextEdit, gutter: QWidget) -> None:
        self.editor = editor
        self.gutter = gutter
        self.folded: dict[int, tuple[int, str]] = {}
        self._index = FoldIndex()
        self._revision = 0
        self._rescan = QTimer(editor)
        self._rescan.setSingleShot(True)
        self._rescan.setInterval(RESCAN_MS)
        self._rescan.timeout.connect(self._scan)
        editor.document().contentsChange.connect(self._text_changed)
        editor.cursorPositionChanged.connect(self._reveal_cursor)

    # --- where regions are ---------------------------------------------------------------------
    def regions(self) -> dict[int, int]:
        """Computed now if the text changed since last asked (a click, a shortcut, a pause)."""
        return self._index.regions(self._revision, self._lines)

    def _lines(self) -> list[str]:
        return self.editor.document().toRawText().split("\u2029")

    def _scan(self) -> None:
        self.regions()
        self.gutter.update()

    def foldable(self, number: int, text: str) -> bool:
        """For painting: exact when the regions are known, else a guess from the line alone
        (right for any balanced JSON), so a keystroke never waits for the whole document."""
        known = self._index.cached(self._revision)
        return number in known if known is not None else closer_of(text) is not None

    def hidden(self, number: int) -> bool:
        return any(start < number <= end for start, (end, _c) in self.folded.items())

    # --- folding -------------------------------------------------------------------------------
    def fold(self, start: int) -> bool:
        end = self.regions().get(start)
        if end is None or start in self.folded or self.hidden(start):
            return False
        block = self.editor.document().findBlockByNumber(start)
        self.folded[start] = (end, closer_of(block.text()) or "}")
        cursor = self.editor.textCursor()
        doc = self.editor.document()
        if any(
            start < doc.findBlock(p).blockNumber() <= end
            for p in (cursor.anchor(), cursor.position())
        ):
            cursor.setPosition(block.position() + block.length() - 1)
            self.editor.setTextCursor(cursor)
        self._show(start + 1, end, visible=False)
        return True

    def unfold(self, start: int) -> bool:
        region = self.folded.pop(start, None)
        if region is None:
            return False
        self._show(start + 1, region[0])
        return True

    def toggle(self, start: int) -> bool:
        return self.unfold(start) or self.fold(start)

    def fold_at_cursor(self) -> bool:
        line = self.editor.textCursor().blockNumber()
        start = innermost(self.regions(), line)
        while start is not None and start in self.folded:  # already folded: the one around it
            start = innermost({s: e for s, e in self.regions().items() if s < start}, start)
        return start is not None and self.fold(start)

    def unfold_at_cursor(self) -> bool:
        return self.unfold(self.editor.textCursor().blockNumber())

    def unfold_all(self) -> None:
        if not self.folded:
            return
        first = min(self.folded)
        last = max(end for end, _c in self.folded.values())
        self.folded.clear()
        self._show(first + 1, last)

    def _show(self, first: int, last: int, visible: bool = True) -> None:
        """Show (hide) blocks first..last, leaving the folds still folded inside them hidden,
        then relayout them."""
        doc = self.editor.document()
        block = doc.findBlockByNumber(first)
        if not block.isValid():
            return
        start, number, done = block.position(), first, block
        while block.isValid() and number <= last:
            block.setVisible(visible)
            done = block
            inner = self.folded.get(number) if visible else None
            if inner is None:
                block, number = block.next(), number + 1
            else:  # its own lines stay hidden: skip them
                number = inner[0] + 1
                block = doc.findBlockByNumber(number)
        self._relayout(start, done.position() + done.length())

    def _relayout(self, start: int, end: int) -> None:
        doc = self.editor.document()
        doc.markContentsDirty(start, min(end, doc.characterCount()) - start)
        self.editor.viewport().update()
        self.gutter.update()

    # --- keeping it safe -----------------------------------------------------------------------
    def _text_changed(self, position: int, _removed: int, _added: int) -> None:
        self._revision += 1
        self._rescan.start()
        if not self.folded:
            return
        # Line numbers may have moved: show every hidden block from the first that could be one.
        doc = self.editor.document()
        first = min(min(self.folded), doc.findBlock(position).blockNumber())
        self.folded.clear()
        block = doc.findBlockByNumber(first)
        start = block.position()
        while block.isValid():
            if not block.isVisible():
                block.setVisible(True)
            block = block.next()
        self._relayout(start, doc.characterCount())

    def _reveal_cursor(self) -> None:
        if not self.folded:
            return
        line = self.editor.textCursor().blockNumber()
        for start in [s for s, (e, _c) in self.folded.items() if s < line <= e]:
            self.unfold(start)

    # --- drawing -------------------------------------------------------------------------------
    def glyphs(self) -> tuple[str, str]:
        metrics = QFontMetrics(self.editor.font())
        return GLYPHS if all(metrics.inFontUcs4(ord(g)) for g in GLYPHS) else PLAIN_GLYPHS

    def column_width(self) -> int:
        metrics = QFontMetrics(self.editor.font())
        return 8 + max(metrics.horizontalAdvance(g) for g in self.glyphs())

    def paint_marker(
        self, painter: QPainter, number: int, text: str, top: int, height: int
    ) -> None:
        folded = number in self.folded
        if not folded and not self.foldable(number, text):
            return
        painter.setPen(quiet_text(self.editor.palette()))
        painter.drawText(
            QRect(2, top, self.column_width() - 4, height),
            Qt.AlignmentFlag.AlignCenter,
            self.glyphs()[1 if folded else 0],
        )

    def marker_at(self, pos: QPoint) -> int | None:
        """The line (0-based) whose fold marker is under `pos` in the gutter, if it has one."""
        if pos.x() >= self.column_width():
            return None
        editor = self.editor
        block = editor.firstVisibleBlock()
        top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
        while block.isValid() and top <= pos.y():
            height = editor.blockBoundingRect(block).height()
            if block.isVisible() and top <= pos.y() < top + height:
                return block.blockNumber()
            top += height
            block = self.next_shown(block)
        return None

    def next_shown(self, block: QTextBlock) -> QTextBlock:
        """The block after `block`, skipping the blocks a fold starting at it hides."""
        region = self.folded.get(block.blockNumber())
        if region is None:
            return block.next()
        return self.editor.document().findBlockByNumber(region[0] + 1)

    def paint_hints(self, event: QPaintEvent) -> None:
        """ " … }" after each folded line's text, in quiet text, on the editor's viewport."""
        if not self.folded:
            return
        editor = self.editor
        metrics = QFontMetrics(editor.font())
        dots = "…" if metrics.inFontUcs4(0x2026) else "..."
        painter = QPainter(editor.viewport())
        painter.setPen(quiet_text(editor.palette()))
        offset = editor.contentOffset()
        for start, (_end, closer) in self.folded.items():
            block = editor.document().findBlockByNumber(start)
            if not block.isVisible() or block.layout().lineCount() == 0:
                continue
            geometry = editor.blockBoundingGeometry(block).translated(offset)
            line = block.layout().lineAt(block.layout().lineCount() - 1)
            x = round(geometry.left() + line.x() + line.naturalTextWidth())
            y = round(geometry.top() + line.y())
            rect = QRect(
                x, y, metrics.horizontalAdvance(f" {dots} {closer} "), round(line.height())
            )
            if rect.intersects(event.rect()):
                painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, f" {dots} {closer}")
        painter.end()
