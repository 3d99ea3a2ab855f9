"""A database that is locked, read-only or full: refused with a reason a person can act on."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.services.store import Store, StoreFull, StoreLocked, StoreReadOnly, store_problem


def honour_mode_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root passes every permission check; make os.access answer from the mode bits as it does
    for everyone else, so a chmod in these tests means what it means on a user's machine."""
    if os.geteuid() != 0:
        return
    real = os.access

    def access(path: str | os.PathLike[str], mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and os.path.exists(path) and not os.stat(path).st_mode & 0o200:
            return False
        return real(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


@pytest.fixture
def existing(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "workbench.db"
    Store.open(path).close()
    yield path
    folder.chmod(0o755)
    path.chmod(0o644)


@pytest.fixture
def locker(existing: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding the database: a second connection inside BEGIN EXCLUSIVE."""
    other = sqlite3.connect(existing, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.close()


def test_a_locked_database_is_said_to_be_held_by_another_program(existing, locker) -> None:
    started = time.monotonic()
    with pytest.raises(StoreLocked) as refused:
        Store.open(existing)
    assert time.monotonic() - started < 2.0  # no long wait on the lock before saying so
    message = str(refused.value)
    assert "workbench.db" in message and "another program" in message
    assert "retry" in refused.value.advice
    assert refused.value.can_retry and not refused.value.can_start_fresh


def test_a_read_only_folder_is_named_with_its_permission_problem(existing, monkeypatch) -> None:
    honour_mode_bits(monkeypatch)
    existing.parent.chmod(0o555)
    with pytest.raises(StoreReadOnly) as refused:
        Store.open(existing)
    message = str(refused.value)
    assert str(existing.parent) in message and "permission" in message
    assert "not a readable" not in message
    assert not refused.value.can_start_fresh and not refused.value.can_retry


def test_a_read_only_file_is_named_with_its_permission_problem(existing, monkeypatch) -> None:
    honour_mode_bits(monkeypatch)
    existing.chmod(0o444)
    with pytest.raises(StoreReadOnly) as refused:
        Store.open(existing)
    assert str(existing) in str(refused.value) and "permission" in str(refused.value)


def test_sqlite_failures_are_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    full = store_problem(path, sqlite3.OperationalError("database or disk is full"))
    locked = store_problem(path, sqlite3.OperationalError("database is locked"))
    read_only = store_problem(
        path, sqlite3.OperationalError("attempt to write a readonly database")
    )
    assert isinstance(full, StoreFull) and "full" in str(full)
    assert isinstance(locked, StoreLocked)
    assert isinstance(read_only, StoreReadOnly)
    assert store_problem(path, sqlite3.OperationalError("no such table: x")) is None
