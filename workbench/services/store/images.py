"""Images in messages: each image's bytes kept once (assets, by content hash), and which
message shows which, in order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.sessions import ImageRef


def keep_asset(db: sqlite_utils.Database, data: bytes, mime: str, digest: str, now: str) -> None:
    """`data` in assets under its hash, once (inside the caller's transaction)."""
    db.execute(
        "INSERT OR IGNORE INTO assets (hash, mime, size, data, created_at) VALUES (?, ?, ?, ?, ?)",
        [digest, mime, len(data), data, now],
    )


@dataclass(frozen=True, slots=True)
class NewImage:
    data: bytes
    mime: str
    digest: str
    width: int
    height: int
    detail: str = "auto"


class ImageQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def attach(self, message_id: int, images: Sequence[NewImage]) -> None:
        """The images of `message_id`, committed with their bytes (each stored once)."""
        now = utc_now_iso()
        with self._db.conn:
            for position, image in enumerate(images):
                keep_asset(self._db, image.data, image.mime, image.digest, now)
                self._db.execute(
                    "INSERT INTO message_images (message_id, position, asset_hash, detail, "
                    "width, height) VALUES (?, ?, ?, ?, ?, ?)",
                    [message_id, position, image.digest, image.detail, image.width, image.height],
                )

    def of_session(self, session_id: int) -> dict[int, tuple[ImageRef, ...]]:
        """Every message's images in a session, in one query."""
        rows = self._db.execute(
            "SELECT i.message_id, i.asset_hash, a.mime, i.detail, i.width, i.height "
            "FROM message_images i JOIN assets a ON a.hash = i.asset_hash "
            "JOIN messages m ON m.id = i.message_id WHERE m.session_id = ? "
            "ORDER BY i.message_id, i.position",
            [session_id],
        )
        found: dict[int, list[ImageRef]] = {}
        for message_id, digest, mime, detail, width, height in rows:
            found.setdefault(message_id, []).append(ImageRef(digest, mime, detail, width, height))
        return {k: tuple(v) for k, v in found.items()}

    def of_message(self, message_id: int) -> tuple[ImageRef, ...]:
        rows = self._db.execute(
            "SELECT i.asset_hash, a.mime, i.detail, i.width, i.height FROM message_images i "
            "JOIN assets a ON a.hash = i.asset_hash WHERE i.message_id = ? ORDER BY i.position",
            [message_id],
        )
        return tuple(ImageRef(*row) for row in rows)

    def data(self, digest: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM assets WHERE hash = ?", [digest]).fetchone()
        return bytes(row[0]) if row else None

    def data_of(self, digests: Iterable[str]) -> dict[str, bytes]:
        return {d: b for d in set(digests) if (b := self.data(d)) is not None}


class SpeechCache:
    """Audio of answers read aloud (bytes in assets, by hash)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def get(self, key: tuple[int, str, float, str, str]) -> bytes | None:
        row = self._db.execute(
            "SELECT a.data FROM speech_cache c JOIN assets a ON a.hash = c.asset_hash "
            "WHERE c.message_id = ? AND c.voice = ? AND c.speed = ? AND c.format = ? "
            "AND c.model = ?",
            list(key),
        ).fetchone()
        return bytes(row[0]) if row else None

    def put(self, key: tuple[int, str, float, str, str], data: bytes, mime: str) -> None:
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        now = utc_now_iso()
        with self._db.conn:
            keep_asset(self._db, data, mime, digest, now)
            self._db.execute(
                "INSERT OR REPLACE INTO speech_cache (message_id, voice, speed, format, model, "
                "asset_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [*key, digest, now],
            )
