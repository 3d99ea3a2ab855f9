"""A chat on the scripted server (`ctx`, `server` and the rest: tests/support/fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.fixtures import SCRIPTED_KEY, use_scripted_endpoint
from tests.support.scripted_server import ScriptedServer
from workbench.app.context import AppContext
from workbench.app.panels import build_chat
from workbench.core.endpoints import EndpointKind
from workbench.ui.panels.chat import ChatPanel
from workbench.ui.panels.compare import CompareDeps, ComparePanel


@pytest.fixture
def scripted_chat(ctx: AppContext, server: ScriptedServer, qtbot) -> Callable[..., ChatPanel]:
    """A shown chat panel whose active endpoint (of the given kind) is the scripted server."""

    def make(kind: EndpointKind = EndpointKind.CUSTOM) -> ChatPanel:
        use_scripted_endpoint(ctx, server, kind)
        chat = build_chat(ctx)
        qtbot.addWidget(chat)
        chat.resize(1100, 700)
        chat.show()
        chat.params.model.setCurrentText("gpt-4o")
        return chat

    return make


# Compare against two scripted servers, one per endpoint, so which column got which answer is
# known (tests/ui/test_compare_*.py).
@pytest.fixture
def second_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(api_key=SCRIPTED_KEY) as running:
        yield running


@pytest.fixture
def endpoints(ctx: AppContext, server: ScriptedServer, second_server: ScriptedServer) -> list[str]:
    ids = [
        use_scripted_endpoint(ctx, running, name=name).id
        for name, running in (("Alpha", server), ("Beta", second_server))
    ]
    ctx.endpoints.set_active(ids[0])
    return ids


@pytest.fixture
def compare(ctx: AppContext, endpoints: list[str], qtbot) -> ComparePanel:
    panel = ComparePanel(CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog))
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    return panel
