"""Comparisons: the prompt, the columns that answered it, and each column's k answers."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.comparison import (
    ColumnSpec,
    ComparisonSummary,
    SavedAnswer,
    SavedColumn,
    SavedComparison,
    comparison_title,
)
from workbench.core.runs import ChatTurn, RunParams
from workbench.core.sessions import MessageStatus


class ComparisonQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def create(
        self,
        prompt: str,
        columns: Sequence[ColumnSpec],
        repeats: int,
        history: Sequence[ChatTurn] = (),
        session_id: int | None = None,
        leaf_id: int | None = None,
    ) -> SavedComparison:
        """Committed before any request goes out, like a chat question."""
        title = comparison_title(prompt, tuple(columns))
        history_json = json.dumps([[t.role, t.content] for t in history])
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO comparisons (session_id, leaf_id, title, prompt, history_json, "
                "repeats, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [session_id, leaf_id, title, prompt, history_json, repeats, utc_now_iso()],
            )
            comparison_id = int(cursor.lastrowid or 0)
            for position, spec in enumerate(columns):
                self._db.execute(
                    "INSERT INTO comparison_columns (comparison_id, position, endpoint_id, "
                    "endpoint_name, params_json, system_prompt) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        comparison_id,
                        position,
                        spec.endpoint_id,
                        spec.endpoint_name,
                        spec.params.to_json(),
                        spec.system_prompt,
                    ],
                )
        saved = self.get(comparison_id)
        assert saved is not None
        return saved

    def get(self, comparison_id: int) -> SavedComparison | None:
        row = next(
            iter(
                self._db.query(
                    "SELECT id, session_id, leaf_id, title, prompt, history_json, repeats, "
                    "created_at FROM comparisons WHERE id = ?",
                    [comparison_id],
                )
            ),
            None,
        )
        if row is None:
            return None
        answers: dict[int, list[SavedAnswer]] = {}
        for a in self._db.query(
            "SELECT a.id, a.repeat_index, a.run_id, a.content, a.status, a.column_id "
            "FROM comparison_answers a JOIN comparison_columns c ON c.id = a.column_id "
            "WHERE c.comparison_id = ? ORDER BY a.repeat_index, a.id",
            [comparison_id],
        ):
            answers.setdefault(a["column_id"], []).append(
                SavedAnswer(
                    a["id"],
                    a["repeat_index"],
                    a["run_id"],
                    a["content"],
                    MessageStatus(a["status"]),
                )
            )
        columns = tuple(
            SavedColumn(
                c["id"],
                c["position"],
                ColumnSpec(
                    c["endpoint_id"] or "",
                    c["endpoint_name"] or "",
                    RunParams.from_json(c["params_json"]),
                    c["system_prompt"] or "",
                ),
                tuple(answers.get(c["id"], ())),
            )
            for c in self._db.query(
                "SELECT id, position, endpoint_id, endpoint_name, params_json, system_prompt "
                "FROM comparison_columns WHERE comparison_id = ? ORDER BY position",
                [comparison_id],
            )
        )
        turns = json.loads(row["history_json"] or "[]")
        return SavedComparison(
            id=row["id"],
            session_id=row["session_id"],
            leaf_id=row["leaf_id"],
            title=row["title"] or "",
            prompt=row["prompt"],
            history=tuple(ChatTurn.of(str(role), str(text)) for role, text in turns),
            repeats=row["repeats"] or 1,
            created_at=row["created_at"],
            columns=columns,
        )

    def recent(self, limit: int = 50) -> list[ComparisonSummary]:
        rows = self._db.query(
            "SELECT c.id, c.title, c.created_at, c.repeats, "
            "(SELECT COUNT(*) FROM comparison_columns WHERE comparison_id = c.id) AS columns "
            "FROM comparisons c ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
            [limit],
        )
        return [
            ComparisonSummary(
                id=r["id"],
                title=r["title"] or "",
                created_at=r["created_at"],
                columns=r["columns"],
                repeats=r["repeats"] or 1,
            )
            for r in rows
        ]

    def delete(self, comparison_id: int) -> None:
        """The comparison goes; its runs stay, since they were paid for (the cost meter)."""
        with self._db.conn:
            self._db.execute(
                "DELETE FROM comparison_answers WHERE column_id IN "
                "(SELECT id FROM comparison_columns WHERE comparison_id = ?)",
                [comparison_id],
            )
            self._db.execute(
                "DELETE FROM comparison_columns WHERE comparison_id = ?", [comparison_id]
            )
            self._db.execute("DELETE FROM comparisons WHERE id = ?", [comparison_id])

    # --- one answer, written as it streams ------------------------------------------------------
    def add_answer(self, column_id: int, repeat_index: int) -> int:
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO comparison_answers (column_id, repeat_index, content, status) "
                "VALUES (?, ?, '', ?)",
                [column_id, repeat_index, str(MessageStatus.STREAMING)],
            )
        return int(cursor.lastrowid or 0)

    def attach_run(self, answer_id: int, run_id: int) -> None:
        with self._db.conn:
            self._db.execute(
                "UPDATE comparison_answers SET run_id = ? WHERE id = ?", [run_id, answer_id]
            )

    def append_chunk(self, answer_id: int, text: str) -> None:
        # Not full-text indexed, so appending in place is cheap; a crash keeps what arrived.
        with self._db.conn:
            self._db.execute(
                "UPDATE comparison_answers SET content = content || ? WHERE id = ?",
                [text, answer_id],
            )

    def settle(
        self, answer_id: int, content: str, status: MessageStatus, run_id: int | None = None
    ) -> None:
        with self._db.conn:
            self._db.execute(
                "UPDATE comparison_answers SET content = ?, status = ?, "
                "run_id = COALESCE(?, run_id) WHERE id = ?",
                [content, str(status), run_id, answer_id],
            )

    def answer_for_run(self, run_id: int) -> SavedAnswer | None:
        row = self._db.execute(
            "SELECT id, repeat_index, run_id, content, status FROM comparison_answers "
            "WHERE run_id = ?",
            [run_id],
        ).fetchone()
        return SavedAnswer(*row) if row else None

    def recover_interrupted(self) -> int:
        """After a crash: answers left streaming keep what was checkpointed, marked interrupted."""
        with self._db.conn:
            cursor = self._db.execute(
                "UPDATE comparison_answers SET status = ? WHERE status = ?",
                [str(MessageStatus.INTERRUPTED), str(MessageStatus.STREAMING)],
            )
        return cursor.rowcount or 0
