"""The Schema Editor dock as a person drives it on the real window: opened with Ctrl+Shift+J,
schemas typed key by key, problems found and fixed, files, examples, a schema from an example,
the Python preview, and Use in Chat."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from tests.support.driving import answer_question_box, type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import Stream
from workbench.app.resources import resources_dir
from workbench.core.schema_lint import lint_document
from workbench.ui.panels.schema_editor import SchemaEditorPanel
from workbench.ui.panels.schema_editor.texts import ACCEPTED

EXAMPLES = resources_dir() / "schemas"
WAIT_MS = 5_000
CTRL = Qt.KeyboardModifier.ControlModifier

# Typed line by line; the object at line 4 (`address`) is not closed with additionalProperties.
OPEN_ADDRESS = [
    "{",
    '"type": "object", "additionalProperties": false,',
    '"required": ["address"],',
    '"properties": {"address": {"type": "object",',
    '"properties": {"city": {"type": "string"}}, "required": ["city"]}}',
    "}",
]


def open_editor(window, qtbot) -> SchemaEditorPanel:
    """Ctrl+Shift+J on the window, as the user presses it."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    dock = window.docks["schema_editor"]
    assert not dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_J, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: dock.built_panel is not None and dock.built_panel.isVisible())
    panel = dock.built_panel
    assert isinstance(panel, SchemaEditorPanel)
    return panel


def type_lines(qtbot, panel: SchemaEditorPanel, lines: list[str]) -> None:
    editor = panel.editor
    editor.setFocus()
    for i, line in enumerate(lines):
        if i:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, line)


def wait_verdict(qtbot, panel: SchemaEditorPanel, expected: str) -> None:
    qtbot.waitUntil(lambda: panel.verdict.text() == expected, timeout=WAIT_MS)


def wavy_lines(panel: SchemaEditorPanel) -> set[int]:
    """1-based lines where a wavy underline starts in the editor."""
    document = panel.editor.document()
    return {
        document.findBlock(s.cursor.selectionStart()).blockNumber() + 1
        for s in panel.editor.extraSelections()
        if s.format.underlineStyle() == s.format.UnderlineStyle.WaveUnderline
    }


@pytest.fixture
def panel(window, qtbot) -> SchemaEditorPanel:
    return open_editor(window, qtbot)


def test_empty_editor_says_what_it_is_for(panel) -> None:
    assert "strict mode" in panel.editor.placeholderText()
    assert panel.editor.toPlainText() == ""
    assert "Ctrl+Tab" in panel.editor.toolTip()


def test_missing_additional_properties_is_marked_at_its_line(panel, qtbot) -> None:
    type_lines(qtbot, panel, OPEN_ADDRESS)
    wait_verdict(qtbot, panel, "1 problem")
    [row] = panel.findings.rows
    assert (row.path, row.rule, row.line) == ("$.properties.address", "additional-properties", 4)
    assert wavy_lines(panel) == {4}
    assert [m.line for m in panel.editor.marks] == [4]  # the gutter's dot
    # Clicking the finding puts the cursor there.
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.Start)
    item = panel.findings.topLevelItem(0)
    # The list is laid out on a later turn of the event loop: click where the row really is.
    qtbot.waitUntil(lambda: panel.findings.visualItemRect(item).height() > 0, timeout=2000)
    rect = panel.findings.visualItemRect(item)
    qtbot.mouseClick(panel.findings.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: panel.editor.textCursor().blockNumber() + 1 == 4, timeout=2000)
    assert panel.editor.hasFocus()


def test_fix_makes_it_accepted_and_ctrl_z_brings_the_text_back(panel, qtbot) -> None:
    type_lines(qtbot, panel, OPEN_ADDRESS)
    wait_verdict(qtbot, panel, "1 problem")
    typed = panel.editor.toPlainText()
    [fix] = panel.findings.fix_buttons()
    qtbot.mouseClick(fix, Qt.MouseButton.LeftButton)
    wait_verdict(qtbot, panel, ACCEPTED)
    fixed = json.loads(panel.editor.toPlainText())
    assert fixed["properties"]["address"]["additionalProperties"] is False
    assert panel.editor.toPlainText().startswith('{\n  "type"')  # indent 2
    assert panel.editor.marks == [] and wavy_lines(panel) == set()
    panel.editor.setFocus()
    qtbot.keyClick(panel.editor, Qt.Key.Key_Z, CTRL)
    assert panel.editor.toPlainText() == typed
    wait_verdict(qtbot, panel, "1 problem")


def test_not_json_says_line_and_column(panel, qtbot) -> None:
    type_lines(qtbot, panel, ['{"type": "object",', '"properties": }'])
    text = panel.editor.toPlainText()
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads(text)
    where = f"line {error.value.lineno}, column {error.value.colno}"
    assert where == "line 2, column 15"  # the "}" where a value belongs
    wait_verdict(qtbot, panel, f"Not JSON: {where}: Expecting value")
    assert wavy_lines(panel) == {2}


def test_not_a_schema_is_said(panel, qtbot) -> None:
    type_lines(qtbot, panel, ['{"type": "thing"}'])
    qtbot.waitUntil(lambda: panel.verdict.text().startswith("Not a JSON Schema: "), timeout=WAIT_MS)


