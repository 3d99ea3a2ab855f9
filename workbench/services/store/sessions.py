"""Sessions and their messages: the queries the panels need, nothing more."""

from __future__ import annotations

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.search import fts_query
from workbench.core.sessions import (
    DEFAULT_SESSION_TITLE,
    MATCH_END,
    MATCH_START,
    SearchHit,
    SessionSummary,
)

_SUMMARY_SQL = """
SELECT s.id, s.title, s.created_at, s.last_used_at,
       (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS message_count
FROM sessions s
WHERE s.deleted_at IS NULL {where}
ORDER BY s.last_used_at DESC, s.id DESC
"""
RANKED_MATCHES = 1000


class SessionQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def create(self, title: str = DEFAULT_SESSION_TITLE, system_prompt: str = "") -> int:
        now = utc_now_iso()
        with self._db.conn:
            table = self._db["sessions"].insert(
                {
                    "title": title,
                    "system_prompt": system_prompt,
                    "created_at": now,
                    "last_used_at": now,
                }
            )
        return int(table.last_pk)

    def list(self) -> list[SessionSummary]:
        return [SessionSummary(**row) for row in self._db.query(_SUMMARY_SQL.format(where=""))]

    def get(self, session_id: int) -> SessionSummary | None:
        rows = self._db.query(_SUMMARY_SQL.format(where="AND s.id = ?"), [session_id])
        row = next(iter(rows), None)
        return SessionSummary(**row) if row else None

    def rename(self, session_id: int, title: str) -> None:
        title = " ".join(title.split()) or DEFAULT_SESSION_TITLE
        with self._db.conn:
            self._db["sessions"].update(session_id, {"title": title})

    def touch(self, session_id: int) -> None:
        with self._db.conn:
            self._db["sessions"].update(session_id, {"last_used_at": utc_now_iso()})

    def delete(self, session_id: int) -> None:
        """Hide the session; `restore` brings it back until `purge_deleted` runs."""
        with self._db.conn:
            self._db["sessions"].update(session_id, {"deleted_at": utc_now_iso()})

    def restore(self, session_id: int) -> None:
        with self._db.conn:
            self._db["sessions"].update(session_id, {"deleted_at": None})

    def purge_deleted(self) -> int:
        ids = [
            r[0] for r in self._db.execute("SELECT id FROM sessions WHERE deleted_at IS NOT NULL")
        ]
        with self._db.conn:
            for session_id in ids:
                # Children first: messages point at their parents.
                self._db.execute(
                    "UPDATE messages SET parent_id = NULL WHERE session_id = ?", [session_id]
                )
                self._db.execute("DELETE FROM messages WHERE session_id = ?", [session_id])
                self._db.execute("DELETE FROM runs WHERE session_id = ?", [session_id])
                self._db.execute("DELETE FROM sessions WHERE id = ?", [session_id])
        return len(ids)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        query = fts_query(text)
        if query is None:
            return []
        # FTS5 computes bm25 for every match before the best come out: 100+ ms when a common
        # word matches most of 100,000 messages. Only the newest RANKED_MATCHES matches are
        # ranked (the rowid bound is applied inside FTS5); fewer matches are all ranked.
        floor = self._db.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            [query, RANKED_MATCHES - 1],
        ).fetchone()
        rows = self._db.execute(
            "SELECT m.session_id, s.title, m.id, "
            "snippet(messages_fts, 0, ?, ?, '…', 12) "
            "FROM messages_fts "
            "JOIN messages m ON m.rowid = messages_fts.rowid "
            "JOIN sessions s ON s.id = m.session_id "
            "WHERE messages_fts MATCH ? AND messages_fts.rowid >= ? "
            "AND s.deleted_at IS NULL AND m.deleted_at IS NULL "
            "ORDER BY messages_fts.rank LIMIT ?",
            [MATCH_START, MATCH_END, query, floor[0] if floor else 0, limit],
        ).fetchall()
        return [SearchHit(*row) for row in rows]
