"""The data folder holds conversations, settings and logs: only its owner may read any of it."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from workbench.app.main import configure_logging
from workbench.services.paths import DataPaths
from workbench.services.store import Store

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(paths: DataPaths) -> dict[str, int]:
    root = paths.root
    return {str(p.relative_to(root)): _mode(p) for p in [root, *sorted(root.rglob("*"))]}


@pytest.fixture
def logged() -> Iterator[list[logging.Handler]]:
    """Handlers the app's logging setup added to the root logger, removed afterwards."""
    before = list(logging.getLogger().handlers)
    added: list[logging.Handler] = []
    yield added
    for handler in logging.getLogger().handlers:
        if handler not in before:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _use_everything(paths: DataPaths) -> None:
    """What a session does to the folder: the store, a setting, a log line."""
    store = Store.open(paths.database)
    store.sessions.create("private")
    settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
    settings.setValue("window/geometry", "somewhere")
    settings.sync()
    configure_logging(paths)
    logging.getLogger("workbench").warning("a line in the log")
    for handler in logging.getLogger().handlers:
        handler.flush()
    # Checked while the store is open, so its WAL and shared-memory files exist.
    modes = _modes(paths)
    store.close()
    assert {"workbench.db-wal", "workbench.db-shm", "logs/workbench.log"} <= set(modes)
    _assert_private(modes)


def _assert_private(modes: dict[str, int]) -> None:
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}, "readable by others"
    assert modes["."] == 0o700 and modes["logs"] == 0o700 and modes["cache"] == 0o700


def test_a_fresh_data_folder_is_private(tmp_path: Path, logged: list) -> None:
    paths = DataPaths(tmp_path / "fresh").ensure()
    _use_everything(paths)
    modes = _modes(paths)
    assert modes["workbench.db"] == 0o600 and modes["settings.ini"] == 0o600


def test_an_existing_world_readable_folder_is_tightened_at_start(
    tmp_path: Path, logged: list
) -> None:
    root = tmp_path / "old"
    (root / "logs").mkdir(parents=True)
    (root / "cache").mkdir()
    for name in ("workbench.db", "workbench.db-wal", "settings.ini", "endpoints.json"):
        (root / name).write_bytes(b"")
    (root / "logs" / "workbench.log").write_text("old line\n")
    (root / "logs" / "workbench.log.1").write_text("older line\n")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    paths = DataPaths(root).ensure()
    _assert_private(_modes(paths))
    _use_everything(paths)
