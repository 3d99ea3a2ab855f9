"""Folding in the JSON editor, driven as a person does: a click on the gutter's marker, Ctrl+Shift+[
and ] in the editor, typing, undo and go-to while something is folded. Then the pure region
finder (`json_folding`) on its own."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QColor, QTextCursor

from workbench.ui.widgets.json_editor import JsonEditor, Mark
from workbench.ui.widgets.json_folding import (
    FoldIndex,
    brackets,
    closer_of,
    fold_ranges,
    innermost,
)

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "tags"],
    "additionalProperties": False,
}
TEXT = json.dumps(SCHEMA, indent=2)
LINES = TEXT.split("\n")
# Line 3 (1-based) is `"properties": {`; its closer `},` is line 13.
PROPERTIES, PROPERTIES_END = 3, 13


@pytest.fixture
def editor(qtbot) -> JsonEditor:
    widget = JsonEditor()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.setPlainText(TEXT)
    widget.show()
    qtbot.waitExposed(widget)
    widget.setFocus()
    return widget


def visible(editor: JsonEditor, line: int) -> bool:
    return editor.document().findBlockByNumber(line - 1).isVisible()


def hidden_lines(editor: JsonEditor) -> list[int]:
    return [n for n in range(1, editor.blockCount() + 1) if not visible(editor, n)]


def shown_lines(editor: JsonEditor) -> float:
    """How many lines the layout lays out (what the viewport and scroll bar show)."""
    return editor.document().documentLayout().documentSize().height()


def line_top(editor: JsonEditor, line: int) -> int:
    block = editor.document().findBlockByNumber(line - 1)
    return round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())


def click_marker(qtbot, editor: JsonEditor, line: int) -> None:
    height = editor.fontMetrics().height()
    at = QPoint(editor.folds.column_width() // 2, line_top(editor, line) + height // 2)
    assert editor.folds.marker_at(at) == line - 1  # the marker is drawn where the click lands
    qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=at)


def put_cursor(editor: JsonEditor, line: int, column: int = 0) -> None:
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(line - 1).position() + column)
    editor.setTextCursor(cursor)


def inside_lines() -> list[int]:
    return list(range(PROPERTIES + 1, PROPERTIES_END + 1))


# --- the editor ---------------------------------------------------------------------------------
def test_clicking_the_marker_folds_and_clicking_again_unfolds(editor, qtbot) -> None:
    before = shown_lines(editor)
    top_after_fold = line_top(editor, PROPERTIES + 1)
    click_marker(qtbot, editor, PROPERTIES)
    assert hidden_lines(editor) == inside_lines()
    assert shown_lines(editor) == before - len(inside_lines())
    assert line_top(editor, PROPERTIES_END + 1) == top_after_fold  # `"required"` moved up
    assert editor.toPlainText() == TEXT  # folding is not an edit
    assert not editor.document().isUndoAvailable()

    click_marker(qtbot, editor, PROPERTIES)
    assert hidden_lines(editor) == []
    assert shown_lines(editor) == before


def test_folded_line_shows_a_hint_after_its_text(editor, qtbot) -> None:
    block = editor.document().findBlockByNumber(PROPERTIES - 1)
    right_of_text = round(block.layout().lineAt(0).naturalTextWidth()) + 6
    row = line_top(editor, PROPERTIES) + editor.fontMetrics().height() // 2

    def inked() -> bool:
        image = editor.viewport().grab().toImage()
        base = image.pixelColor(right_of_text + 200, row)
        return any(
            image.pixelColor(x, y) != base
            for x in range(
                right_of_text, right_of_text + editor.fontMetrics().averageCharWidth() * 3
            )
            for y in range(row - 4, row + 4)
        )

    assert not inked()
    click_marker(qtbot, editor, PROPERTIES)
    assert inked()


def test_ctrl_shift_brackets_fold_and_unfold_at_the_cursor(editor, qtbot) -> None:
    put_cursor(editor, 5, 8)  # inside `"name": {` ... `},` (lines 4-6)
    qtbot.keyClick(editor, Qt.Key.Key_BracketLeft, CTRL_SHIFT)
    assert hidden_lines(editor) == [5, 6]
    assert editor.textCursor().blockNumber() + 1 == 4  # left on the folded line, not hidden
    qtbot.keyClick(editor, Qt.Key.Key_BracketLeft, CTRL_SHIFT)  # again: the region around it
    assert hidden_lines(editor) == inside_lines()
    assert editor.textCursor().blockNumber() + 1 == PROPERTIES
    qtbot.keyClick(editor, Qt.Key.Key_BracketRight, CTRL_SHIFT)
    assert hidden_lines(editor) == [5, 6]  # the inner fold is still folded
    put_cursor(editor, 4)
    qtbot.keyClick(editor, Qt.Key.Key_BraceRight, CTRL_SHIFT)  # what Shift+] sends on US keys
    assert hidden_lines(editor) == []
    put_cursor(editor, PROPERTIES_END + 2)  # `"name",` in the required list
    qtbot.keyClick(editor, Qt.Key.Key_BraceLeft, CTRL_SHIFT)
    assert hidden_lines(editor) == [15, 16, 17]
    assert editor.toPlainText() == TEXT


def test_typing_while_folded_unfolds_everything_first(editor, qtbot) -> None:
    click_marker(qtbot, editor, PROPERTIES)
    put_cursor(editor, PROPERTIES, len(LINES[PROPERTIES - 1]))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, '"x": 1,')
    assert hidden_lines(editor) == []
    assert editor.folds.folded == {}
    expected = [*LINES[:PROPERTIES], '    "x": 1,', *LINES[PROPERTIES:]]
    assert editor.toPlainText() == "\n".join(expected)


def test_undo_after_a_fold_restores_the_text_and_hides_nothing(editor, qtbot) -> None:
    editor.replace_all(json.dumps({**SCHEMA, "title": "T"}, indent=2))
    click_marker(qtbot, editor, PROPERTIES)
    assert hidden_lines(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == TEXT
    assert hidden_lines(editor) == []
    assert shown_lines(editor) == len(LINES)


def test_an_edit_nobody_saw_coming_still_unfolds(editor, qtbot) -> None:
    """Undo from the Edit menu, a Fix applied through a cursor: the document reports it."""
    editor.replace_all(TEXT.replace('"object"', '"object" '))
    click_marker(qtbot, editor, PROPERTIES)
    editor.document().undo()
    assert editor.toPlainText() == TEXT
    assert hidden_lines(editor) == []
    click_marker(qtbot, editor, PROPERTIES)
    cursor = QTextCursor(editor.document())
    cursor.insertText("\n\n")  # two lines above the fold: its line numbers are stale now
    assert hidden_lines(editor) == []
    assert shown_lines(editor) == len(LINES) + 2


def test_paste_while_folded_unfolds_first(editor, qtbot) -> None:
    click_marker(qtbot, editor, PROPERTIES)
    put_cursor(editor, 1, 1)
    data = QMimeData()
    data.setText("\n")
    editor.insertFromMimeData(data)
    assert hidden_lines(editor) == []
    assert editor.toPlainText() == "{\n" + TEXT[1:]


def test_go_to_a_line_inside_a_fold_opens_it(editor, qtbot) -> None:
    click_marker(qtbot, editor, 4)  # `"name": {`, inside the properties
    click_marker(qtbot, editor, PROPERTIES)
    assert hidden_lines(editor) == inside_lines()
    editor.go_to(5, 3)
    assert hidden_lines(editor) == []
    assert editor.textCursor().blockNumber() + 1 == 5
    assert editor.folds.folded == {}


def test_a_mark_inside_a_fold_shows_on_the_folded_line(editor, qtbot) -> None:
    editor.set_marks(
        [Mark(6, "warning", "loose"), Mark(9, "error", "bad"), Mark(16, "warning", "x")]
    )
    dot = editor._dot_size()
    x = editor.gutter.width() - dot - 6 + 3 + dot // 2

    def dot_colour(line: int) -> QColor:
        y = line_top(editor, line) + editor.fontMetrics().height() // 2
        return editor.gutter.grab().toImage().pixelColor(x, y)

    error = editor._mark_colour("error")
    assert dot_colour(PROPERTIES) != error  # nothing of its own
    click_marker(qtbot, editor, PROPERTIES)
    assert dot_colour(PROPERTIES) == error  # the worst inside
    click_marker(qtbot, editor, PROPERTIES)
    click_marker(qtbot, editor, 4)  # `"name": {` hides only the warning on line 6
    assert dot_colour(4) == editor._mark_colour("warning")


# --- the regions, pure --------------------------------------------------------------------------
def test_regions_of_nested_objects_and_arrays() -> None:
    assert fold_ranges(LINES) == {0: 18, 2: 12, 3: 5, 6: 11, 8: 10, 13: 16}


def test_a_line_opening_two_regions_folds_to_the_further_closer() -> None:
    lines = ['{"a": {"b": [', "1", "]}}", "x"]
    assert fold_ranges(lines) == {0: 2}
    assert closer_of(lines[0]) == "}"


def test_one_line_objects_and_brackets_in_strings_make_no_region() -> None:
    lines = [
        '{"a": {"b": 1}, "c": "{[not a bracket",',
        '"d": "]} nor these \\" ] still a string",',
        '"e": "\\\\", "f": [',
        "1",
        "]",
        "}",
    ]
    assert brackets(lines[1]) == []
    assert [ch for _c, ch in brackets(lines[2])] == ["["]  # `"\\\\"` ends the string
    assert fold_ranges(lines) == {0: 5, 2: 4}


def test_unbalanced_or_mismatched_brackets_make_no_bogus_region() -> None:
    assert fold_ranges(["{", '"a": 1']) == {}  # never closed
    assert fold_ranges(["[", "1", "}"]) == {}  # closed by the wrong kind
    assert fold_ranges(["}", "]", "{"]) == {}
    # A stray closer drops what was open before it; a later, well-formed region still folds.
    assert fold_ranges(["{", "[", "}", "{", "1", "}", "]"]) == {3: 5}
    assert fold_ranges(['"a": "unterminated {', "}"]) == {}  # the only opener is in a string
    assert fold_ranges(['{"a": "unterminated {', "}"]) == {0: 1}  # the real `{` pairs


def test_innermost_and_closer() -> None:
    regions = fold_ranges(LINES)
    assert innermost(regions, 2) == 2  # a start is its own region
    assert innermost(regions, 4) == 3
    assert innermost(regions, 12) == 2
    assert innermost({}, 4) is None
    assert closer_of("  ],") is None
    assert closer_of('}, "b": [') == "]"


def test_fold_index_computes_once_per_revision() -> None:
    asked: list[int] = []

    def lines() -> list[str]:
        asked.append(1)
        return LINES

    index = FoldIndex()
    assert index.cached(1) is None
    assert index.regions(1, lines) == index.regions(1, lines) == fold_ranges(LINES)
    assert len(asked) == 1 and index.cached(1) is not None
    index.regions(2, lines)
    assert len(asked) == 2
