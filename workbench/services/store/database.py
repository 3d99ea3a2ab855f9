"""Opening the SQLite file: refuse what is damaged or too new, never overwrite it."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from workbench.services.paths import PRIVATE_FILE, private_file
from workbench.services.store.errors import StoreCorrupt, StoreTooNew, store_problem
from workbench.services.store.migrations import LATEST_VERSION, migrate, schema_version

BUSY_TIMEOUT_S = 0.25


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating if absent), check and migrate the database at `path`.

    Raises StoreCorrupt or StoreTooNew without having written anything to the file.
    """
    existed = path.exists() and path.stat().st_size > 0
    if not path.exists():
        # Its -wal and -shm take its mode: conversations stay the owner's. A folder that cannot
        # be written is left for sqlite to report, as before.
        with contextlib.suppress(OSError):
            private_file(path)
    # check_same_thread=False: writes may come from a worker thread; sqlite serialises them.
    # A short busy timeout: the UI thread writes through this connection, and a lock another
    # process holds must become a visible, retryable error, not a frozen window.
    conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    try:
        version = _checked_version(conn, path) if existed else 0
    except BaseException:
        conn.close()
        raise
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    # WAL + NORMAL: commits survive the app dying (all we promise), without an fsync per commit,
    # which cost ~6 ms each before every request and at every streaming checkpoint.
    db.execute("PRAGMA synchronous = NORMAL")
    if existed and 0 < version < LATEST_VERSION:
        _backup_before_migration(db, path, version)
    migrate(db)
    return db


def _checked_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        # Locked or unwritable is not damaged: say so, and offer no Start Fresh for it.
        raise store_problem(path, exc) or StoreCorrupt(
            path, f"{path.name} is not a readable Workbench database ({exc})."
        ) from exc
    if problems != ["ok"]:
        detail = "; ".join(problems[:3])
        raise StoreCorrupt(path, f"{path.name} is damaged ({detail}).")
    if version > LATEST_VERSION:
        raise StoreTooNew(path, version, LATEST_VERSION)
    return version


def _backup_before_migration(db: sqlite_utils.Database, path: Path, version: int) -> None:
    backup = path.with_name(f"{path.stem}.v{version}-backup{path.suffix}")
    if not backup.exists():
        db.execute("VACUUM INTO ?", [str(backup)])
        backup.chmod(PRIVATE_FILE)  # a full copy of the conversations: as private as the original


def set_aside(path: Path) -> Path:
    """Move an unusable database (and its WAL files) out of the way, keeping every byte."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.unusable-{stamp}{path.suffix}")
    path.rename(kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(kept.with_name(kept.name + suffix))
    return kept


__all__ = ["connect", "schema_version", "set_aside"]
