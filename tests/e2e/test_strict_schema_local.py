"""A strict JSON schema run on the built-in model: its grammar holds the answer to the schema,
and the chat says so under the answer."""

from __future__ import annotations

import json

import pytest

from tests.support.driving import type_and_send
from workbench.core.answer_check import check_answer
from workbench.core.sessions import MessageStatus
from workbench.ui.panels.chat import ChatPanel

WAIT_MS = 120_000
SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "enum": ["yes", "no"]},
        "sure": {"type": "boolean"},
    },
    "required": ["answer", "sure"],
    "additionalProperties": False,
}


@pytest.fixture
def panel(local_chat) -> ChatPanel:
    return local_chat(max_tokens=60)


def test_a_strict_schema_answer_matches_its_schema(panel, ctx, qtbot) -> None:
    assert ctx.endpoints.active.is_local
    panel.params.response_format.setCurrentText("json_schema")
    panel.params.json_schema.setPlainText(json.dumps(SCHEMA))
    record = type_and_send(qtbot, panel, "Is Paris in France? Answer as JSON.", timeout_ms=WAIT_MS)
    answer = ctx.store.conversation.get(record.message_id)
    assert answer.status is MessageStatus.COMPLETE, record.error
    sent = ctx.store.runs.request(record.run_id)["response_format"]["json_schema"]
    assert sent["strict"] is True and sent["schema"] == SCHEMA
    assert check_answer(answer.content, SCHEMA).matches, answer.content
    box = panel.view.cards[record.message_id].schema_check
    qtbot.waitUntil(lambda: box.text() == "Matches the schema", timeout=5000)
    assert not box.problems.isVisibleTo(box)
