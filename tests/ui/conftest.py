"""A chat on the scripted server (`ctx`, `server` and the rest: tests/support/fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.fixtures import use_scripted_endpoint
from tests.support.scripted_server import ScriptedServer
from workbench.app.context import AppContext
from workbench.app.panels import build_chat
from workbench.core.endpoints import EndpointKind
from workbench.ui.panels.chat import ChatPanel


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
