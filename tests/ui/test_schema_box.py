"""The JSON schema box in the chat's parameters: room to write a schema, and what is wrong with it
said right under it while typing (once typing pauses), and again when Send refuses it."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from tests.support.driving import start_sending
from tests.support.fixtures import open_window, use_scripted_endpoint

MIN_LINES = 8


def _chat_requests(server) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


def _choose_json_schema(qtbot, params) -> None:
    box = params.response_format
    box.setFocus()
    while box.currentText() != "json_schema":
        qtbot.keyClick(box, Qt.Key.Key_Down)


def _type_schema(qtbot, params, text: str) -> None:
    box = params.json_schema
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(box, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(box, Qt.Key.Key_Return)
        qtbot.keyClicks(box, line)


def _is_red(colour: QColor) -> bool:
    return colour.red() > colour.green() + 60 and colour.red() > colour.blue() + 60


def test_invalid_schema_is_said_under_the_box_while_typing(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.resize(1280, 800)
    params = window.chat.params
    params.model.setCurrentText("gpt-4o")
    _choose_json_schema(qtbot, params)
    box, error = params.json_schema, params.schema_error
    lines = (box.viewport().height()) / box.fontMetrics().lineSpacing()
    assert lines >= MIN_LINES, lines

    _type_schema(qtbot, params, '{"type": "object",\n "properties": {"a": {"type": "string"}}')
    assert not error.isVisible()  # not while the keys are still coming
    qtbot.waitUntil(error.isVisible)
    said = error.text()
    assert "not valid JSON" in said and re.search(r"line 2, column \d+", said), said
    assert _is_red(error.palette().color(QPalette.ColorRole.WindowText))
    # right under the box, once the layout has made room for the message (one event-loop turn)
    qtbot.waitUntil(lambda: error.geometry().top() >= box.geometry().bottom())
    assert error.geometry().top() - box.geometry().bottom() < 3 * box.fontMetrics().height()

    qtbot.keyClicks(box, "}")  # fixed: the message goes
    qtbot.waitUntil(lambda: not error.isVisible())

    _type_schema(qtbot, params, '{"type": "strin"}')  # JSON, but no schema
    qtbot.waitUntil(error.isVisible)
    assert "'strin' is not valid" in error.text(), error.text()


def test_send_with_an_invalid_schema_is_refused_with_the_reason_at_the_box(
    ctx, server, qtbot
) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.resize(1024, 700)
    params = window.chat.params
    params.model.setCurrentText("gpt-4o")
    _choose_json_schema(qtbot, params)
    _type_schema(qtbot, params, '{"type": "object", }')
    start_sending(qtbot, window, "A city, as JSON.")  # at once: before the typing check ran
    qtbot.wait(50)
    assert _chat_requests(server) == 0
    error = params.schema_error
    assert error.isVisible() and re.search(r"line 1,? column 20", error.text()), error.text()
    assert not error.visibleRegion().isEmpty()  # scrolled into view in the parameters column
    assert "not valid JSON" in window.statusBar().currentMessage()
    assert window.chat.composer.text() == "A city, as JSON."  # the draft stays


def test_the_box_grows_with_a_long_schema(ctx, qtbot) -> None:
    window = open_window(ctx, qtbot)
    params = window.chat.params
    _choose_json_schema(qtbot, params)
    box = params.json_schema
    short = box.height()
    fields = ",\n".join(f'  "f{i}": {{"type": "string"}}' for i in range(14))
    _type_schema(qtbot, params, '{"type": "object", "properties": {\n' + fields + "\n}}")
    assert box.height() > short
