"""How much text a session holds is known without reading it (migration 14): the chat reads a
session holding a huge answer off the UI thread, and must know that before reading it."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from workbench.core.sessions import MessageStatus, Role
from workbench.services.store import Store
from workbench.services.store.migrations import migrate


def test_an_older_store_learns_its_message_sizes_and_they_follow_every_change(tmp_path: Path):
    path = tmp_path / "w.db"
    old = sqlite_utils.Database(path)
    migrate(old, upto=13)  # before sizes were kept
    old["sessions"].insert(
        {"id": 1, "title": "Old", "created_at": "2025-01-01", "last_used_at": "2025-01-01"}
    )
    old["messages"].insert(
        {
            "session_id": 1,
            "role": "user",
            "content": "é" * 10,
            "status": "complete",
            "created_at": "2025-01-01",
        }
    )
    old.close()

    store = Store.open(path)
    try:
        conversation = store.conversation
        assert conversation.session_chars(1) == 10  # characters, not bytes
        answer = conversation.add(1, Role.ASSISTANT, "", 1, MessageStatus.STREAMING)
        assert conversation.session_chars(1) == 10
        conversation.settle(answer, "x" * 5_000, MessageStatus.COMPLETE)
        assert conversation.session_chars(1) == 5_010
        other = store.sessions.create("Other")
        conversation.add(other, Role.USER, "hello", None)
        assert (conversation.session_chars(1), conversation.session_chars(other)) == (5_010, 5)
        store.sessions.delete(1)
        store.sessions.purge_deleted()
        assert conversation.session_chars(1) == 0
    finally:
        store.close()
