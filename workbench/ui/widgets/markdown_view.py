"""One chat message's markdown, rendered as it streams in, at most once per frame.

Finished blocks are rendered once and appended to the finished region of the document; only the
open tail (from `_tail_start` to the end) is replaced on each update, so an update costs the tail
plus the new blocks, never the whole message.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QPalette,
    QTextCursor,
    QTextFormat,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QFrame, QSizePolicy, QTextBrowser, QWidget

from workbench.core.markdown import BlockSplitter, render_block

FRAME_MS = 16  # deltas arriving within one frame are painted together
_ZWSP = "\u200b"
_THROWAWAY_BLOCK = f"<p>{_ZWSP}</p>"
_RULE = QTextFormat.Property.BlockTrailingHorizontalRulerWidth


def palette_is_dark() -> bool:
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _append_html(cursor: QTextCursor, html: str, *, into_empty_document: bool) -> None:
    """Appends html's blocks after the cursor's block, each keeping its own block format.

    insertHtml merges the fragment's first block into the cursor's block, which keeps its own
    format (a quote would lose its indent, a heading its margins). So a throwaway first block,
    one zero-width space, takes that merge and is then deleted: the end of the previous block is
    left exactly as it was, and removing everything after it restores it.
    """
    start = cursor.position()
    document = cursor.document()
    if into_empty_document:
        cursor.insertHtml(html)  # into an empty document Qt keeps the first block's format...
        first = document.begin()
        if first.length() == 1 and first.next().blockFormat().hasProperty(_RULE):
            QTextCursor(document).deleteChar()  # ...except a leading <hr>, put after an empty one
        return
    # Merging into an empty block would take over its format instead (an <hr> would vanish),
    # so an empty previous block holds a guard character while the fragment goes in.
    guarded = cursor.block().length() == 1
    if guarded:
        cursor.insertText(_ZWSP)
    cursor.insertHtml(_THROWAWAY_BLOCK + html)
    for position in (start + 1, start) if guarded else (start,):
        if document.characterAt(position) == _ZWSP:
            eraser = QTextCursor(document)
            eraser.setPosition(position)
            eraser.deleteChar()


class MarkdownView(QTextBrowser):
    """Read-only, selectable markdown whose height follows its content (it never scrolls)."""

    updated = Signal()  # after each applied update, e.g. to keep a chat scrolled to the bottom
    code_copied = Signal(int)  # index of the code block whose text went to the clipboard

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setOpenLinks(False)  # every link goes through _open_link, which filters schemes
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.viewport().setAutoFillBackground(False)
        document = self.document()
        document.setUndoRedoEnabled(False)  # nobody undoes a stream; the history would only grow
        document.setDocumentMargin(2)
        document.documentLayout().documentSizeChanged.connect(self._fit_height)
        self.anchorClicked.connect(self._open_link)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.flush)

        self._dark_choice: bool | None = None  # None: follow the application palette
        self._dark = palette_is_dark()
        self._reset()

    def _reset(self) -> None:
        self._received: list[str] = []
        self._pending: list[str] = []
        self._splitter = BlockSplitter()
        self._blocks: list[str] = []  # finished blocks' markdown, kept to re-render on theme change
        self._code: list[str] = []  # code of finished blocks; copy:<n> indexes this, then the tail
        self._tail = ""
        self._tail_code: tuple[str, ...] = ()
        self._tail_start = 0
        self._finished_shown = False  # any finished block in the document (an <hr> may be at 0)
        self._height = 0

    # -- content -----------------------------------------------------------------------------

    def text(self) -> str:
        """All markdown received so far."""
        if len(self._received) > 1:
            self._received = ["".join(self._received)]
        return self._received[0] if self._received else ""

    def set_markdown(self, text: str) -> None:
        """Shows `text` as the whole content, at once; `append` may continue it."""
        self._timer.stop()
        self._reset()
        self._received.append(text)
        self._apply(self._splitter.feed(text), self._splitter.tail)

    def append(self, delta: str) -> None:
        """Adds streamed text. Cheap: it is painted with the rest of this frame's deltas."""
        if not delta:
            return
        self._received.append(delta)
        self._pending.append(delta)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Applies the buffered deltas now instead of at the end of the frame."""
        self._timer.stop()
        if self._pending:
            delta = "".join(self._pending)
            self._pending.clear()
            self._apply(self._splitter.feed(delta), self._splitter.tail)

    def finish(self) -> None:
        """The stream ended: the open tail becomes a finished block."""
        self.flush()
        self._apply(self._splitter.finish(), "")

    def code_text(self, index: int) -> str:
        """Raw text of the index-th code block (the target of link `copy:<index>`)."""
        if index < 0:
            raise IndexError(index)
        if index < len(self._code):
            return self._code[index]
        return self._tail_code[index - len(self._code)]

    # -- theme -------------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        """Pins the code colours to dark or light, no longer following the palette."""
        self._dark_choice = dark
        self._set_dark(dark)

    def _set_dark(self, dark: bool) -> None:
        if dark == self._dark:
            return
        self._dark = dark
        blocks, tail = self._blocks, self._tail
        self._blocks, self._code, self._tail, self._tail_code, self._tail_start = [], [], "", (), 0
        self._finished_shown = False
        self._apply(blocks, tail)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._dark_choice is None:
            self._set_dark(palette_is_dark())

    # -- the update --------------------------------------------------------------------------

    def _apply(self, finished: list[str], tail: str) -> None:
        document = self.document()
        empty = not self._finished_shown
        if empty:
            document.clear()  # all of it is tail: start from a pristine first block
        cursor = QTextCursor(document)
        cursor.beginEditBlock()  # one layout pass for the whole update
        cursor.setPosition(self._tail_start)
        last = cursor.block()
        # Joining an empty block (an <hr>, the block after a table) with the next one gives the
        # result the next one's format, so the last finished block's format is put back.
        formats = (last.blockFormat(), last.charFormat()) if last.length() == 1 else None
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if formats is not None:
            cursor.setBlockFormat(formats[0])
            cursor.setBlockCharFormat(formats[1])
        for block in finished:
            rendered = render_block(block, first_code_index=len(self._code), dark=self._dark)
            _append_html(cursor, rendered.html, into_empty_document=empty)
            empty = empty and not rendered.html
            self._finished_shown = not empty
            self._blocks.append(block)
            self._code.extend(rendered.code)
        self._tail_start = cursor.position()
        self._tail, self._tail_code = tail, ()
        if tail.strip():
            rendered = render_block(tail, first_code_index=len(self._code), dark=self._dark)
            _append_html(cursor, rendered.html, into_empty_document=empty)
            self._tail_code = rendered.code
        cursor.endEditBlock()
        self.updated.emit()

    # -- links -------------------------------------------------------------------------------

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() == "copy":
            try:
                index = int(url.path())
                code = self.code_text(index)
            except (ValueError, IndexError):
                return
            QApplication.clipboard().setText(code)
            self.code_copied.emit(index)
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    # -- size: as tall as the content at the current width ------------------------------------

    def _fit_height(self) -> None:
        height = self._content_height()
        if height != self._height:
            self._height = height
            self.updateGeometry()

    def _content_height(self) -> int:
        margins = self.contentsMargins()
        document_height = self.document().size().height()
        return math.ceil(document_height) + margins.top() + margins.bottom()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._content_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self._content_height())

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # let the surrounding scroll area scroll the conversation
