"""The Tools dock as a person drives it: functions typed key by key, their names and parameters
checked as typed, mock results in the table, saved sets that are there after a restart, the
examples, and Use in Chat / Stop Using on the bus."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QInputDialog,
    QLineEdit,
    QMessageBox,
)

from tests.support.driving import answer_question_box
from workbench.app.resources import resources_dir
from workbench.core.tools import DEFAULT_MAX_ROUNDS, EMPTY_PARAMETERS, MockResult, ToolSet
from workbench.ui.panels.tools import ToolsPanel

EXAMPLES = resources_dir() / "tools"
WAIT_MS = 5_000
CTRL = Qt.KeyboardModifier.ControlModifier
# One line, so the object that is not closed (the root) is marked at line 1.
OPEN_PARAMETERS = (
    '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}'
)


def make_panel(ctx, qtbot) -> ToolsPanel:
    panel = ToolsPanel(ctx.store, ctx.bus, ctx.tasks, examples=EXAMPLES)
    qtbot.addWidget(panel)
    panel.resize(520, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def panel(ctx, qtbot) -> ToolsPanel:
    return make_panel(ctx, qtbot)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot, box) -> None:
    """Click a check box on its box (a form row stretches it wider than its label)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def replace_text(qtbot, widget, text: str) -> None:
    """Click into a text field, select all and type `text` over it."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)


def add_function(qtbot, panel: ToolsPanel, name: str) -> None:
    """Add, then type the name (the new function's name is selected, so typing replaces it)."""
    click(qtbot, panel.add_button)
    assert panel.editor.parameters.toPlainText() == EMPTY_PARAMETERS
    replace_text(qtbot, panel.editor.name, name)


def wait_status(qtbot, panel: ToolsPanel, start: str) -> None:
    qtbot.waitUntil(lambda: panel.status.text().startswith(start), timeout=WAIT_MS)


def edit_cell(qtbot, panel: ToolsPanel, row: int, column: int, text: str) -> None:
    """Editing one cell of the mocks table, as a double click starts it: type, then Enter."""
    table = panel.mocks.table
    table.setCurrentCell(row, column)
    table.editItem(table.item(row, column))
    type_in_cell(qtbot, panel, text)


def type_in_cell(qtbot, panel: ToolsPanel, text: str) -> None:
    """Type over the text of the cell being edited, then Enter."""
    table = panel.mocks.table
    editors = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    qtbot.keyClick(editors[0], Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(editors[0], text)
    qtbot.keyClick(editors[0], Qt.Key.Key_Return)
    # The delegate commits on the event loop's next turn, as it does for the user.
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState, timeout=WAIT_MS)


def emitted(bus) -> list[str]:
    seen: list[str] = []
    bus.tools_chosen.connect(seen.append)
    return seen


def test_ctrl_shift_u_opens_the_tools_dock(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    dock = window.docks["tools"]
    assert not dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_U, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: dock.built_panel is not None and dock.built_panel.isVisible())
    assert isinstance(dock.built_panel, ToolsPanel)
    assert dock.built_panel.objectName() == "panel.tools"
    assert dock.built_panel.examples_menu.actions()  # the examples folder reached the panel


def test_a_new_set_starts_empty_with_the_defaults(panel) -> None:
    assert panel.current_toolset() == ToolSet()
    assert panel.max_rounds.value() == DEFAULT_MAX_ROUNDS
    assert panel.findChild(QLineEdit, "tool_name") is not None
    assert [panel.choice.itemText(i) for i in range(panel.choice.count())] == [
        "auto",
        "required",
        "none",
    ]
    assert panel.status.text() == "Ready: 0 functions"


def test_a_bad_name_is_said_under_the_name(panel, qtbot) -> None:
    add_function(qtbot, panel, "get weather")
    assert panel.editor.name_problem.isVisible()
    assert "not a name the API takes" in panel.editor.name_problem.text()
    wait_status(qtbot, panel, "1 problem: get weather: name:")
    assert panel.functions.item(0).text() == "get weather"
    replace_text(qtbot, panel.editor.name, "get_weather")
    assert not panel.editor.name_problem.isVisible()
    wait_status(qtbot, panel, "Ready: 1 function")
    assert panel.current_toolset().functions[0].name == "get_weather"


def test_strict_lint_marks_parameters_that_leave_an_object_open(panel, qtbot) -> None:
    add_function(qtbot, panel, "get_weather")
    replace_text(qtbot, panel.editor.parameters, OPEN_PARAMETERS)
    findings = panel.editor.findings
    qtbot.waitUntil(
        lambda: any("additionalProperties" in t for t in findings.texts()), timeout=WAIT_MS
    )
    assert findings.texts()[0].startswith("$: ")
    assert [m.line for m in panel.editor.parameters.marks] == [1]
    wait_status(qtbot, panel, "1 problem: get_weather: parameters:")
    # Strict off: the API takes an open object, so nothing is said.
    tick(qtbot, panel.editor.strict)
    assert not panel.editor.strict.isChecked()
    assert findings.texts() == [] and panel.editor.parameters.marks == []
    wait_status(qtbot, panel, "Ready: 1 function")
    # Not JSON is said whatever the mode.
    qtbot.keyClicks(panel.editor.parameters, "}")
    qtbot.waitUntil(lambda: findings.texts() != [], timeout=WAIT_MS)
    assert findings.texts()[0].startswith("$: Not JSON")


def test_a_valid_set_is_used_in_the_chat(panel, qtbot) -> None:
    add_function(qtbot, panel, "get_weather")
    replace_text(qtbot, panel.editor.description, "The weather in a city")
    replace_text(qtbot, panel.editor.parameters, OPEN_PARAMETERS)
    tick(qtbot, panel.editor.strict)  # off: this schema is fine without strict mode
    panel.choice.setFocus()
    qtbot.keyClick(panel.choice, Qt.Key.Key_End)  # the last entry: the function itself
    assert panel.choice.currentText() == "get_weather"
    tick(qtbot, panel.parallel)
    wait_status(qtbot, panel, "Ready: 1 function")
    with qtbot.waitSignal(panel.bus.tools_chosen) as chosen, qtbot.waitSignal(panel.status_message):
        click(qtbot, panel.use_button)
    sent = ToolSet.from_json(chosen.args[0])
    assert sent == panel.current_toolset()
    assert sent is not None and sent.choice == "get_weather" and sent.parallel is False
    [function] = sent.functions
    assert (function.name, function.description, function.strict) == (
        "get_weather",
        "The weather in a city",
        False,
    )
    assert json.loads(function.parameters)["required"] == ["city"]


def test_a_set_with_problems_is_refused_unless_the_user_insists(panel, qtbot) -> None:
    add_function(qtbot, panel, "get weather")
    chosen = emitted(panel.bus)
    seen: list[QMessageBox] = []
    answer_question_box("Don't use", seen, expect_default="Don't use")
    click(qtbot, panel.use_button)
    assert seen and chosen == []
    assert panel.refused.isVisible() and "get weather: name" in panel.refused.text()
    answer_question_box("Use anyway", seen)
    click(qtbot, panel.use_button)
    assert len(seen) == 2 and len(chosen) == 1
    assert ToolSet.from_json(chosen[0]) == panel.current_toolset()


def test_stop_using_takes_the_tools_away(panel, qtbot) -> None:
    chosen = emitted(panel.bus)
    with qtbot.waitSignal(panel.status_message):
        click(qtbot, panel.clear_button)
    assert chosen == [""]


def test_mock_results_typed_in_the_table_are_in_the_set(panel, qtbot) -> None:
    add_function(qtbot, panel, "get_weather")
    click(qtbot, panel.mocks.add_button)  # a new row, its "when" open for typing
    type_in_cell(qtbot, panel, '{"city": "Paris"}')
    edit_cell(qtbot, panel, 0, 1, "18 C, light rain")
    click(qtbot, panel.mocks.add_button)
    type_in_cell(qtbot, panel, "")  # no "when": the fallback for any call
    edit_cell(qtbot, panel, 1, 1, "21 C, clear")
    assert panel.current_toolset().mocks == (
        MockResult("get_weather", "18 C, light rain", '{"city": "Paris"}'),
        MockResult("get_weather", "21 C, clear", ""),
    )
    assert not panel.mocks.problem.isVisible()
    # A "when" that is not JSON is said at its row and kept as typed.
    edit_cell(qtbot, panel, 0, 0, '{"city": Paris}')
    assert panel.mocks.problem.isVisible()
    assert panel.mocks.problem.text().startswith("Row 1: “when” is not JSON")
    assert "Never matches" in panel.mocks.table.item(0, 0).toolTip()
    assert panel.current_toolset().mocks[0].when == '{"city": Paris}'
    # Renaming the function keeps its mocks; removing a mock removes it from the set.
    replace_text(qtbot, panel.editor.name, "weather_now")
    assert {m.tool for m in panel.current_toolset().mocks} == {"weather_now"}
    panel.mocks.table.setCurrentCell(0, 1)
    click(qtbot, panel.mocks.remove_button)
    assert panel.current_toolset().mocks == (MockResult("weather_now", "21 C, clear", ""),)
    assert not panel.mocks.problem.isVisible()


def test_tool_choice_follows_the_functions(panel, qtbot) -> None:
    add_function(qtbot, panel, "first")
    add_function(qtbot, panel, "second")
    entries = [panel.choice.itemText(i) for i in range(panel.choice.count())]
    assert entries == ["auto", "required", "none", "first", "second"]
    panel.choice.setFocus()
    qtbot.keyClick(panel.choice, Qt.Key.Key_End)
    assert panel.current_toolset().choice == "second"
    replace_text(qtbot, panel.editor.name, "renamed")
    assert panel.current_toolset().choice == "renamed"
    click(qtbot, panel.remove_button)  # "renamed" was selected: the choice goes back to auto
    assert [f.name for f in panel.current_toolset().functions] == ["first"]
    assert panel.current_toolset().choice == "auto"


def test_a_saved_set_is_there_in_a_new_panel(ctx, panel, qtbot, monkeypatch) -> None:
    add_function(qtbot, panel, "get_weather")
    click(qtbot, panel.mocks.add_button)
    type_in_cell(qtbot, panel, "")  # "when" left empty: any call
    edit_cell(qtbot, panel, 0, 1, "sunny")
    panel.max_rounds.setFocus()
    qtbot.keyClick(panel.max_rounds, Qt.Key.Key_Up)
    tick(qtbot, panel.auto_answer)
    assert panel.title.text() == "untitled*"
    asked: list[str] = []

    def name_it(*_args, **_kwargs) -> tuple[str, bool]:
        asked.append("name")
        return ("my tools", True)

    monkeypatch.setattr(QInputDialog, "getText", name_it)
    click(qtbot, panel.save_button)
    assert asked == ["name"] and ctx.store.tool_sets.names() == ["my tools"]
    assert panel.title.text() == "my tools"
    saved = panel.current_toolset()
    assert saved.name == "my tools" and saved.max_rounds == DEFAULT_MAX_ROUNDS + 1
    assert ctx.store.tool_sets.get("my tools") == saved
    # Ctrl+S in the panel saves again under the same name, without asking.
    replace_text(qtbot, panel.editor.description, "Weather")
    assert panel.title.text() == "my tools*"
    qtbot.keyClick(panel.editor.description, Qt.Key.Key_S, CTRL)
    assert asked == ["name"] and panel.title.text() == "my tools"
    saved = panel.current_toolset()
    assert ctx.store.tool_sets.get("my tools") == saved

    again = make_panel(ctx, qtbot)  # as after a restart: read from the store
    assert [again.sets.combo.itemText(i) for i in range(again.sets.combo.count())] == ["my tools"]
    assert again.current_toolset() == ToolSet()
    again.sets.combo.setFocus()
    qtbot.keyClick(again.sets.combo, Qt.Key.Key_Down)
    assert again.current_toolset() == saved
    assert again.functions.item(0).text() == "get_weather"
    assert again.title.text() == "my tools"


def test_unsaved_changes_are_asked_about_before_they_are_replaced(panel, qtbot) -> None:
    add_function(qtbot, panel, "get_weather")
    seen: list[QMessageBox] = []
    answer_question_box("Cancel", seen)
    click(qtbot, panel.new_button)
    assert seen and [f.name for f in panel.current_toolset().functions] == ["get_weather"]
    answer_question_box("Discard", seen)
    click(qtbot, panel.new_button)
    assert len(seen) == 2 and panel.current_toolset() == ToolSet()
    click(qtbot, panel.new_button)  # nothing unsaved now: nothing asked
    assert len(seen) == 2


def test_deleting_a_saved_set_asks_first(ctx, panel, qtbot) -> None:
    ctx.store.tool_sets.save(ToolSet("old", ()))
    panel.sets.refresh_names()
    panel.sets.combo.setFocus()
    qtbot.keyClick(panel.sets.combo, Qt.Key.Key_Down)
    assert panel.title.text() == "old" and panel.delete_button.isEnabled()
    seen: list[QMessageBox] = []
    answer_question_box("&No", seen)
    click(qtbot, panel.delete_button)
    assert seen and ctx.store.tool_sets.names() == ["old"]
    answer_question_box("&Yes", seen)
    click(qtbot, panel.delete_button)
    assert ctx.store.tool_sets.names() == [] and panel.sets.combo.count() == 0
    assert not panel.delete_button.isEnabled()


def test_every_example_loads_ready_to_use(panel, qtbot) -> None:
    files = sorted(EXAMPLES.glob("*.json"))
    assert len(files) >= 2
    actions = [a for a in panel.examples_menu.actions() if a.objectName()]
    assert [a.objectName() for a in actions] == [f"tools.example.{p.stem}" for p in files]
    for action, path in zip(actions, files, strict=True):
        action.trigger()
        example = ToolSet.from_json(path.read_text(encoding="utf-8"))
        assert example is not None and panel.current_toolset() == example
        count = len(example.functions)
        wait_status(qtbot, panel, f"Ready: {count} function")
        assert panel.editor.findings.texts() == []
    weather = ToolSet.from_json((EXAMPLES / "weather_and_stocks.json").read_text())
    assert weather is not None
    assert [f.name for f in weather.functions] == ["get_weather", "get_stock_price"]
    assert len(weather.mocks) >= 4
