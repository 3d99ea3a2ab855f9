"""The chat's writes: messages in a tree, streamed answers checkpointed as they arrive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.export import auto_title
from workbench.core.runs import RunParams, RunStatus
from workbench.core.sessions import DEFAULT_SESSION_TITLE, Message, MessageStatus, Role
from workbench.core.tools import ToolCall, calls_from_json, calls_to_json
from workbench.services.store.images import ImageQueries

_MESSAGE_COLUMNS = (
    "id, session_id, parent_id, role, content, status, created_at, run_id, tool_calls, tool_call_id"
)


def _message(row: dict[str, Any]) -> Message:
    return Message(
        id=row["id"],
        session_id=row["session_id"],
        parent_id=row["parent_id"],
        role=Role(row["role"]),
        content=row["content"],
        status=MessageStatus(row["status"]),
        created_at=row["created_at"],
        run_id=row["run_id"],
        tool_calls=calls_from_json(row["tool_calls"]),
        tool_call_id=row["tool_call_id"],
    )


class ConversationQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._images = ImageQueries(db)

    # --- messages --------------------------------------------------------------------------
    def add(
        self,
        session_id: int,
        role: Role,
        content: str,
        parent_id: int | None,
        status: MessageStatus = MessageStatus.COMPLETE,
        tool_call_id: str | None = None,
    ) -> int:
        """Committed before this returns: a user's message survives a crash right after."""
        now = utc_now_iso()
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO messages (session_id, parent_id, role, content, status, created_at,"
                " tool_call_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [session_id, parent_id, str(role), content, str(status), now, tool_call_id],
            )
            message_id = int(cursor.lastrowid or 0)
            self._db.execute(
                "UPDATE sessions SET last_used_at = ?, current_leaf_id = ? WHERE id = ?",
                [now, message_id, session_id],
            )
        return message_id

    def get(self, message_id: int, settled: str | None = None) -> Message | None:
        """The message as stored. `settled`: the text a run has just settled it with, which
        is not read back (a 20 MB answer would be copied on the UI thread) unless the store
        could not settle it and holds its checkpoints' text instead."""
        columns = _MESSAGE_COLUMNS
        if settled is not None:
            kept = f"CASE WHEN status = '{MessageStatus.STREAMING}' THEN content END AS content"
            columns = columns.replace(", content,", f", {kept},")
        rows = self._db.query(f"SELECT {columns} FROM messages WHERE id = ?", [message_id])
        row = next(iter(rows), None)
        if row is not None and row["content"] is None:
            row["content"] = settled
        if row is None:
            return None
        message = _message(row)
        images = self._images.of_message(message_id)
        return replace(message, images=images) if images else message

    def session_chars(self, session_id: int) -> int:
        """How much text the session's messages hold (hidden ones too), without reading it."""
        row = self._db.execute(
            "SELECT coalesce(sum(s.chars), 0) FROM messages m "
            "JOIN message_sizes s ON s.message_id = m.id WHERE m.session_id = ?",
            [session_id],
        ).fetchone()
        return int(row[0])

    def visible(self, session_id: int) -> list[Message]:
        rows = self._db.query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages "
            "WHERE session_id = ? AND deleted_at IS NULL ORDER BY id",
            [session_id],
        )
        messages = [_message(r) for r in rows]
        images = self._images.of_session(session_id)
        if not images:
            return messages
        return [replace(m, images=images[m.id]) if m.id in images else m for m in messages]

    def append_chunk(self, message_id: int, text: str) -> None:
        """Checkpoint streamed text; costs the size of `text`, whatever the answer's length."""
        with self._db.conn:
            self._db.execute(
                "INSERT INTO message_chunks (message_id, seq, text) VALUES (?, "
                "(SELECT coalesce(max(seq), 0) + 1 FROM message_chunks WHERE message_id = ?), ?)",
                [message_id, message_id, text],
            )

    def streamed_text(self, message_id: int) -> str:
        rows = self._db.execute(
            "SELECT text FROM message_chunks WHERE message_id = ? ORDER BY seq", [message_id]
        )
        return "".join(r[0] for r in rows)

    def settle(
        self,
        message_id: int,
        content: str,
        status: MessageStatus,
        run_id: int | None = None,
        tool_calls: tuple[ToolCall, ...] = (),
    ) -> None:
        """The answer's final text (and its tool calls) replace its checkpoints, in one
        transaction."""
        calls = calls_to_json(tool_calls) if tool_calls else None
        with self._db.conn:
            self._db.execute(
                "UPDATE messages SET content = ?, status = ?, run_id = coalesce(?, run_id), "
                "tool_calls = coalesce(?, tool_calls) WHERE id = ?",
                [content, str(status), run_id, calls, message_id],
            )
            self._db.execute("DELETE FROM message_chunks WHERE message_id = ?", [message_id])

    def attach_run(self, message_id: int, run_id: int) -> None:
        with self._db.conn:
            self._db.execute("UPDATE messages SET run_id = ? WHERE id = ?", [run_id, message_id])

    def recover_interrupted(self) -> int:
        """After a crash: answers left streaming get what was checkpointed, marked interrupted."""
        ids = [
            r[0]
            for r in self._db.execute(
                "SELECT id FROM messages WHERE status = ?", [str(MessageStatus.STREAMING)]
            )
        ]
        for message_id in ids:
            self.settle(message_id, self.streamed_text(message_id), MessageStatus.INTERRUPTED)
        self._title_untitled(ids)
        with self._db.conn:
            self._db.execute(
                "UPDATE runs SET status = ? WHERE status = ?",
                [str(RunStatus.INTERRUPTED), str(RunStatus.STREAMING)],
            )
        return len(ids)

    def _title_untitled(self, message_ids: list[int]) -> None:
        """A session whose first answer was cut by a crash never reached the titling a finished
        answer gets: it is named after its first question here instead, as it would have been."""
        marks = ",".join("?" * len(message_ids))
        sessions = self._db.execute(
            f"SELECT DISTINCT m.session_id FROM messages m JOIN sessions s ON s.id = m.session_id"
            f" WHERE m.id IN ({marks}) AND s.title = ?",
            [*message_ids, DEFAULT_SESSION_TITLE],
        ).fetchall()
        for (session_id,) in sessions:
            first = self._db.execute(
                "SELECT content FROM messages WHERE session_id = ? AND role = ?"
                " AND deleted_at IS NULL ORDER BY id LIMIT 1",
                [session_id, str(Role.USER)],
            ).fetchone()
            if first is not None:
                with self._db.conn:
                    self._db["sessions"].update(session_id, {"title": auto_title(first[0])})

    def hide(self, message_ids: list[int]) -> None:
        self._set_deleted(message_ids, utc_now_iso())

    def unhide(self, message_ids: list[int]) -> None:
        self._set_deleted(message_ids, None)

    def _set_deleted(self, message_ids: list[int], value: str | None) -> None:
        with self._db.conn:
            self._db.conn.executemany(
                "UPDATE messages SET deleted_at = ? WHERE id = ?",
                [(value, i) for i in message_ids],
            )

    # --- per-session settings ------------------------------------------------------------------
    def current_leaf(self, session_id: int) -> int | None:
        row = self._db.execute(
            "SELECT current_leaf_id FROM sessions WHERE id = ?", [session_id]
        ).fetchone()
        return row[0] if row else None

    def set_current_leaf(self, session_id: int, leaf_id: int | None) -> None:
        with self._db.conn:
            self._db.execute(
                "UPDATE sessions SET current_leaf_id = ? WHERE id = ?", [leaf_id, session_id]
            )

    def settings(self, session_id: int) -> tuple[str, str | None, RunParams]:
        """System prompt, endpoint id and run parameters last used in the session."""
        row = self._db.execute(
            "SELECT system_prompt, endpoint, params_json FROM sessions WHERE id = ?", [session_id]
        ).fetchone()
        if row is None:
            return "", None, RunParams()
        return row[0] or "", row[1], RunParams.from_json(row[2])

    def save_settings(
        self, session_id: int, system_prompt: str, endpoint_id: str | None, params: RunParams
    ) -> None:
        with self._db.conn:
            self._db.execute(
                "UPDATE sessions SET system_prompt = ?, endpoint = ?, model = ?, params_json = ? "
                "WHERE id = ?",
                [system_prompt, endpoint_id, params.model, params.to_json(), session_id],
            )