def test_tab_indents_two_spaces_and_ctrl_tab_leaves(panel, qtbot) -> None:
    panel.editor.setFocus()
    qtbot.keyClick(panel.editor, Qt.Key.Key_Tab)
    assert panel.editor.toPlainText() == "  "
    qtbot.keyClick(panel.editor, Qt.Key.Key_Tab, CTRL)
    assert not panel.editor.hasFocus()


def test_every_example_loads_and_is_accepted(panel, qtbot) -> None:
    files = sorted(EXAMPLES.glob("*.json"))
    assert len(files) >= 3
    actions = [a for a in panel.examples_menu.actions() if a.objectName()]
    assert [a.objectName() for a in actions] == [f"schema.example.{p.stem}" for p in files]
    for action, path in zip(actions, files, strict=True):
        assert lint_document(path.read_text(encoding="utf-8")).accepted, path.name
        action.trigger()
        assert panel.editor.toPlainText() == path.read_text(encoding="utf-8")
        wait_verdict(qtbot, panel, ACCEPTED)
    assert any("$defs" in p.read_text(encoding="utf-8") for p in files)


def test_open_edit_save_and_save_as(panel, qtbot, tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "event.json"
    source.write_text((EXAMPLES / "calendar_event.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(source), ""))
    panel.files.open_action.trigger()
    assert panel.editor.toPlainText() == source.read_text(encoding="utf-8")
    assert panel.file_label.text() == "event.json"
    panel.editor.setFocus()
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return)
    assert panel.file_label.text() == "event.json*"
    qtbot.keyClick(panel.editor, Qt.Key.Key_S, CTRL)  # Save, while the editor has the focus
    assert source.read_text(encoding="utf-8") == panel.editor.toPlainText()
    assert panel.file_label.text() == "event.json"
    copy = tmp_path / "copy"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    panel.files.save_as_action.trigger()
    assert (tmp_path / "copy.json").read_text(encoding="utf-8") == panel.editor.toPlainText()
    # New with unsaved changes asks first; Cancel keeps the text.
    qtbot.keyClicks(panel.editor, " ")
    seen: list[QMessageBox] = []
    answer_question_box("Cancel", seen)
    panel.files.new_action.trigger()
    assert seen and panel.editor.toPlainText().endswith(" ")
    answer_question_box("Discard", seen)
    panel.files.new_action.trigger()
    assert len(seen) == 2 and panel.editor.toPlainText() == ""


def test_from_an_example_makes_a_strict_schema_it_fits(panel, qtbot) -> None:
    type_lines(qtbot, panel, ['{"type": "object"}'])
    before = panel.editor.toPlainText()
    dialog = panel.from_example()
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.document, '{"title": "Lunch", "guests": [')
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert dialog.error.text().startswith("Not JSON: ")
    assert panel.editor.toPlainText() == before
    example = {
        "title": "Lunch",
        "guests": [{"name": "Ana", "diet": "vegan"}, {"name": "Bo", "diet": None}],
        "when": {"day": "2025-05-01", "hour": 12},
        "budget": 40.5,
    }
    dialog.document.setPlainText(json.dumps(example))
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    schema = json.loads(panel.editor.toPlainText())
    jsonschema.validate(example, schema)
    assert lint_document(panel.editor.toPlainText()).accepted
    wait_verdict(qtbot, panel, ACCEPTED)
    panel.editor.setFocus()
    qtbot.keyClick(panel.editor, Qt.Key.Key_Z, CTRL)
    assert panel.editor.toPlainText() == before


def test_python_preview_shows_the_model(panel, qtbot) -> None:
    next(a for a in panel.examples_menu.actions() if a.objectName().endswith("recipe")).trigger()
    wait_verdict(qtbot, panel, ACCEPTED)
    bar = panel.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    code = panel.preview.code
    qtbot.waitUntil(lambda: "class Recipe(BaseModel)" in code.toPlainText(), timeout=15_000)
    assert "ingredients: list[" in code.toPlainText()
    qtbot.mouseClick(panel.preview.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == code.toPlainText()


def test_use_in_chat_sets_the_chats_schema_and_is_sent(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    panel = open_editor(window, qtbot)
    window.chat.params.model.setCurrentText("gpt-4o")
    next(
        a for a in panel.examples_menu.actions() if a.objectName().endswith("definitions")
    ).trigger()
    wait_verdict(qtbot, panel, ACCEPTED)
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    schema = json.loads((EXAMPLES / "order_with_definitions.json").read_text(encoding="utf-8"))
    params = window.chat.settings().params
    assert params.response_format == "json_schema"
    assert json.loads(window.chat.params.json_schema.toPlainText()) == schema
    server.script("chat", Stream(text='{"order_id": "A1"}'))
    type_and_send(qtbot, window, "Read this order")
    sent = server.chat_bodies()[-1]["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["strict"] is True and sent["json_schema"]["schema"] == schema


def test_use_in_chat_is_refused_with_errors_unless_confirmed(window, panel, qtbot) -> None:
    type_lines(qtbot, panel, OPEN_ADDRESS)
    wait_verdict(qtbot, panel, "1 problem")
    seen: list[QMessageBox] = []
    answer_question_box("Don't use", seen, expect_default="Don't use")
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert seen
    assert window.chat.settings().params.response_format != "json_schema"
    assert panel.refused.isVisible() and "1 error" in panel.refused.text()
    answer_question_box("Use anyway", seen)
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert len(seen) == 2
    assert window.chat.settings().params.response_format == "json_schema"
    address = json.loads(window.chat.params.json_schema.toPlainText())["properties"]["address"]
    assert "additionalProperties" not in address
