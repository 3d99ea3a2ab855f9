"""Fixtures every test folder shares, registered once through `pytest_plugins` in tests/conftest.py.

An in-memory keyring (always on), a fresh data dir, a qasync loop, a store and an app context in a
temporary folder, the scripted OpenAI-compatible server and the main window.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Before anything imports Qt: the tests draw offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import keyring.errors
import pytest

from tests.support.scripted_server import ScriptedServer
from workbench.services.paths import DataPaths
from workbench.services.store import Store

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from workbench.app.context import AppContext
    from workbench.app.main_window import MainWindow

# The key the shared scripted server wants; tests check that it never lands on disk or screen.
SCRIPTED_KEY = "sk-scripted-ui-test-key-0123456789"
LOCAL_STOP_S = 20.0


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Stands in for the OS keyring so tests never touch the user's real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    return DataPaths(tmp_path / "data").ensure()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh database in the test's temporary folder."""
    opened = Store.open(tmp_path / "w.db")
    yield opened
    opened.close()


@pytest.fixture
def aloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop marked running, so tasks advance whenever qtbot spins Qt's event loop."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    deadline = time.monotonic() + 2
    while any(not t.done() for t in pending) and time.monotonic() < deadline:
        qapp.processEvents()
    # loop.stop() would call QApplication.exit() and break later tests' event loops, so only
    # mark it stopped; close() then joins the executor threads, which Qt must not outlive.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    # The loop's timer object is a QObject in a reference cycle. Left to the cyclic GC it may be
    # freed on whichever thread allocates next (a scripted server's handler, an executor), and a
    # QObject deleted off its thread leaves its Qt timers behind: a later timer event then lands
    # on freed memory (a segfault in QApplication::notify). Collect it here, on Qt's thread.
    del loop
    gc.collect()


@pytest.fixture
def ctx(data_paths: DataPaths, aloop: asyncio.AbstractEventLoop, qapp: Any) -> Iterator[AppContext]:
    """The app's context on a fresh data dir; its built-in model, if a test started it, is
    stopped afterwards (stopping one that never started costs nothing)."""
    from workbench.app.context import AppContext  # Qt: only for the tests that ask for it

    opened = Store.open(data_paths.database)
    context = AppContext.build(data_paths, opened, aloop)
    yield context
    # As the app does at quit: answers still being written are kept, and no panel is told of
    # them afterwards (the test's widgets are gone, and the store is about to close).
    context.runs.abandon_all()
    # Spinning Qt here rather than through qtbot keeps qtbot's own teardown (closing the test's
    # widgets) ahead of this one, so no widget outlives the store it was built on.
    stopping = aloop.create_task(context.local.stop())
    deadline = time.monotonic() + LOCAL_STOP_S
    while not stopping.done() and time.monotonic() < deadline:
        qapp.processEvents()
    opened.close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """The scripted OpenAI-compatible server on 127.0.0.1, wanting `SCRIPTED_KEY`."""
    with ScriptedServer(api_key=SCRIPTED_KEY) as running:
        yield running


def use_scripted_endpoint(
    ctx: AppContext,
    server: ScriptedServer,
    kind: Any = None,
    name: str = "Scripted",
    default_model: str = "gpt-4o",
) -> Any:
    """Makes the scripted server the active endpoint (custom unless `kind` says otherwise), with
    its key and no SDK retries; returns the endpoint. As "custom" it is set to continue a final
    assistant message, as the scripts for Continue and forks stand in for such a server; with a
    `kind` it keeps that kind's default."""
    from workbench.core.endpoints import EndpointKind, new_endpoint

    endpoint = new_endpoint(kind or EndpointKind.CUSTOM, name).with_changes(
        base_url=server.base_url, default_model=default_model
    )
    if endpoint.kind is EndpointKind.CUSTOM:
        endpoint = endpoint.with_changes(continues_prefix=True)
    ctx.endpoints.upsert(endpoint)
    ctx.endpoints.set_active(endpoint.id)
    ctx.keys.set(endpoint, SCRIPTED_KEY)
    ctx.connector.max_retries = 0
    return endpoint


def open_window(ctx: AppContext, qtbot: QtBot) -> MainWindow:
    """The main window on `ctx`, shown as the app shows it (a call, not only a fixture, so a test
    can first swap what the window is built from, or open a second one on the same data)."""
    from workbench.app.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(ctx: AppContext, qtbot: QtBot) -> MainWindow:
    return open_window(ctx, qtbot)
