"""One chat message's markdown, rendered as it streams in, at most once per frame.

Finished blocks are rendered once and appended to the finished region of the document; only the
open tail (from `_tail_start` to the end) is replaced on each update, so an update costs the tail
plus the new blocks, never the whole message.

Huge answers are capped so no pass takes long, whatever their shape: a block longer than
`BLOCK_CAP` (Qt's layout of one long paragraph costs more than its length) shows its first part
and a "Show all" link to a plain-text dialog; while the open tail is that long only its link's
size label changes, so an append costs its delta, not the tail. Past `TOTAL_CAP` characters the
rest of the message is left to "Show all", and never split into blocks at all.

Nothing in a pass scales with the message: received text waits in `_unfed` and is split into
blocks `FEED_SLICE` characters at a time for at most `FEED_BUDGET_S` (and `FEED_LINES`), and
only while fewer than a pass's worth of blocks wait to be rendered; a pass renders at most
`PASS_BLOCKS` blocks or `PASS_CHARS` characters, and stops at `PASS_BUDGET_S` once it did
`PASS_MIN_BLOCKS`. Whatever is left goes on in the next event-loop turn, so opening a 20 MB
message costs what its first screenful does.
"""

from __future__ import annotations

import math
import time
from collections import deque
from html import escape

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCursor,
    QDesktopServices,
    QPalette,
    QTextCursor,
    QTextFormat,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QFrame, QSizePolicy, QTextBrowser, QToolTip, QWidget

from workbench.core.markdown import BlockSplitter, References, render_block, with_definitions
from workbench.ui.widgets.full_text_dialog import FullTextDialog, size_label

