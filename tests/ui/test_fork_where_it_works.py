"""A fork goes out on its session's endpoint, is refused where that endpoint would answer anew,
and the status bar says when the new branch is written (issue 14, item 8)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.driving import type_and_send
from tests.support.fixtures import SCRIPTED_KEY, open_window, use_scripted_endpoint
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.endpoints import EndpointRegistry

WAIT_MS = 10_000


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with (
        ScriptedServer(api_key=SCRIPTED_KEY) as a,
        ScriptedServer(api_key=SCRIPTED_KEY) as b,
    ):
        yield a, b


def _chats(server: ScriptedServer) -> list[dict]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


def test_a_fork_on_an_endpoint_that_answers_anew_is_refused_before_sending(
    ctx, server, qtbot
) -> None:
    endpoint = use_scripted_endpoint(ctx, server, name="Plain server")
    ctx.endpoints.upsert(endpoint.with_changes(continues_prefix=False))
    window = open_window(ctx, qtbot)
    server.script("chat", Stream(text="The sky is blue."))
    answer = type_and_send(qtbot, window, "Colour of the sky?").message_id
    sent_before = len(_chats(server))
    stored_before = len(ctx.store.conversation.visible(window.chat.session_id))

    ctx.bus.fork_requested.emit(answer, "The sky is")

    said = window.statusBar().currentMessage()
    assert said.startswith("Not forked:") and "Plain server" in said
    assert "Continues a final assistant message" in said  # and what to do about it
    assert len(_chats(server)) == sent_before
    assert len(ctx.store.conversation.visible(window.chat.session_id)) == stored_before


def test_the_fork_check_and_the_fork_use_the_answers_session_endpoint(ctx, servers, qtbot) -> None:
    able, plain = servers
    able_id = use_scripted_endpoint(ctx, able, name="Continues").id
    plain_endpoint = use_scripted_endpoint(ctx, plain, name="Answers anew")
    ctx.endpoints.upsert(plain_endpoint.with_changes(continues_prefix=False))
    ctx.endpoints.set_active(able_id)
    window = open_window(ctx, qtbot)
    able.script("chat", Stream(text="The sky is blue."), Stream(text=" grey."))
    answer = type_and_send(qtbot, window, "Colour of the sky?").message_id

    # The user makes the plain server the endpoint for new sessions; this session stays.
    ctx.endpoints.set_active(plain_endpoint.id)
    ctx.bus.active_endpoint_changed.emit(plain_endpoint.id)
    window.docks["heatmap"].show()
    ctx.bus.answer_selected.emit(answer)
    heatmap = window.docks["heatmap"].panel()
    assert heatmap._fork_problem() is None  # judged on "Continues", where the fork goes

    ctx.bus.fork_requested.emit(answer, "The sky is")
    assert "writing the new branch" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.chat.streams.busy, timeout=WAIT_MS)
    assert _chats(plain) == []
    assert _chats(able)[-1]["messages"][-1] == {
        "role": "assistant",
        "content": "The sky is",
        "prefix": True,
    }
    assert window.chat.path[-1].content == "The sky is grey."
    assert window.statusBar().currentMessage() == "The forked branch is written."


def test_the_setting_is_kept_and_old_files_take_the_kinds_default(tmp_path) -> None:
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    custom = new_endpoint(EndpointKind.CUSTOM, "llama-server")
    vllm = new_endpoint(EndpointKind.VLLM, "vLLM")
    assert not custom.can_continue and vllm.can_continue
    registry.upsert(custom.with_changes(continues_prefix=True))
    registry.upsert(vllm)
    again = EndpointRegistry(tmp_path / "endpoints.json")
    assert again.get(custom.id).can_continue and again.get(vllm.id).can_continue
    assert again.get("local").can_continue

    # A file written before the setting existed.
    text = (tmp_path / "endpoints.json").read_text()
    (tmp_path / "endpoints.json").write_text(text.replace('"continues_prefix": true', '"x": 1'))
    old = EndpointRegistry(tmp_path / "endpoints.json")
    assert not old.get(custom.id).can_continue and old.get(vllm.id).can_continue
