"""A JSON schema answer is checked against the schema it was sent with, under the answer."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from tests.support.driving import type_and_send
from tests.support.scripted_server import Stream
from workbench.app.panels import build_chat
from workbench.ui.panels.chat import ChatPanel
from workbench.ui.panels.chat.message_card import MessageCard

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
    "additionalProperties": False,
}


@pytest.fixture
def panel(scripted_chat) -> ChatPanel:
    return scripted_chat()


def _choose_schema_output(panel: ChatPanel, qtbot, schema: dict) -> None:
    """As the user does it: pick json_schema in the response format box, type the schema."""
    box = panel.params.response_format
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_End)  # json_schema is the last format
    assert box.currentText() == "json_schema"
    editor = panel.params.json_schema
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, json.dumps(schema))


def _card(panel: ChatPanel, message_id: int) -> MessageCard:
    return panel.view.cards[message_id]


def test_violations_and_a_match_are_shown_and_shown_again(panel, ctx, server, qtbot) -> None:
    _choose_schema_output(panel, qtbot, SCHEMA)
    server.script(
        "chat",
        Stream(text='{"city": "Lyon", "population": "about half a million"}'),
        Stream(text='{"city": "Lyon", "population": 522000}'),
    )
    bad = type_and_send(qtbot, panel, "Lyon as JSON, please.")
    card = _card(panel, bad.message_id)
    box = card.schema_check
    qtbot.waitUntil(box.isVisible, timeout=5000)
    assert box.problems.isVisible() and not box.quiet.isVisible()
    assert box.text().splitlines() == [
        "1 problem with the schema:",
        "$.population: 'about half a million' is not of type 'integer'",
    ]

    good = type_and_send(qtbot, panel, "Now with the population as a number.")
    box = _card(panel, good.message_id).schema_check
    qtbot.waitUntil(box.isVisible, timeout=5000)
    assert box.quiet.isVisible() and not box.problems.isVisible()
    assert box.text() == "Matches the schema"

    # The form's schema changes afterwards; a reopened session still checks against the sent one.
    panel.params.json_schema.setPlainText('{"type": "string"}')
    later = build_chat(ctx)
    qtbot.addWidget(later)
    later.resize(1100, 700)
    later.show()
    later.open_session(panel.session_id)
    assert "$.population" in _card(later, bad.message_id).schema_check.text()
    assert not _card(later, bad.message_id).schema_check.isHidden()
    assert _card(later, good.message_id).schema_check.text() == "Matches the schema"


def test_a_text_answer_gets_no_schema_box(panel, server, qtbot) -> None:
    server.script("chat", Stream(text="Just words."))
    record = type_and_send(qtbot, panel, "Say something.")
    assert not _card(panel, record.message_id).schema_check.isVisibleTo(panel)


def test_a_huge_answer_is_checked_off_the_ui_thread(panel, server, qtbot, monkeypatch) -> None:
    from workbench.ui.panels.chat import answer_checks

    monkeypatch.setattr(answer_checks, "INLINE_LIMIT", 10)  # stands in for a megabyte
    _choose_schema_output(panel, qtbot, SCHEMA)
    server.script("chat", Stream(text='{"city": "Lyon", "population": 522000}'))
    record = type_and_send(qtbot, panel, "Lyon as JSON, please.")
    box = _card(panel, record.message_id).schema_check
    qtbot.waitUntil(lambda: box.text() == "Matches the schema", timeout=5000)


def test_a_recorded_refusal_is_shown_as_a_refusal_not_a_violation(panel, server, qtbot) -> None:
    # OpenAI's own stream (gpt-4o-2024-08-06) refusing a structured-output request.
    _choose_schema_output(panel, qtbot, SCHEMA)
    server.script("chat", Stream(recording="173417d553406f03"))
    record = type_and_send(qtbot, panel, "Something it will not do, as JSON.")
    card = _card(panel, record.message_id)
    assert card.body.text() == "**Refused:** I'm sorry, I can't assist with that request."
    box = card.schema_check
    qtbot.waitUntil(box.isVisible, timeout=5000)
    assert box.quiet.isVisible() and not box.problems.isVisible()  # not shown as a failure
    assert "refused" in box.text().lower() and "$" not in box.text()
