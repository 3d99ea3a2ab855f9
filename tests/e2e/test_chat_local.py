"""The chat on the built-in model, as a new user with no key and no network gets it."""

from __future__ import annotations

import json

import pytest

from tests.support.driving import type_and_send
from workbench.core.sessions import MessageStatus
from workbench.ui.panels.chat import ChatPanel

WAIT_MS = 120_000


@pytest.fixture
def panel(local_chat) -> ChatPanel:
    return local_chat(max_tokens=40)


def test_first_question_gets_a_real_streamed_answer(panel, ctx, qtbot) -> None:
    assert ctx.endpoints.active.is_local  # the default, with no key anywhere
    seen: list[str] = []
    panel.view.card_created.connect(
        lambda card: card.body.updated.connect(lambda: seen.append(card.body.toPlainText()))
    )
    record = type_and_send(qtbot, panel, "Tell me a short story about a cat.", timeout_ms=WAIT_MS)
    answer = ctx.store.conversation.get(record.message_id)
    assert answer.status is MessageStatus.COMPLETE and answer.content.strip()
    assert len({s for s in seen if s}) > 1, "the answer did not arrive in pieces"
    assert record.model == "smollm2-135m-instruct" and record.endpoint == "Local"
    assert record.usage.completion_tokens > 0 and record.timings.tokens_per_s
    # The model list and its context window come from the server once it is running.
    qtbot.waitUntil(lambda: panel.params.model.count() >= 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "of 4k context" in panel.composer.context_label.text(), timeout=5000)


def test_logprobs_and_json_schema_through_the_chat(panel, ctx, qtbot) -> None:
    panel.params.logprobs.setChecked(True)
    panel.params.top_logprobs.setValue(3)
    panel.params.response_format.setCurrentText("json_schema")
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    panel.params.json_schema.setPlainText(json.dumps(schema))
    type_and_send(qtbot, panel, "Name a city in France as JSON.", timeout_ms=WAIT_MS)
    answer = ctx.store.conversation.get(panel.path[-1].id)
    assert set(json.loads(answer.content)) == {"city"}
    row = ctx.store.db.execute(
        "SELECT logprobs_json FROM runs WHERE id = ?", [answer.run_id]
    ).fetchone()
    tokens = json.loads(row[0])
    assert "".join(t["token"] for t in tokens) == answer.content
    assert all(len(t["top"]) == 3 and t["logprob"] <= 0 for t in tokens)