FRAME_MS = 16  # deltas arriving within one frame are painted together
_ZWSP = "\u200b"
_THROWAWAY_BLOCK = f"<p>{_ZWSP}</p>"
_RULE = QTextFormat.Property.BlockTrailingHorizontalRulerWidth
BLOCK_CAP = 20_000  # characters of one block laid out; a longer one is shown folded
PREVIEW_CHARS = 3_000  # what a folded block shows of itself
TOTAL_CAP = 200_000  # characters of a message laid out; the rest is behind "Show all"
PASS_BLOCKS = 40  # finished blocks rendered in one pass (a highlighted one costs ~1 ms)...
PASS_CHARS = 10_000  # ...or this many characters of them, whichever comes first...
PASS_BUDGET_S = 0.008  # ...or until rendering took this long, once PASS_MIN_BLOCKS are done
PASS_MIN_BLOCKS = 16  # so a short message is always shown whole in its first pass
FEED_SLICE = 16_000  # characters handed to the block splitter at once
FEED_BUDGET_S = 0.004  # splitting per pass: it is Python, per line (20 MB of short lines: 0.4 s)
FEED_LINES = 5_000  # ...and at most this many lines of it (a long line costs no more)
COPIED_TIP = "Copied"


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
        self._received_chars = 0
        self._unfed: deque[str] = deque()  # received, not yet split into blocks, in order
        self._unfed_at = 0  # characters of _unfed[0] already split
        self._fed_chars = 0  # characters handed to the splitter
        self._dirty = False  # appended since the last update
        self._ended = False  # finish() was called: the open block ends once all is split
        self._closed = False  # ...and it did
        self._whole = False  # set_markdown gave the whole text (no appends since)
        self._splitter = BlockSplitter()
        self._definitions_known = 0  # of the splitter's candidate definition lines, parsed
        self._finished_references: References = {}  # what those lines define
        self._open_definition: str | None = None  # the unfinished last line, if it may be one
        self._references: References = {}  # `[label]: url` lines, for `![alt][label]` anywhere
        self._references_stale = False  # definitions came after blocks that may use them
        self._reset_shown()
        self._height = 0

    def _reset_shown(self) -> None:
        """Forgets what the document shows (not what was received), to show it afresh."""
        self._queue: deque[str] = deque()  # finished blocks not rendered yet, in order
        self._blocks: list[str] = []  # finished blocks' markdown, kept to re-render them
        self._code: list[str] = []  # code of finished blocks; copy:<n> indexes this, then the tail
        self._tail_code: tuple[str, ...] = ()
        self._folds: list[str] = []  # full text of folded finished blocks; show:<n> indexes it
        self._shown_chars = 0  # characters of finished blocks laid out
        self._overflow = False  # TOTAL_CAP reached: later blocks are behind "show:all"
        self._requeued = 0  # blocks shown before and queued again (a re-render): never dropped
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

    @property
    def received_chars(self) -> int:
        """How much text there is, without joining it."""
        return self._received_chars

    def set_markdown(self, text: str) -> None:
        """Shows `text` as the whole content; `append` may continue it. Only the first part is
        laid out now, the rest over the next event-loop turns (see the module's doc)."""
        self._timer.stop()
        self._reset()
        self._received.append(text)
        self._received_chars = len(text)
        self._whole = True
        if text:
            self._unfed.append(text)
        self._apply()

    def append(self, delta: str) -> None:
        """Adds streamed text. Cheap: it is painted with the rest of this frame's deltas."""
        if not delta:
            return
        self._received.append(delta)
        self._received_chars += len(delta)
        self._whole = False
        self._dirty = True
        if not self._overflow:  # past the cap nothing more is split or shown, only counted
            self._unfed.append(delta)
        if not self._timer.isActive():
            self._timer.start(FRAME_MS)

    def flush(self) -> None:
        """Applies the buffered deltas now instead of at the end of the frame."""
        self._timer.stop()
        if self._dirty or self._more():
            self._apply()

    def finish(self) -> None:
        """The stream ended: the open tail becomes a finished block."""
        self._timer.stop()
        self._ended = True
        self._apply()

    def _more(self) -> bool:
        """Blocks wait to be laid out, or text to be split (unless past the cap)."""
        if self._queue:
            return True
        return not self._overflow and bool(self._unfed or (self._ended and not self._closed))

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
        self._rerender()
        self._apply()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._dark_choice is None:
            self._set_dark(palette_is_dark())

    # -- the update --------------------------------------------------------------------------

    def _apply(self) -> None:
        started = time.perf_counter()
        self._queue.extend(self._split_some(started + FEED_BUDGET_S))
        self._learn_definitions()
        if self._references_stale and not self._unfed and (self._ended or self._whole):
            self._rerender()  # once all is split: definitions at the end of a whole text
        batch = self._take_batch(started + FEED_BUDGET_S + PASS_BUDGET_S)
        self._dirty = False
        if self._more():
            self._timer.start(0)  # the rest in the next event-loop turn, after a paint
        if self._queue:  # the tail comes after blocks still waiting: shown when they are
            tail_key, tail_html, tail_code = self._tail_key, "", self._tail_code
        else:  # (while splitting goes on, the tail as split so far)
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
        # One insert for the batch: Qt parses and lays out one fragment, each block in it
        # keeping its own format, at a fraction of the cost of a fragment per block.
        html = "\n".join(html for _block, html in batch if html)
        if html:
            _append_html(cursor, html, into_empty_document=empty)
            empty = False
            self._finished_shown = True
        self._blocks += [block for block, _html in batch]
        self._tail_start = cursor.position()
        self._tail_key, self._tail_code = tail_key, tail_code
        if tail_html:
            _append_html(cursor, tail_html, into_empty_document=empty)
        cursor.endEditBlock()
        self.updated.emit()

    def _split_some(self, deadline: float) -> list[str]:
        """Blocks finished by the next slices of received text: while fewer than a pass's worth
        wait, for at most the time left before `deadline` and FEED_LINES. Past the cap nothing
        is split."""
        finished: list[str] = []
        lines = 0
        while (
            self._unfed
            and not self._overflow
            and len(self._queue) + len(finished) < PASS_BLOCKS
            and lines < FEED_LINES
        ):
            piece, at = self._unfed[0], self._unfed_at
            lines += piece.count("\n", at, at + FEED_SLICE)
            if len(piece) - at <= FEED_SLICE:
                self._unfed.popleft()
                self._unfed_at = 0
                finished += self._splitter.feed(piece[at:] if at else piece)
                self._fed_chars += len(piece) - at
            else:  # an offset into a long text, so each slice copies only itself
                self._unfed_at = at + FEED_SLICE
                finished += self._splitter.feed(piece[at : at + FEED_SLICE])
                self._fed_chars += FEED_SLICE
            if time.perf_counter() > deadline:
                break
        if self._overflow:
            self._unfed.clear()
            self._unfed_at = 0
        elif self._ended and not self._unfed and not self._closed:
            self._closed = True
            finished += self._splitter.finish()
        return finished

    def _learn_definitions(self) -> None:
        lines = self._splitter.definitions
        # The unfinished last line counts too (a whole text's last line has no newline), but is
        # not kept: while streaming it may be half of a definition.
        last = self._splitter.open_definition() if not self._unfed else None
        if len(lines) == self._definitions_known and last == self._open_definition:
            return
        known = self._references
        self._finished_references = with_definitions(
            self._finished_references, lines[self._definitions_known :]
        )
        self._definitions_known, self._open_definition = len(lines), last
        self._references = self._finished_references
        if last is not None:
            self._references = with_definitions(self._references, [last])
        if self._references != known and self._finished_shown:
            self._references_stale = True

    def _rerender(self) -> None:
        """Shows the finished blocks afresh (new definitions, another theme), a pass at a time."""
        self._references_stale = False
        blocks = [*self._blocks, *self._queue]
        overflow = self._overflow
        self._reset_shown()
        self._overflow = overflow
        self._queue.extend(blocks)
        self._requeued = len(self._blocks) if overflow else len(blocks)

    def _take_batch(self, deadline: float) -> list[tuple[str, str]]:
        """The queued blocks this pass lays out, with their html; past TOTAL_CAP, blocks are only
        dropped from the queue, since "show:all" shows them from the received text."""
        batch: list[tuple[str, str]] = []
        chars = 0
        while self._queue and len(batch) < PASS_BLOCKS and chars < PASS_CHARS:
            if len(batch) >= PASS_MIN_BLOCKS and time.perf_counter() > deadline:
                break
            block = self._queue.popleft()
            shown = len(block) if len(block) <= BLOCK_CAP else PREVIEW_CHARS
            if self._requeued:
                self._requeued -= 1  # it was shown before: it is shown again
            elif self._overflow or (self._shown_chars and self._shown_chars + shown > TOTAL_CAP):
                self._overflow = True  # the rest is behind "show:all": never split or laid out
                self._queue.clear()
                self._unfed.clear()
                self._unfed_at = 0
                break
            batch.append((block, self._finished_html(block)))
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
            # Said where the user clicked (a link cannot change its own text without shifting
            # the document under the open tail), and through code_copied to the status bar.
            QToolTip.showText(QCursor.pos(), COPIED_TIP, self)
            self.code_copied.emit(index)
        elif url.scheme() == "show":
            self._show_all(url.path())
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    def _show_all(self, which: str) -> None:
        if which == "all":
            text = self.text()
        elif which == "tail":  # (what is not split yet follows it: shown with it)
            tail = self._fed_chars - self._splitter.tail_length
            text = self.text()[tail:] if self._unfed else self._splitter.tail
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
