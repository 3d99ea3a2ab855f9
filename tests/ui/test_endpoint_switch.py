"""Switching endpoints: each session and each Compare column sends a model of its own endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.driving import type_and_send
from tests.support.fixtures import SCRIPTED_KEY, open_window, use_scripted_endpoint
from tests.support.scripted_server import ScriptedServer
from workbench.app.context import AppContext
from workbench.ui.panels.compare import CompareDeps, ComparePanel


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with (
        ScriptedServer(models=("alpha-small", "shared-model"), api_key=SCRIPTED_KEY) as a,
        ScriptedServer(models=("beta-large", "shared-model"), api_key=SCRIPTED_KEY) as b,
    ):
        yield a, b


def _endpoints(ctx: AppContext, servers) -> list[str]:
    ids = [
        use_scripted_endpoint(ctx, running, name=name, default_model=default).id
        for name, running, default in (
            ("Alpha", servers[0], "alpha-small"),
            ("Beta", servers[1], "beta-large"),
        )
    ]
    ctx.endpoints.set_active(ids[0])
    return ids


def _models(server: ScriptedServer) -> list[str]:
    return [r.body["model"] for r in server.requests if r.path.endswith("/chat/completions")]


def test_a_new_session_after_switching_sends_the_new_endpoints_model(ctx, servers, qtbot) -> None:
    alpha, beta = servers
    _, beta_id = _endpoints(ctx, servers)
    window = open_window(ctx, qtbot)
    box = window.chat.params.model
    qtbot.waitUntil(lambda: box.count() == 2, timeout=10_000)
    box.setCurrentText("shared-model")  # listed by both endpoints: still not carried over
    type_and_send(qtbot, window, "On Alpha")

    ctx.endpoints.set_active(beta_id)  # "Use this endpoint"
    ctx.bus.active_endpoint_changed.emit(beta_id)
    # The open session keeps its endpoint, and the status bar says so.
    message = window.statusBar().currentMessage()
    assert "Beta" in message and "new sessions" in message
    assert box.currentText() == "shared-model"
    type_and_send(qtbot, window, "Still on Alpha")
    assert _models(alpha) == ["shared-model", "shared-model"] and _models(beta) == []

    window.new_session()
    qtbot.waitUntil(lambda: box.currentText() == "beta-large", timeout=10_000)
    type_and_send(qtbot, window, "On Beta")
    assert _models(beta) == ["beta-large"]
    assert len(_models(alpha)) == 2


def test_a_compare_column_switched_to_another_endpoint_takes_its_default_model(
    ctx, servers, qtbot
) -> None:
    alpha_id, beta_id = _endpoints(ctx, servers)
    panel = ComparePanel(CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog))
    qtbot.addWidget(panel)
    panel.show()
    column = panel.columns[0]
    qtbot.waitUntil(lambda: column.model.count() == 2, timeout=10_000)
    column.model.setCurrentText("shared-model")

    column.endpoint.setCurrentIndex(column.endpoint.findData(beta_id))
    qtbot.waitUntil(lambda: column.model.findText("beta-large") >= 0, timeout=10_000)
    assert column.model.currentText() == "beta-large"
    assert column.spec().endpoint_id == beta_id and column.spec().params.model == "beta-large"
    assert alpha_id != beta_id
