"""Shared fixtures: offscreen Qt, an in-memory keyring, a fresh data dir, a qasync loop."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import pytest

from workbench.services.paths import DataPaths


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
def aloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
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
