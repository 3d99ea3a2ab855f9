"""The store as a user relies on it: migrations keep data, search finds it, bad files are kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from workbench.core.sessions import MATCH_END, MATCH_START, MessageStatus, Role
from workbench.services.store import LATEST_VERSION, Store, StoreCorrupt, StoreTooNew, set_aside
from workbench.services.store.migrations import migrate


def test_fresh_database_is_at_latest_version_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    assert store.version == LATEST_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sessions", "messages", "runs", "assets", "messages_fts"} <= set(store.db.table_names())


def test_old_database_is_migrated_keeping_messages_and_search_finds_them(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    old = sqlite_utils.Database(path)
    migrate(old, upto=1)  # a database written by the first release, before search existed
    old["sessions"].insert(
        {"id": 1, "title": "Old one", "created_at": "2025-01-01", "last_used_at": "2025-01-01"}
    )
    old["messages"].insert(
        {
            "session_id": 1,
            "role": "user",
            "content": "remember the aardvark",
            "status": "complete",
            "created_at": "2025-01-01",
        }
    )
    old.close()

    store = Store.open(path)
    assert store.version == LATEST_VERSION
    assert [m.content for m in store.conversation.visible(1)] == ["remember the aardvark"]
    hits = store.sessions.search("aardv")
    assert [(h.session_title, h.snippet) for h in hits] == [
        ("Old one", f"remember the {MATCH_START}aardvark{MATCH_END}")
    ]
    backups = list(tmp_path.glob("w.v1-backup.db"))
    assert backups, "a copy is made before migrating"
    assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == 1


def test_search_follows_edits_and_skips_deleted_sessions(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    kept = store.sessions.create("Kept")
    gone = store.sessions.create("Gone")
    store.conversation.add(kept, Role.USER, "zebra crossing", None)
    store.conversation.add(gone, Role.USER, "zebra stripes", None)
    assert {h.session_title for h in store.sessions.search("zebra")} == {"Kept", "Gone"}
    store.sessions.delete(gone)
    assert [h.session_title for h in store.sessions.search("zebra")] == ["Kept"]
    assert [s.title for s in store.sessions.list()] == ["Kept"]
    store.sessions.restore(gone)
    assert {s.title for s in store.sessions.list()} == {"Kept", "Gone"}
    # Quotes and brackets typed by a person are text, not FTS5 syntax errors.
    assert {h.session_title for h in store.sessions.search('("zebra')} == {"Kept", "Gone"}


def test_deleted_sessions_are_purged_at_next_open(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    session = store.sessions.create("Temp")
    first = store.conversation.add(session, Role.USER, "hi", None)
    store.conversation.add(session, Role.ASSISTANT, "hello", first)
    store.sessions.delete(session)
    store.close()
    store = Store.open(path)
    assert store.sessions.get(session) is None
    assert store.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert store.sessions.search("hello") == []


def test_sessions_sort_by_last_use_and_messages_form_a_tree(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    a = store.sessions.create("A")
    b = store.sessions.create("B")
    question = store.conversation.add(a, Role.USER, "q", None)  # using A moves it to the top
    store.conversation.add(a, Role.ASSISTANT, "answer 1", question)
    store.conversation.add(a, Role.ASSISTANT, "answer 2", question, MessageStatus.INTERRUPTED)
    assert [s.title for s in store.sessions.list()] == ["A", "B"]
    assert store.sessions.get(a).message_count == 3
    replies = [m for m in store.conversation.visible(a) if m.parent_id == question]
    assert [(m.content, m.status) for m in replies] == [
        ("answer 1", MessageStatus.COMPLETE),
        ("answer 2", MessageStatus.INTERRUPTED),
    ]
    store.sessions.rename(b, "  Renamed\n title ")
    assert store.sessions.get(b).title == "Renamed title"


def test_garbage_file_is_refused_and_left_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    garbage = b"this is not a database\x00" * 500
    path.write_bytes(garbage)
    with pytest.raises(StoreCorrupt, match="not a readable Workbench database"):
        Store.open(path)
    assert path.read_bytes() == garbage


def test_damaged_pages_are_refused_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    session = store.sessions.create("S")
    for i in range(400):
        store.conversation.add(session, Role.USER, f"message {i} " + "x" * 200, None)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3 : page * 3 + 200] = b"\xff" * 200  # scribble over an interior page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt):
        Store.open(path)
    assert path.read_bytes() == bytes(data)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreTooNew, match="newer Workbench") as problem:
        Store.open(path)
    assert problem.value.found == LATEST_VERSION + 5
    assert path.read_bytes() == before


def test_set_aside_keeps_every_byte_and_frees_the_name(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    path.write_bytes(b"broken")
    kept = set_aside(path)
    assert kept.read_bytes() == b"broken"
    assert not path.exists()
    assert Store.open(path).version == LATEST_VERSION


def test_the_search_index_changes_only_when_a_messages_text_does(store: Store) -> None:
    from workbench.core.sessions import MessageStatus, Role

    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "where do herons nest", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    store.conversation.settle(answer, "In tall reeds.", MessageStatus.COMPLETE)

    def index_writes(change) -> int:
        before = store.db.conn.total_changes
        change()
        return store.db.conn.total_changes - before

    # Only the row itself: the 20 MB answer's whole text is not indexed again.
    assert index_writes(lambda: store.conversation.hide([answer])) == 1
    assert index_writes(lambda: store.conversation.unhide([answer])) == 1
    assert [h.message_id for h in store.sessions.search("reeds")] == [answer]
    store.conversation.settle(answer, "On cliffs.", MessageStatus.COMPLETE)
    assert store.sessions.search("reeds") == []
    assert [h.message_id for h in store.sessions.search("cliffs")] == [answer]
