"""An unusable database at start-up: explained, kept byte for byte, and a fresh one on request."""

from __future__ import annotations

from pathlib import Path

from workbench.app.startup import open_store
from workbench.services.store import LATEST_VERSION, StoreCorrupt, StoreError


def test_quit_leaves_a_corrupt_database_untouched(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    path.write_bytes(b"\x13garbage" * 1000)
    asked: list[StoreError] = []
    store, kept = open_store(path, lambda problem: asked.append(problem) or False)
    assert store is None and kept is None
    assert isinstance(asked[0], StoreCorrupt) and asked[0].path == path
    assert path.read_bytes() == b"\x13garbage" * 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workbench.db"]


def test_start_fresh_keeps_the_old_file_and_opens_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "workbench.db"
    path.write_bytes(b"\x13garbage" * 1000)
    store, kept = open_store(path, lambda _problem: True)
    assert store is not None and store.version == LATEST_VERSION
    assert kept is not None and kept.read_bytes() == b"\x13garbage" * 1000
    assert store.sessions.list() == []


def test_healthy_database_opens_without_asking(tmp_path: Path) -> None:
    def must_not_ask(problem: StoreError) -> bool:
        raise AssertionError(f"asked about a healthy database: {problem}")

    store, kept = open_store(tmp_path / "workbench.db", must_not_ask)
    assert store is not None and kept is None
