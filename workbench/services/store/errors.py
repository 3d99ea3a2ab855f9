"""Why a database could not be opened, in words a person can act on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class StoreError(Exception):
    """The database can't be used; it has not been changed."""

    # Whether setting the file aside for a new one can help, and whether trying again can.
    can_start_fresh = True
    can_retry = False

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path

    @property
    def advice(self) -> str:
        """What the user can do about it, in one sentence."""
        return "Start Fresh keeps the file and opens a new one."


class StoreCorrupt(StoreError):
    pass


class StoreLocked(StoreError):
    """Another process holds a lock on the file; it goes away when that process lets go."""

    can_start_fresh = False
    can_retry = True

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path.name} is in use: another program, or another Workbench, holds a lock on it "
            f"({path}).",
        )

    @property
    def advice(self) -> str:
        return "Close the other program or Workbench window, then retry."


class StoreReadOnly(StoreError):
    """The file or its folder may not be written by this user: a new file could not be either."""

    can_start_fresh = False

    def __init__(self, path: Path, where: str) -> None:
        super().__init__(
            path,
            f"Workbench may not write to {where}: permission denied. It needs to write there to "
            "save your sessions.",
        )
        self.where = where

    @property
    def advice(self) -> str:
        return f"Give your user write permission on {self.where}, then start Workbench again."


class StoreInUse(StoreError):
    """Another live Workbench owns the data folder and did not answer: this one only reads."""

    can_start_fresh = False

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            "Another Workbench is using this data folder and did not answer, so this window "
            "only shows it: nothing can be saved here.",
        )

    @property
    def advice(self) -> str:
        return "Close the other Workbench (or end it, if it is frozen), then start this one again."


class StoreFull(StoreError):
    can_start_fresh = False
    can_retry = True

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, f"The disk holding {path.parent} is full: nothing more can be saved."
        )

    @property
    def advice(self) -> str:
        return "Free some disk space, then try again."


class StoreTooNew(StoreError):
    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            path,
            f"{path.name} was written by a newer Workbench (schema version {found}; this version "
            f"understands up to {supported}). It has not been changed.",
        )
        self.found = found
        self.supported = supported

    @property
    def advice(self) -> str:
        return "Open it with the newer Workbench that wrote it, or start a new database here."


def unwritable(path: Path) -> StoreReadOnly | None:
    """Checked before SQLite opens the file: it needs to write the folder (its WAL files, and
    setting an unusable file aside), and would otherwise call a read-only file unreadable."""
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return StoreReadOnly(path, f"the folder {folder}")
    if path.exists() and not os.access(path, os.W_OK):
        return StoreReadOnly(path, f"the file {path}")
    return None


# SQLite's primary result codes (the low byte of its extended codes) that a person can act on.
_BY_CODE = {
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_READONLY: "read-only",
    sqlite3.SQLITE_PERM: "read-only",
    sqlite3.SQLITE_FULL: "full",
}
_BY_MESSAGE = {"locked": "locked", "readonly": "read-only", "disk is full": "full"}


def store_problem(path: Path, exc: sqlite3.Error) -> StoreError | None:
    """The StoreError for a failure the user can do something about (locked, read-only, full);
    None for anything else, which is a bug to show as it is."""
    code = getattr(exc, "sqlite_errorcode", None)
    kind = _BY_CODE.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:  # raised without a code (by a test, or an older sqlite3 module)
        text = str(exc).lower()
        kind = next((k for needle, k in _BY_MESSAGE.items() if needle in text), None)
    if kind == "locked":
        return StoreLocked(path)
    if kind == "read-only":
        return unwritable(path) or StoreReadOnly(path, f"the file {path}")
    if kind == "full":
        return StoreFull(path)
    return None
