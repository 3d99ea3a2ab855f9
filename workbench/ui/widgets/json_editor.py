"""A code editor for JSON: colours, line numbers, the bracket matching the one at the cursor,
and marks (a wavy underline and a dot in the gutter) where problems were found.

Tab indents by two spaces here, as in any code editor; Ctrl+Tab (Ctrl+Shift+Tab) moves the focus
on (back), so the keyboard is never trapped.

Folding: a line where an object or array opens and closes on a later line gets a ▾ in the gutter;
a click on it (or Ctrl+Shift+[ in the editor) hides the lines up to the closer and shows " … }"
after the line, a click on ▸ (or Ctrl+Shift+]) shows them again. QPlainTextEdit has no folding of
its own: the inner blocks are hidden by hand (`json_fold_view`), with the regions worked out on
demand by `json_folding` so typing in a huge schema never waits for them. Hidden blocks are
outside what the undo history knows: an edit, an undo or a cursor landing in them would act on
text nobody sees. So any change to the text unfolds everything first (and anything that slipped
past is unfolded the moment the document reports the change), a cursor moved into a fold (go to a
finding) opens it, and a folded line's gutter dot shows the worst mark hidden inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from workbench.ui.theme import PALETTE_EVENTS, error_text, palette_is_dark
from workbench.ui.widgets.json_fold_view import Folds
from workbench.ui.widgets.json_folding import brackets as _brackets
from workbench.ui.widgets.json_highlighter import JsonHighlighter

INDENT = "  "
MAX_MARKS = 500  # more than anyone reads; keeps repainting cheap on a huge broken paste
BRACKET_SCAN_LINES = 5_000  # the matching bracket is looked for this far, no further
_PAIRS = {"{": "}", "[": "]", "}": "{", "]": "["}
TOOLTIP = (
    "Tab indents by two spaces. Ctrl+Tab moves the focus on, Ctrl+Shift+Tab back.\n"
    "Ctrl+Shift+[ folds the object or array at the cursor, Ctrl+Shift+] unfolds it."
)
_FOLD_KEYS = (Qt.Key.Key_BracketLeft, Qt.Key.Key_BraceLeft)
_UNFOLD_KEYS = (Qt.Key.Key_BracketRight, Qt.Key.Key_BraceRight)
_EDIT_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Delete, Qt.Key.Key_Return, Qt.Key.Key_Enter)
_EDIT_SEQUENCES = (
    QKeySequence.StandardKey.Undo,
    QKeySequence.StandardKey.Redo,
    QKeySequence.StandardKey.Cut,
    QKeySequence.StandardKey.Paste,
)

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Mark:
    """A problem's place: 1-based line; `start`/`end` are character offsets, or None for the
    whole line."""

    line: int
    severity: Severity
    message: str
    start: int | None = None
    end: int | None = None


def warning_colour(palette: QPalette) -> QColor:
    return QColor("#e0a526") if palette_is_dark(palette) else QColor("#9a6700")


class _Gutter(QWidget):
    def __init__(self, editor: JsonEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setObjectName("json_editor.gutter")

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        line = self.editor.folds.marker_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and line is not None:
            self.editor.folds.toggle(line)
            event.accept()
            return
        super().mousePressEvent(event)


class JsonEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("json_editor")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self.setToolTip(TOOLTIP)
        self.marks: list[Mark] = []
        self._marked_lines: dict[int, Severity] = {}
        self._gutter = _Gutter(self)
        self.folds = Folds(self, self._gutter)
        self.highlighter = JsonHighlighter(self.document(), self.palette())
        self.blockCountChanged.connect(self._fit_gutter)
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._fit_gutter()

    # --- gutter --------------------------------------------------------------------------------
    @property
    def gutter(self) -> QWidget:
        return self._gutter

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        numbers = self.fontMetrics().horizontalAdvance("9") * max(digits, 2)
        return self.folds.column_width() + 4 + numbers + self._dot_size()

    def _dot_size(self) -> int:
        return max(6, self.fontMetrics().height() // 2)

    def _fit_gutter(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._fit_gutter()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        inner = self.contentsRect()
        self._gutter.setGeometry(
            QRect(inner.left(), inner.top(), self.gutter_width(), inner.height())
        )

    def paint_gutter(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        quiet = palette.color(QPalette.ColorRole.PlaceholderText)
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        dot = self._dot_size()
        text_right = self._gutter.width() - dot - 6
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber()
                self.folds.paint_marker(painter, number, block.text(), top, height)
                painter.setPen(
                    palette.color(QPalette.ColorRole.Text) if number == current else quiet
                )
                painter.drawText(
                    0, top, text_right, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
                severity = self._line_severity(number)
                if severity is not None:
                    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(self._mark_colour(severity))
                    painter.drawEllipse(text_right + 3, top + (height - dot) // 2, dot, dot)
                    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            block = self.folds.next_shown(block)
            top = bottom
        painter.end()

    def _line_severity(self, number: int) -> Severity | None:
        """The worst mark on line `number` (0-based), or, if it is folded, on any line it hides."""
        own = self._marked_lines.get(number + 1)
        region = self.folds.folded.get(number)
        if region is None or own == "error":
            return own
        hidden = {s for line, s in self._marked_lines.items() if number + 1 < line <= region[0] + 1}
        return "error" if "error" in hidden else own or ("warning" if hidden else None)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.folds.paint_hints(event)

    # --- marks and the bracket -----------------------------------------------------------------
    def _mark_colour(self, severity: Severity) -> QColor:
        palette = self.palette()
        return error_text(palette) if severity == "error" else warning_colour(palette)

    def set_marks(self, marks: list[Mark]) -> None:
        self.marks = marks[:MAX_MARKS]
        self._marked_lines = {}
        for mark in self.marks:  # an error outranks a warning on the same line
            if self._marked_lines.get(mark.line) != "error":
                self._marked_lines[mark.line] = mark.severity
        self._refresh_selections()
        self._gutter.update()

    def marks_on_line(self, line: int) -> list[Mark]:
        return [m for m in self.marks if m.line == line]

    def _mark_cursor(self, mark: Mark) -> QTextCursor | None:
        cursor = QTextCursor(self.document())
        size = self.document().characterCount() - 1
        if mark.start is not None and mark.end is not None and mark.end <= size:
            # An object's or array's problem underlines its first line only, not all of it.
            first_line_end = self.document().findBlock(mark.start)
            end = min(mark.end, first_line_end.position() + first_line_end.length() - 1)
            cursor.setPosition(mark.start)
            cursor.setPosition(max(end, mark.start + 1), QTextCursor.MoveMode.KeepAnchor)
            return cursor
        block = self.document().findBlockByNumber(mark.line - 1)
        if not block.isValid():
            return None
        cursor.setPosition(block.position())
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _refresh_selections(self) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        for mark in self.marks:
            cursor = self._mark_cursor(mark)
            if cursor is None:
                continue
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(self._mark_colour(mark.severity))
            selection.format = fmt  # type: ignore[attr-defined]
            selection.cursor = cursor  # type: ignore[attr-defined]
            selections.append(selection)
        selections += self._bracket_selections()
        self.setExtraSelections(selections)
        self._gutter.update()  # the current line's number is drawn stronger

    def matching_bracket(self) -> tuple[int, int] | None:
        """Positions of the bracket at (or just before) the cursor and of its partner."""
        cursor = self.textCursor()
        block, col = cursor.block(), cursor.positionInBlock()
        columns = dict(_brackets(block.text()))
        at = col if col in columns else col - 1 if col - 1 in columns else None
        if at is None:
            return None
        ch = columns[at]
        forward = ch in "{["
        depth = 0
        scanned = 0
        while block.isValid() and scanned < BRACKET_SCAN_LINES:
            marks = _brackets(block.text())
            if scanned == 0:
                marks = [m for m in marks if (m[0] >= at if forward else m[0] <= at)]
            for column, c in marks if forward else reversed(marks):
                if c == ch:
                    depth += 1
                elif c == _PAIRS[ch]:
                    depth -= 1
                    if depth == 0:
                        return cursor.block().position() + at, block.position() + column
            block = block.next() if forward else block.previous()
            scanned += 1
        return None

    def _bracket_selections(self) -> list[QTextEdit.ExtraSelection]:
        pair = self.matching_bracket()
        if pair is None:
            return []
        fmt = QTextCharFormat()
        highlight = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        highlight.setAlpha(90)
        fmt.setBackground(highlight)
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, False)
        out = []
        for position in pair:
            cursor = QTextCursor(self.document())
            cursor.setPosition(position)
            cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.format = fmt  # type: ignore[attr-defined]
            selection.cursor = cursor  # type: ignore[attr-defined]
            out.append(selection)
        return out

    # --- editing -------------------------------------------------------------------------------
    def replace_all(self, text: str) -> None:
        """Replace the whole text as one edit: a single Ctrl+Z brings the old text back."""
        self.folds.unfold_all()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        self.setTextCursor(cursor)

    def go_to(self, line: int, column: int = 1, start: int | None = None) -> None:
        """Put the cursor at `start` (an offset) if given, else at line/column (1-based)."""
        cursor = QTextCursor(self.document())
        if start is not None and start < self.document().characterCount():
            cursor.setPosition(start)
        else:
            block = self.document().findBlockByNumber(max(0, line - 1))
            if not block.isValid():
                block = self.document().lastBlock()
            cursor.setPosition(block.position() + min(max(0, column - 1), block.length() - 1))
        self.setTextCursor(cursor)
        self.centerCursor()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and ctrl:
            backwards = key == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
            # QPlainTextEdit's own override refuses while Tab types: ask QWidget's.
            QWidget.focusNextPrevChild(self, not backwards)
            return
        if ctrl and mods & Qt.KeyboardModifier.ShiftModifier and key in _FOLD_KEYS + _UNFOLD_KEYS:
            if key in _FOLD_KEYS:
                self.folds.fold_at_cursor()
            else:
                self.folds.unfold_at_cursor()
            return
        if self.folds.folded and _edits(event):
            self.folds.unfold_all()  # before the edit: nothing typed or undone acts on hidden text
        if key == Qt.Key.Key_Tab and not mods:
            self.textCursor().insertText(INDENT)
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods:
            self._newline_keeping_indent()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source: QMimeData) -> None:
        self.folds.unfold_all()  # paste and drop, like typing, never land in hidden text
        super().insertFromMimeData(source)

    def _dedent(self) -> None:
        cursor = self.textCursor()
        text = cursor.block().text()
        spaces = len(text) - len(text.lstrip(" "))
        remove = min(len(INDENT), spaces)
        if remove:
            cursor.setPosition(cursor.block().position())
            cursor.setPosition(cursor.position() + remove, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()

    def _newline_keeping_indent(self) -> None:
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        indent = before[: len(before) - len(before.lstrip(" "))]
        if before.rstrip().endswith(("{", "[")):
            indent += INDENT
        cursor.insertText("\n" + indent)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self._mark_tooltip(event.pos()):  # type: ignore[attr-defined]
            return True
        return super().viewportEvent(event)

    def _mark_tooltip(self, pos: QPoint) -> bool:
        """Over a marked line, its problems instead of the editor's own tooltip."""
        number = self.cursorForPosition(pos).blockNumber()
        last = self.folds.folded.get(number, (number, ""))[0]
        found = [m for m in self.marks if number + 1 <= m.line <= last + 1]
        if not found:
            return False
        QToolTip.showText(self.viewport().mapToGlobal(pos), "\n".join(m.message for m in found))
        return True

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS:
            self.highlighter.use_palette(self.palette())
            self._refresh_selections()


def _edits(event: QKeyEvent) -> bool:
    """Whether a key press (not a shortcut) would change the text."""
    if event.key() in _EDIT_KEYS or any(event.matches(k) for k in _EDIT_SEQUENCES):
        return True
    text = event.text()
    return bool(text) and (text.isprintable() or text == "\t")
