"""Forking an answer from another token, and asking for logprobs when a panel wants them."""

from __future__ import annotations

from tests.support.driving import type_and_send
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.endpoints import EndpointKind
from workbench.core.sessions import MessageStatus

WAIT_MS = 10_000


def _chat_bodies(server: ScriptedServer) -> list[dict]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


def test_fork_makes_a_sibling_that_starts_with_the_chosen_prefix(
    ctx, server, scripted_chat, qtbot
) -> None:
    panel = scripted_chat(EndpointKind.VLLM)
    server.script("chat", Stream(text="The sky is blue."), Stream(text=" grey today."))
    answer = type_and_send(qtbot, panel, "Colour of the sky?").message_id
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
    answer = type_and_send(qtbot, panel, "Hello").message_id
    button = panel.view.cards[answer].continue_button
    assert not button.isEnabled()
    assert "not set to continue" in button.toolTip()


def test_logprobs_are_asked_for_only_while_a_panel_wants_them(
    ctx, server, scripted_chat, qtbot
) -> None:
    panel = scripted_chat()
    server.script("chat", Stream(text="one"), Stream(text="two"), Stream(text="three"))
    type_and_send(qtbot, panel, "first")
    ctx.bus.logprobs_wanted.emit(True)
    type_and_send(qtbot, panel, "second")
    ctx.bus.logprobs_wanted.emit(False)
    type_and_send(qtbot, panel, "third")
    asked = [(b.get("logprobs"), b.get("top_logprobs")) for b in _chat_bodies(server)]
    assert asked == [(None, None), (True, 5), (None, None)]
