"""The gallery's images: kept with their prompt, model, options, size and cost; searched by
prompt (FTS5); hidden and brought back (delete with undo)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.gallery import GalleryImage
from workbench.core.search import fts_query
from workbench.services.store.images import keep_asset

_COLUMNS = (
    "g.id, g.asset_hash, g.mime, g.prompt, g.model, g.width, g.height, g.created_at, "
    "g.revised_prompt, g.options_json, g.cost_usd, g.run_id, g.source_id, g.kind"
)


def _image(row: Sequence[Any]) -> GalleryImage:
    (id_, digest, mime, prompt, model, width, height, created, revised, options, cost, run,
     source, kind) = row  # fmt: skip
    return GalleryImage(
        id=id_,
        digest=digest,
        mime=mime or "image/png",
        prompt=prompt,
        model=model,
        width=width or 0,
        height=height or 0,
        created_at=created,
        revised_prompt=revised,
        options=json.loads(options) if options else {},
        cost_usd=cost,
        run_id=run,
        source_id=source,
        kind=kind or "image.generation",
    )


class GalleryQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def add(
        self,
        data: bytes,
        mime: str,
        *,
        prompt: str,
        model: str,
        width: int,
        height: int,
        revised_prompt: str | None = None,
        options: dict[str, Any] | None = None,
        cost_usd: float | None = None,
        run_id: int | None = None,
        source_id: int | None = None,
        kind: str = "image.generation",
    ) -> int:
        """Kept at once, in one transaction with its bytes (each image stored once)."""
        digest = hashlib.sha256(data).hexdigest()
        now = utc_now_iso()
        with self._db.conn:
            keep_asset(self._db, data, mime, digest, now)
            cursor = self._db.execute(
                "INSERT INTO gallery (asset_hash, mime, prompt, revised_prompt, model, kind, "
                "options_json, width, height, cost_usd, run_id, source_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    digest,
                    mime,
                    prompt,
                    revised_prompt,
                    model,
                    kind,
                    json.dumps(options or {}),
                    width,
                    height,
                    cost_usd,
                    run_id,
                    source_id,
                    now,
                ],
            )
        return int(cursor.lastrowid or 0)

    def newest(self, search: str = "", limit: int = 100_000) -> list[GalleryImage]:
        """Newest first; with `search`, only images whose prompt (or revised prompt) has it."""
        query = fts_query(search) if search.strip() else None
        if search.strip() and query is None:
            return []
        if query is None:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM gallery g WHERE g.deleted_at IS NULL "
                "ORDER BY g.id DESC LIMIT ?",
                [limit],
            )
        else:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM gallery_fts f JOIN gallery g ON g.rowid = f.rowid "
                "WHERE gallery_fts MATCH ? AND g.deleted_at IS NULL ORDER BY g.id DESC LIMIT ?",
                [query, limit],
            )
        return [_image(r) for r in rows]

    def get(self, image_id: int) -> GalleryImage | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM gallery g WHERE g.id = ?", [image_id]
        ).fetchone()
        return _image(row) if row else None

    def data(self, image_id: int) -> bytes | None:
        row = self._db.execute(
            "SELECT a.data FROM gallery g JOIN assets a ON a.hash = g.asset_hash WHERE g.id = ?",
            [image_id],
        ).fetchone()
        return bytes(row[0]) if row else None

    def hide(self, ids: Sequence[int]) -> None:
        self._set_deleted(ids, utc_now_iso())

    def unhide(self, ids: Sequence[int]) -> None:
        self._set_deleted(ids, None)

    def _set_deleted(self, ids: Sequence[int], value: str | None) -> None:
        with self._db.conn:
            self._db.conn.executemany(
                "UPDATE gallery SET deleted_at = ? WHERE id = ?", [(value, i) for i in ids]
            )


class GalleryReader:
    """Image bytes read from worker threads (thumbnails): each thread gets its own read-only
    connection, since an SQLite connection belongs to the thread that made it. WAL lets these
    reads run beside the app's writes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    def data(self, image_id: int) -> bytes | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"{self._path.resolve().as_uri()}?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=True)
            self._local.connection = connection
        row = connection.execute(
            "SELECT a.data FROM gallery g JOIN assets a ON a.hash = g.asset_hash WHERE g.id = ?",
            [image_id],
        ).fetchone()
        return bytes(row[0]) if row else None
