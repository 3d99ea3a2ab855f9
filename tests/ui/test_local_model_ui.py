"""The built-in model as the user meets it: Test connection starts it, the status bar follows it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from tests.support import fake_local_server
from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.local import LocalServer, LocalState


@pytest.fixture
def local(ctx: AppContext, qtbot) -> Iterator[LocalServer]:
    ctx.local = LocalServer(command=fake_local_server.command())
    yield ctx.local
    stopping = ctx.tasks.start("stop", ctx.local.stop())
    qtbot.waitUntil(stopping.done, timeout=10_000)


def _indicator_text(window: MainWindow) -> str:
    indicator = window.findChild(QWidget, "status.work")
    assert indicator is not None
    return "" if indicator.isHidden() else indicator.label.text()  # type: ignore[attr-defined]


def test_test_connection_on_local_starts_the_model_and_lists_its_models(
    ctx: AppContext, local: LocalServer, qtbot, monkeypatch
) -> None:
    monkeypatch.setenv("FAKE_LOCAL_DELAY", "0.6")
    window = open_window(ctx, qtbot)
    dialog = window.open_endpoints()
    assert dialog.list.currentItem().text().startswith("Local")
    with qtbot.waitSignal(dialog.probe_finished, timeout=15_000) as done:
        dialog.test_button.click()
        qtbot.waitUntil(lambda: "Loading the built-in model…" in _indicator_text(window))
    result = done.args[0]
    assert result.ok, result.message
    assert dialog.result.text().startswith("✓ Connected")
    assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [
        "smollm2-135m-instruct",
        "whisper-tiny.en",
    ]
    assert window.statusBar().currentMessage() == "The built-in model is ready."
    qtbot.waitUntil(lambda: _indicator_text(window) == "")
    assert local.state is LocalState.READY


def test_a_crash_is_shown_and_the_model_comes_back(
    ctx: AppContext, local: LocalServer, qtbot
) -> None:
    window = open_window(ctx, qtbot)
    assert window.local_model.start_if_active()
    qtbot.waitUntil(lambda: local.state is LocalState.READY, timeout=10_000)
    os.kill(local.pid or 0, signal.SIGKILL)
    qtbot.waitUntil(
        lambda: (
            window.statusBar().currentMessage()
            == "The built-in model server crashed (killed by SIGKILL); restarting it…"
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: local.state is LocalState.READY, timeout=10_000)
    assert window.statusBar().currentMessage() == "The built-in model is ready."


def test_a_model_that_fails_to_load_is_explained_in_the_dialog(
    ctx: AppContext, local: LocalServer, qtbot, monkeypatch
) -> None:
    monkeypatch.setenv("FAKE_LOCAL_FAIL", "3")
    window = open_window(ctx, qtbot)
    dialog = window.open_endpoints()
    with qtbot.waitSignal(dialog.probe_finished, timeout=15_000):
        dialog.test_button.click()
    shown = dialog.result.text()
    assert shown.startswith("✗ The built-in model server stopped before it was ready (exit code 3)")
    assert "tensor 'blk.0' is corrupt" in shown
    assert window.statusBar().currentMessage().startswith("The built-in model server stopped")


def test_background_start_only_when_local_is_the_active_endpoint(
    ctx: AppContext, local: LocalServer, qtbot
) -> None:
    remote = new_endpoint(EndpointKind.OPENAI)
    ctx.endpoints.upsert(remote)
    ctx.endpoints.set_active(remote.id)
    window = open_window(ctx, qtbot)
    assert not window.local_model.start_if_active()
    assert local.state is LocalState.STOPPED and local.pid is None


def test_quitting_the_app_stops_the_model_server(tmp_path: Path) -> None:
    lines = fake_local_server.run_app_until_local_ready_then_quit(tmp_path, "fake")
    assert lines[-2].startswith("SERVER ") and lines[-2] != "SERVER None", lines
    assert lines[-1] == "LEFT False", "the server was still running when the app had quit"


def test_quitting_while_the_model_loads_stops_the_model_server(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_LOCAL_DELAY", "30")
    lines = fake_local_server.run_app_until_local_ready_then_quit(
        tmp_path, "fake", quit_while_loading=True
    )
    assert lines[-2].startswith("SERVER ") and lines[-2] != "SERVER None", lines
    assert lines[-1] == "LEFT False", "the loading server was still running when the app had quit"
