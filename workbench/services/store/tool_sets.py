"""Saved tool sets, by name: a set defined once is there in every session."""

from __future__ import annotations

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.tools import ToolSet


class ToolSetQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def save(self, tools: ToolSet) -> None:
        """Saved under its name, replacing a set of the same name."""
        if not tools.name.strip():
            raise ValueError("a saved tool set needs a name")
        with self._db.conn:
            self._db.execute(
                "INSERT INTO tool_sets (name, definition, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, "
                "updated_at = excluded.updated_at",
                [tools.name, tools.to_json(), utc_now_iso()],
            )

    def names(self) -> list[str]:
        rows = self._db.execute("SELECT name FROM tool_sets ORDER BY name COLLATE NOCASE")
        return [r[0] for r in rows]

    def get(self, name: str) -> ToolSet | None:
        row = self._db.execute("SELECT definition FROM tool_sets WHERE name = ?", [name]).fetchone()
        return ToolSet.from_json(row[0]) if row else None

    def delete(self, name: str) -> None:
        with self._db.conn:
            self._db.execute("DELETE FROM tool_sets WHERE name = ?", [name])
