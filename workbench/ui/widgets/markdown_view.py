"""One chat message's markdown, rendered as it streams in, at most once per frame.

Finished blocks are rendered once and appended to the finished region of the document; only the
open tail (from `_tail_start` to the end) is replaced on each update, so an update costs the tail
plus the new blocks, never the whole message.

Huge answers are capped so no pass takes long, whatever their shape: a block longer than
`BLOCK_CAP` (Qt's layout of one long paragraph costs more than its length) shows its first part
and a "Show all" link to a plain-text dialog; while the open tail is that long only its link's
size label changes, so an append costs its delta, not the tail. Past `TOTAL_CAP` characters the
rest of the message is left to "Show all", and a pass renders at most `PASS_BLOCKS` blocks or
`PASS_CHARS` characters, leaving the rest for the next frame (5,000 code fences arrive at once).
"""

from __future__ import annotations

import math
from collections import deque
from html import escape

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QPalette,
    QTextCursor,
    QTextFormat,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QFrame, QSizePolicy, QTextBrowser, QWidget

from workbench.core.markdown import BlockSplitter, References, reference_definitions, render_block
from workbench.ui.widgets.full_text_dialog import FullTextDialog, size_label

FRAME_MS = 16  # deltas arriving within one frame are painted together
_ZWSP = "\u200b"
_THROWAWAY_BLOCK = f"<p>{_ZWSP}</p>"
_RULE = QTextFormat.Property.BlockTrailingHorizontalRulerWidth
BLOCK_CAP = 20_000  # characters of one block laid out; a longer one is shown folded
PREVIEW_CHARS = 3_000  # what a folded block shows of itself
TOTAL_CAP = 200_000  # characters of a message laid out; the rest is behind "Show all"
PASS_BLOCKS = 40  # finished blocks rendered in one pass (a highlighted one costs ~1 ms)...
PASS_CHARS = 10_000  # ...or this many characters of them, whichever comes first


