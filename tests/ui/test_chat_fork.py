"""Forking an answer from another token, and asking for logprobs when a panel wants them."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.endpoints import EndpointKind
from workbench.core.sessions import MessageStatus
from workbench.ui.panels.chat import ChatPanel

WAIT_MS = 10_000


def _ask(panel: ChatPanel, qtbot, text: str) -> int:
    panel.composer.set_text(text)
    qtbot.keyClick(panel.composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not panel.streams.busy, timeout=WAIT_MS)
    return panel.path[-1].id


def _chat_bodies(server: ScriptedServer) -> list[dict]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


def test_fork_makes_a_sibling_that_starts_with_the_chosen_prefix(
    ctx, server, scripted_chat, qtbot
) -> None:
    panel = scripted_chat(EndpointKind.VLLM)
    server.script("chat", Stream(text="The sky is blue."), Stream(text=" grey today."))
    answer = _ask(panel, qtbot, "Colour of the sky?")
    ctx.bus.fork_requested.emit(answer, "The sky is")
    qtbot.waitUntil(lambda: not panel.streams.busy, timeout=WAIT_MS)
    fork = ctx.store.conversation.get(panel.path[-1].id)
    assert fork.id != answer and fork.parent_id == ctx.store.conversation.get(answer).parent_id
    assert fork.content == "The sky is grey today."
    assert fork.status is MessageStatus.COMPLETE
    assert panel.view.cards[fork.id].branch_label.text() == "2/2"
    sent = _chat_bodies(server)[-1]
    assert sent["messages"][-1] == {"role": "assistant", "content": "The sky is", "prefix": True}
    assert sent["continue_final_message"] is True  # vLLM's way of saying the same


def test_continue_is_greyed_out_where_the_endpoint_cannot_do_it(
    ctx, server, scripted_chat, qtbot
) -> None:
    panel = scripted_chat(EndpointKind.OPENAI)
    server.script("chat", Stream(text="An answer."))
    answer = _ask(panel, qtbot, "Hello")
    button = panel.view.cards[answer].continue_button
    assert not button.isEnabled()
    assert "cannot continue" in button.toolTip()


def test_logprobs_are_asked_for_only_while_a_panel_wants_them(
    ctx, server, scripted_chat, qtbot
) -> None:
    panel = scripted_chat()
    server.script("chat", Stream(text="one"), Stream(text="two"), Stream(text="three"))
    _ask(panel, qtbot, "first")
    ctx.bus.logprobs_wanted.emit(True)
    _ask(panel, qtbot, "second")
    ctx.bus.logprobs_wanted.emit(False)
    _ask(panel, qtbot, "third")
    asked = [(b.get("logprobs"), b.get("top_logprobs")) for b in _chat_bodies(server)]
    assert asked == [(None, None), (True, 5), (None, None)]
