"""The chat's model box against an endpoint that lists models: what is shown is what is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.driving import type_and_send
from tests.support.fixtures import SCRIPTED_KEY, open_window
from tests.support.scripted_server import ScriptedServer
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.core.endpoints import EndpointKind, new_endpoint

# Listed alphabetically first, but not the endpoint's default: the box once picked it.
LISTED = ("babbage-002", "gpt-4o-mini", "o3-mini")
DEFAULT = "gpt-4o-mini"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(models=LISTED, api_key=SCRIPTED_KEY) as running:
        yield running


def _window_on(ctx: AppContext, server: ScriptedServer, qtbot) -> MainWindow:
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
        base_url=server.base_url, default_model=DEFAULT
    )
    ctx.endpoints.upsert(endpoint)
    ctx.endpoints.set_active(endpoint.id)
    ctx.keys.set(endpoint, SCRIPTED_KEY)
    ctx.connector.max_retries = 0
    window = open_window(ctx, qtbot)
    box = window.chat.params.model
    qtbot.waitUntil(lambda: box.count() == len(LISTED), timeout=10_000)
    return window


def _chat_models(server: ScriptedServer) -> list[str]:
    return [r.body["model"] for r in server.requests if r.path.endswith("/chat/completions")]


def test_the_box_shows_the_endpoints_default_and_sends_it(ctx, server, qtbot) -> None:
    window = _window_on(ctx, server, qtbot)

    assert window.chat.params.model.currentText() == DEFAULT
    assert DEFAULT in window.endpoint_label.text()
    type_and_send(qtbot, window, "First question")
    type_and_send(qtbot, window, "A follow-up")

    assert _chat_models(server) == [DEFAULT, DEFAULT]
    assert window.chat.params.model.currentText() == DEFAULT


def test_a_sessions_listed_model_is_kept_when_models_are_listed_again(ctx, server, qtbot) -> None:
    window = _window_on(ctx, server, qtbot)
    window.chat.params.model.setCurrentText("o3-mini")
    type_and_send(qtbot, window, "Question for o3")

    window.chat.load_models()  # the endpoint's list read again, as after editing endpoints
    type_and_send(qtbot, window, "A follow-up")

    assert _chat_models(server) == ["o3-mini", "o3-mini"]


def test_a_model_the_endpoint_does_not_list_gives_way_to_its_default(ctx, server, qtbot) -> None:
    window = _window_on(ctx, server, qtbot)
    box = window.chat.params.model
    box.setCurrentText("gpt-4-from-another-endpoint")

    ctx.bus.active_endpoint_changed.emit(ctx.endpoints.active_id)
    qtbot.waitUntil(lambda: box.currentText() == DEFAULT, timeout=5_000)