def _folded_html(preview: str, href: str, size: int) -> str:
    # Plain text, not markdown: a cut can fall anywhere, and a partial code block's Copy link
    # would copy a part. The dialog behind the link shows and copies all of it.
    return (
        f'<p style="white-space:pre-wrap;">{escape(preview, quote=False)}…</p>'
        f'<p><a href="{href}">Show all ({size_label(size)})</a>'
        " <small>(too long to show here)</small></p>"
    )


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
        self._received_chars = 0
        self._references: References = {}  # `[label]: url` lines, for `![alt][label]` anywhere
        self._reset_shown()
        self._height = 0

    def _reset_shown(self) -> None:
        """Forgets what the document shows (not what was received), to show it afresh."""
        self._queue: deque[str] = deque()  # finished blocks not rendered yet, in order
        self._blocks = []
        self._code = []
        self._tail_code: tuple[str, ...] = ()
        self._folds: list[str] = []  # full text of folded finished blocks; show:<n> indexes it
        self._shown_chars = 0  # characters of finished blocks laid out
        self._overflow = False  # TOTAL_CAP reached: later blocks are behind "show:all"
        self._tail_key: str | None = None  # what a folded tail shows, to skip unchanged repaints
        self._tail_start = 0
        self._finished_shown = False  # any finished block in the document (an <hr> may be at 0)
        self.full_text_dialog: FullTextDialog | None = None

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
        self._received_chars = len(text)
        self._references = _references_in(text)
        self._apply(self._splitter.feed(text))

    def append(self, delta: str) -> None:
        """Adds streamed text. Cheap: it is painted with the rest of this frame's deltas."""
        if not delta:
            return
        self._received.append(delta)
        self._received_chars += len(delta)
        self._pending.append(delta)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Applies the buffered deltas now instead of at the end of the frame."""
        self._timer.stop()
        if self._pending:
            delta = "".join(self._pending)
            self._pending.clear()
            self._apply(self._splitter.feed(delta))
        elif self._queue:
            self._apply([])

    def finish(self) -> None:
        """The stream ended: the open tail becomes a finished block."""
        self.flush()
        text = self.text()
        if _references_in(text) != self._references:
            # Definitions came after the blocks that use them (they usually sit at the end).
            self.set_markdown(text)
        self._apply(self._splitter.finish())

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
        blocks = [*self._blocks, *self._queue]
        self._reset_shown()
        self._apply(blocks)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._dark_choice is None:
            self._set_dark(palette_is_dark())

    # -- the update --------------------------------------------------------------------------

    def _apply(self, finished: list[str]) -> None:
        self._queue.extend(finished)
        batch = self._take_batch()
        htmls = [self._finished_html(block) for block in batch]  # before the tail's code indices
        if self._queue:  # the tail comes after blocks still waiting: shown when they are
            tail_key, tail_html, tail_code = self._tail_key, "", self._tail_code
            self._timer.start()
        else:
            tail_key, tail_html, tail_code = self._tail_region()
        if not batch and tail_key is not None and tail_key == self._tail_key:
            return  # a folded tail grew, and its label reads the same: nothing to lay out
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
        for block, html in zip(batch, htmls, strict=True):
            _append_html(cursor, html, into_empty_document=empty)
            empty = empty and not html
            self._finished_shown = not empty
            self._blocks.append(block)
        self._tail_start = cursor.position()
        self._tail_key, self._tail_code = tail_key, tail_code
        if tail_html:
            _append_html(cursor, tail_html, into_empty_document=empty)
        cursor.endEditBlock()
        self.updated.emit()

    def _take_batch(self) -> list[str]:
        """The queued blocks this pass lays out; past TOTAL_CAP, blocks are only dropped from
        the queue, since "show:all" shows them from the received text."""
        batch: list[str] = []
        chars = 0
        while self._queue and len(batch) < PASS_BLOCKS and chars < PASS_CHARS:
            block = self._queue.popleft()
            shown = len(block) if len(block) <= BLOCK_CAP else PREVIEW_CHARS
            if self._overflow or (self._shown_chars and self._shown_chars + shown > TOTAL_CAP):
                self._overflow = True
                continue
            batch.append(block)
            chars += shown
            self._shown_chars += shown
        return batch

    def _finished_html(self, block: str) -> str:
        if len(block) > BLOCK_CAP:
            self._folds.append(block)
            return _folded_html(block[:PREVIEW_CHARS], f"show:{len(self._folds) - 1}", len(block))
        rendered = render_block(
            block, first_code_index=len(self._code), dark=self._dark, references=self._references
        )
        self._code.extend(rendered.code)
        return rendered.html

    def _tail_region(self) -> tuple[str | None, str, tuple[str, ...]]:
        """What follows the finished blocks: (a key that is None when it must be redrawn each
        time, its html, its code blocks). The open tail is joined only when it is short."""
        if self._overflow:
            label = size_label(self._received_chars)
            html = (
                f'<p><a href="show:all">Show all ({label})</a>'
                " <small>(the rest of this message is too long to show here)</small></p>"
            )
            return f"all {label}", html, ()
        size = self._splitter.tail_length
        if size > BLOCK_CAP:
            preview = self._splitter.tail_head(PREVIEW_CHARS)
            return f"tail {size_label(size)}", _folded_html(preview, "show:tail", size), ()
        tail = self._splitter.tail
        if not tail.strip():
            return "", "", ()
        rendered = render_block(
            tail, first_code_index=len(self._code), dark=self._dark, references=self._references
        )
        return None, rendered.html, rendered.code

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
        elif url.scheme() == "show":
            self._show_all(url.path())
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    def _show_all(self, which: str) -> None:
        if which == "all":
            text = self.text()
        elif which == "tail":
            text = self._splitter.tail
        elif which.isdigit() and int(which) < len(self._folds):
            text = self._folds[int(which)]
        else:
            return
        if self.full_text_dialog is not None:
            self.full_text_dialog.close()
            self.full_text_dialog.deleteLater()
        self.full_text_dialog = FullTextDialog(text, self.window())
        self.full_text_dialog.show()

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


def _references_in(text: str) -> References:
    # Most answers define nothing: skip the parse unless a definition could be there.
    return reference_definitions(text) if "]:" in text else {}
