"""The chat panel against the scripted server: what the user sees and what is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from tests.support.driving import start_sending, type_and_send
from tests.support.fixtures import SCRIPTED_KEY
from tests.support.scripted_server import Fault, ScriptedServer, Stream
from workbench.app.panels import build_chat
from workbench.core.sessions import MessageStatus, Role
from workbench.services.run_pipeline import CHECKPOINT_SECONDS
from workbench.ui.panels.chat import ChatPanel
from workbench.ui.panels.chat.message_card import MessageCard

KEY = SCRIPTED_KEY
WAIT_MS = 10_000


@pytest.fixture
def panel(scripted_chat) -> ChatPanel:
    return scripted_chat()


def _cards(panel: ChatPanel) -> list[MessageCard]:
    return [panel.view.cards[m.id] for m in panel.path if m.id in panel.view.cards]


def _last_card(panel: ChatPanel) -> MessageCard:
    return panel.view.cards[panel.path[-1].id]


def _last_chat_body(server: ScriptedServer) -> dict:
    # The panel also lists the endpoint's models after a run: skip those requests.
    return [r for r in server.requests if r.path.endswith("/chat/completions")][-1].body


def _wait_done(panel: ChatPanel, qtbot) -> MessageCard:
    qtbot.waitUntil(lambda: not panel.streams.busy, timeout=WAIT_MS)
    return _last_card(panel)


def test_ctrl_enter_sends_and_the_answer_streams_in(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text="Green tea steeps for **two** minutes.", delay=0.03))
    start_sending(qtbot, panel, "How long does green tea steep?")
    # The question is stored before the answer arrives.
    qtbot.waitUntil(lambda: panel.streams.busy, timeout=WAIT_MS)
    stored = ctx.store.conversation.visible(panel.session_id)
    assert (stored[0].role, stored[0].content) == (Role.USER, "How long does green tea steep?")
    card = _last_card(panel)
    assert card.status is MessageStatus.STREAMING
    assert panel.composer.stop_button.isVisible()
    qtbot.waitUntil(lambda: "Green tea" in card.body.toPlainText(), timeout=WAIT_MS)
    card = _wait_done(panel, qtbot)
    assert card.body.toPlainText().strip() == "Green tea steeps for two minutes."
    assert card.status is MessageStatus.COMPLETE
    assert "gpt-4o" in card.stats.text() and "tokens" in card.stats.text()
    assert panel.composer.text() == ""
    body = _last_chat_body(server)
    assert body["messages"] == [{"role": "user", "content": "How long does green tea steep?"}]
    # The session got a title from the first exchange.
    assert ctx.store.sessions.get(panel.session_id).title == "How long does green tea steep?"


def test_run_is_announced_with_its_numbers(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text="ok then", headers={"x-ratelimit-remaining-tokens": "999"}))
    record = type_and_send(qtbot, panel, "hi")
    assert record.model == "gpt-4o" and record.endpoint == "Scripted"
    assert record.usage.prompt_tokens > 0 and record.usage.completion_tokens > 0
    assert record.timings.first_token_s is not None and record.timings.total_s is not None
    assert record.rate_limits["x-ratelimit-remaining-tokens"] == "999"
    assert "openai-processing-ms" in record.rate_limits
    assert "content-type" not in record.rate_limits
    assert record.request_id


def test_escape_stops_and_keeps_the_partial_answer(panel, ctx, server, qtbot) -> None:
    words = " ".join(f"word{i}" for i in range(300))
    server.script("chat", Stream(text=words, delay=0.02))
    start_sending(qtbot, panel, "Count slowly")
    qtbot.waitUntil(lambda: "word3" in _last_card(panel).body.toPlainText(), timeout=WAIT_MS)
    qtbot.keyClick(panel.composer.editor, Qt.Key.Key_Escape)
    card = _wait_done(panel, qtbot)
    assert card.status is MessageStatus.STOPPED
    answer = ctx.store.conversation.get(panel.path[-1].id)
    assert answer.status is MessageStatus.STOPPED
    assert answer.content.startswith("word0 word1 word2 word3")
    assert "word299" not in answer.content
    assert card.continue_button.isEnabled()


def test_continue_carries_on_from_a_stopped_answer(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text=" ".join(f"w{i}" for i in range(300)), delay=0.02))
    start_sending(qtbot, panel, "Go")
    qtbot.waitUntil(lambda: "w5" in _last_card(panel).body.toPlainText(), timeout=WAIT_MS)
    panel.stop()
    card = _wait_done(panel, qtbot)
    kept = ctx.store.conversation.get(card.message.id).content
    server.script("chat", Stream(text=" and the rest."))
    card.continue_button.click()
    card = _wait_done(panel, qtbot)
    message = ctx.store.conversation.get(card.message.id)
    assert message.content == kept + " and the rest."
    assert message.status is MessageStatus.COMPLETE
    sent = _last_chat_body(server)["messages"][-1]
    assert sent == {"role": "assistant", "content": kept, "prefix": True}


def test_regenerate_makes_a_sibling_and_arrows_move_between_them(panel, server, qtbot) -> None:
    server.script("chat", Stream(text="First answer."), Stream(text="Second answer."))
    type_and_send(qtbot, panel, "Tell me something")
    first = _last_card(panel)
    first.regenerate_button.click()
    second = _wait_done(panel, qtbot)
    assert second.body.toPlainText().strip() == "Second answer."
    assert second.branch_label.text() == "2/2"
    # The regenerated request carried the same history, not the first answer.
    assert _last_chat_body(server)["messages"] == [{"role": "user", "content": "Tell me something"}]
    previous = next(b for b in second.findChildren(QToolButton) if b.text() == "‹")
    previous.click()
    shown = _last_card(panel)
    assert shown.body.toPlainText().strip() == "First answer."
    assert shown.branch_label.text() == "1/2"


def test_editing_a_message_branches_the_conversation(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text="About cats."), Stream(text="About dogs."))
    type_and_send(qtbot, panel, "Tell me about cats")
    qtbot.keyClick(panel.composer.editor, Qt.Key.Key_Up)  # Up edits the last message
    assert panel.composer.text() == "Tell me about cats"
    assert panel.composer.banner.isVisible()
    panel.composer.set_text("Tell me about dogs")
    qtbot.keyClick(panel.composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    _wait_done(panel, qtbot)
    user_card, answer_card = _cards(panel)
    assert user_card.body.toPlainText().strip() == "Tell me about dogs"
    assert user_card.branch_label.text() == "2/2"
    assert answer_card.body.toPlainText().strip() == "About dogs."
    roots = [m for m in ctx.store.conversation.visible(panel.session_id) if m.parent_id is None]
    assert [m.content for m in roots] == ["Tell me about cats", "Tell me about dogs"]


def test_errors_show_inline_in_plain_words_with_retry(panel, ctx, server, qtbot) -> None:
    server.script("chat", Fault(404, code="model_not_found"), Stream(text="Recovered."))
    type_and_send(qtbot, panel, "Hello?")
    card = _last_card(panel)
    assert card.status is MessageStatus.ERROR
    assert card.error_box.isVisible()
    assert "Model not found" in card.error_label.text()
    card.retry_button.click()
    card = _wait_done(panel, qtbot)
    assert card.body.toPlainText().strip() == "Recovered."
    assert card.branch_label.text() == "2/2"  # the failed attempt stays as a sibling
    assert panel.composer.editor.isEnabled()


def test_sdk_retries_are_shown_while_they_wait(panel, ctx, server, qtbot) -> None:
    ctx.connector.max_retries = 1
    server.script("chat", Fault(429, retry_after=1.0), Stream(text="Made it."))
    start_sending(qtbot, panel, "Hello?")
    # Before the 429 the note says the app waits for the server; then it names the retry.
    qtbot.waitUntil(lambda: "retries in" in _last_card(panel).notice.text(), timeout=WAIT_MS)
    assert "retries in 1.0 s" in _last_card(panel).notice.text()
    assert "429" in _last_card(panel).notice.text()
    card = _wait_done(panel, qtbot)
    assert card.body.toPlainText().strip() == "Made it."
    assert not card.notice.isVisible()


def test_dead_endpoint_is_said_plainly(panel, ctx, qtbot) -> None:
    endpoint = ctx.endpoints.active.with_changes(base_url="http://127.0.0.1:9/v1")
    ctx.endpoints.upsert(endpoint)
    type_and_send(qtbot, panel, "Anyone there?")
    card = _last_card(panel)
    assert "Could not reach the endpoint" in card.error_label.text()
    assert ctx.store.conversation.visible(panel.session_id)[0].content == "Anyone there?"


def test_delete_hides_an_answer_and_undo_brings_it_back(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text="Doomed answer."))
    type_and_send(qtbot, panel, "Question")
    card = _last_card(panel)
    card.findChild(QToolButton, "action.delete").click()
    assert [m.role for m in panel.path] == [Role.USER]
    ctx.undo.undo()
    assert _last_card(panel).body.toPlainText().strip() == "Doomed answer."


def test_search_hit_opens_the_session_at_the_message(panel, ctx, qtbot) -> None:
    other = ctx.store.sessions.create("Other")
    parent = None
    for i in range(80):  # longer than the first page of cards
        parent = ctx.store.conversation.add(other, Role.USER, f"filler {i}", parent)
    target = ctx.store.conversation.add(other, Role.USER, "the aardvark line", parent)
    parent = target
    for i in range(40):
        parent = ctx.store.conversation.add(other, Role.USER, f"after {i}", parent)
    ctx.bus.message_requested.emit(other, target - 60)  # far up the conversation
    assert panel.session_id == other
    assert (target - 60) in panel.view.cards  # built on demand, though it was not on screen


def test_crash_leftover_shows_as_interrupted_with_continue(ctx, server, qtbot) -> None:
    session = ctx.store.sessions.create("Crashed")
    question = ctx.store.conversation.add(session, Role.USER, "q", None)
    answer = ctx.store.conversation.add(
        session, Role.ASSISTANT, "", question, MessageStatus.STREAMING
    )
    ctx.store.conversation.append_chunk(answer, "what arrived before")
    assert ctx.store.conversation.recover_interrupted() == 1
    chat = build_chat(ctx)
    qtbot.addWidget(chat)
    ctx.bus.session_opened.emit(session)
    card = chat.view.cards[answer]
    assert card.body.toPlainText().strip() == "what arrived before"
    assert "interrupted" in card.badge.text()
    assert card.continue_button.isEnabled() and card.regenerate_button.isEnabled()


def test_closing_mid_stream_keeps_the_answer_without_asking(panel, ctx, server, qtbot) -> None:
    server.script("chat", Stream(text=" ".join(f"t{i}" for i in range(400)), delay=0.02))
    start_sending(qtbot, panel, "Long one")
    qtbot.waitUntil(lambda: "t3" in _last_card(panel).body.toPlainText(), timeout=WAIT_MS)
    qtbot.wait(int(CHECKPOINT_SECONDS * 1000) + 100)
    answer_id = panel.path[-1].id
    panel.shutdown()
    message = ctx.store.conversation.get(answer_id)
    assert message.status is MessageStatus.INTERRUPTED
    assert message.content.startswith("t0 t1 t2 t3")


def test_export_as_markdown_and_json(panel, ctx, server, qtbot, tmp_path: Path) -> None:
    server.script("chat", Stream(text="Answer with `code`."))
    panel.params.system_prompt.setPlainText("Be brief.")
    type_and_send(qtbot, panel, "Question one")
    panel.export_to(tmp_path / "s.md")
    panel.export_to(tmp_path / "s.json")
    markdown = (tmp_path / "s.md").read_text()
    assert "Question one" in markdown and "Answer with `code`." in markdown
    assert "Be brief." in markdown
    data = json.loads((tmp_path / "s.json").read_text())
    assert [m["content"] for m in data["messages"]] == ["Question one", "Answer with `code`."]
    assert KEY not in markdown and KEY not in (tmp_path / "s.json").read_text()


def test_unsupported_parameters_are_greyed_out_with_a_reason(panel) -> None:
    panel.params.model.setCurrentText("o3-mini")
    temperature = panel.params.rows["temperature"]
    assert not temperature.isEnabled()
    assert "reasoning model" in temperature.toolTip()
    assert panel.params.rows["reasoning_effort"].isEnabled()
    panel.params.model.setCurrentText("gpt-4o")
    assert temperature.isEnabled()
    assert not panel.params.rows["reasoning_effort"].isEnabled()


def test_invalid_schema_is_refused_before_sending(panel, ctx, server, qtbot) -> None:
    panel.params.response_format.setCurrentText("json_schema")
    panel.params.json_schema.setPlainText("{not json")
    with qtbot.waitSignal(panel.status_message) as said:
        start_sending(qtbot, panel, "Structured please")
    assert "not valid JSON" in said.args[0]
    assert panel.composer.text() == "Structured please"  # nothing lost
    assert server.requests == []


def test_live_token_count_and_context_meter(panel, qtbot) -> None:
    panel.composer.set_text("hello world")
    qtbot.waitUntil(lambda: panel.composer.tokens.text() == "2 tokens", timeout=WAIT_MS)
    assert "of 128k context" in panel.composer.context_label.text()
