"""An unusable database at start-up: explained, kept byte for byte, and a fresh one on request."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.services.test_store_access import honour_mode_bits
from tests.support.driving import answer_question_box
from workbench.app.startup import StoreChoice, open_store
from workbench.services.store import (
    LATEST_VERSION,
    Store,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreReadOnly,
)


def test_quit_leaves_a_corrupt_database_untouched(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    path.write_bytes(b"\x13garbage" * 1000)
    asked: list[StoreError] = []
    store, kept = open_store(path, lambda problem: asked.append(problem) or StoreChoice.QUIT)
    assert store is None and kept is None
    assert isinstance(asked[0], StoreCorrupt) and asked[0].path == path
    assert path.read_bytes() == b"\x13garbage" * 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workbench.db"]


def test_start_fresh_keeps_the_old_file_and_opens_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    path.write_bytes(b"\x13garbage" * 1000)
    store, kept = open_store(path, lambda _problem: StoreChoice.START_FRESH)
    assert store is not None and store.version == LATEST_VERSION
    assert kept is not None and kept.read_bytes() == b"\x13garbage" * 1000
    assert store.sessions.list() == []


def test_healthy_database_opens_without_asking(tmp_path: Path) -> None:
    def must_not_ask(problem: StoreError) -> StoreChoice:
        raise AssertionError(f"asked about a healthy database: {problem}")

    store, kept = open_store(tmp_path / "workbench.db", must_not_ask)
    assert store is not None and kept is None


def test_a_locked_database_asks_to_close_the_other_program_and_retries(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    Store.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    asked: list[StoreError] = []

    def close_the_other_and_retry(problem: StoreError) -> StoreChoice:
        asked.append(problem)
        other.close()  # the user closed the other program
        return StoreChoice.RETRY

    store, kept = open_store(path, close_the_other_and_retry)
    assert store is not None and kept is None
    assert len(asked) == 1 and isinstance(asked[0], StoreLocked)
    assert not asked[0].can_start_fresh
    store.close()


def test_start_fresh_is_not_done_where_it_cannot_work(tmp_path: Path, monkeypatch) -> None:
    honour_mode_bits(monkeypatch)
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "workbench.db"
    path.write_bytes(b"\x13garbage" * 1000)
    folder.chmod(0o555)
    asked: list[StoreError] = []
    try:
        store, kept = open_store(path, lambda p: asked.append(p) or StoreChoice.START_FRESH)
    finally:
        folder.chmod(0o755)
    assert store is None and kept is None
    assert len(asked) == 1 and isinstance(asked[0], StoreReadOnly)
    assert sorted(p.name for p in folder.iterdir()) == ["workbench.db"]


@pytest.mark.parametrize(
    ("problem", "buttons", "click", "choice"),
    [
        (StoreLocked(Path("/d/w.db")), ["Retry", "Quit"], "Retry", StoreChoice.RETRY),
        (StoreReadOnly(Path("/d/w.db"), "/d"), ["Quit"], "Quit", StoreChoice.QUIT),
        (StoreCorrupt(Path("/d/w.db"), "bad"), ["Start Fresh", "Quit"], "Start Fresh", None),
    ],
)
def test_the_dialog_offers_only_what_can_work(qapp, problem, buttons, click, choice) -> None:
    from workbench.app.qt_app import ask_about_store

    seen: list = []
    answer_question_box(click, seen)
    chosen = ask_about_store(problem)
    assert sorted(b.text() for b in seen[0].buttons()) == sorted(buttons)
    assert problem.advice in seen[0].informativeText()
    assert chosen is (choice or StoreChoice.START_FRESH)
