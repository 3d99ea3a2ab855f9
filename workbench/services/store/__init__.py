"""The SQLite store: sessions, the message tree, runs, assets, full-text search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from workbench.services.instance_lock import FolderLock, lock_path
from workbench.services.store.comparisons import ComparisonQueries
from workbench.services.store.conversation import ConversationQueries
from workbench.services.store.costs import CostQueries
from workbench.services.store.database import connect, set_aside
from workbench.services.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreInUse,
    StoreLocked,
    StoreReadOnly,
    StoreTooNew,
    store_problem,
    unwritable,
)
from workbench.services.store.gallery import GalleryQueries
from workbench.services.store.images import ImageQueries, SpeechCache
from workbench.services.store.migrations import LATEST_VERSION, schema_version
from workbench.services.store.prompt_lab import PromptLabQueries
from workbench.services.store.runs import RunQueries
from workbench.services.store.sessions import SessionQueries
from workbench.services.store.tool_sets import ToolSetQueries
from workbench.services.store.writer import StoreWriter, WriteQueue


class Store:
    def __init__(
        self, db: sqlite_utils.Database, path: Path, lock: FolderLock | None = None
    ) -> None:
        self.db = db
        self.path = path
        self._lock = lock
        self.recovered = 0  # answers found cut off by a crash when the store was opened
        self.sessions = SessionQueries(db)
        self.conversation = ConversationQueries(db)
        self.runs = RunQueries(db)
        self.costs = CostQueries(db)
        self.comparisons = ComparisonQueries(db)
        self.tool_sets = ToolSetQueries(db)
        self.images = ImageQueries(db)
        self.speech = SpeechCache(db)
        self.gallery = GalleryQueries(db)
        self.lab = PromptLabQueries(db)
        self._writer: StoreWriter | None = None

    @classmethod
    def open(cls, path: Path) -> Store:
        """Raises StoreError (StoreCorrupt, StoreTooNew, StoreLocked, StoreReadOnly, StoreFull)
        without touching an unusable file."""
        problem = unwritable(path)
        if problem is not None:
            raise problem
        lock: FolderLock | None = None
        try:
            db = connect(path)
            # Taken once the file is known to be a usable database: a refused one gets no lock
            # file beside it. Recovery, below, runs only while holding it.
            lock = _acquire(path)
            store = cls(db, path, lock)
            # Only the folder's owner may settle what was left behind: while another live process
            # holds the lock, its "streaming" answers are being written, and its deleted sessions
            # may still be undone there.
            if store.owner:
                store.sessions.purge_deleted()
                store.recovered = store.conversation.recover_interrupted()
                store.recovered += store.comparisons.recover_interrupted()
                store.recovered += store.lab.recover_interrupted()
            else:  # two writers would each take the other's live answers for leftovers
                db.execute("PRAGMA query_only = ON")
        except sqlite3.OperationalError as exc:
            if lock is not None:
                lock.release()
            problem = store_problem(path, exc)
            if problem is None:
                raise
            raise problem from exc
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return store

    @property
    def owner(self) -> bool:
        """Whether this process holds the data folder (no other live process has it open)."""
        return self._lock is not None

    @property
    def read_only(self) -> bool:
        """Another live process owns the folder: this one shows it and writes nothing."""
        return not self.owner

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Turns SQLite's locked / read-only / full into the StoreError the user is shown."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            problem = store_problem(self.path, exc)
            if problem is None:
                raise
            if self.read_only and isinstance(problem, StoreReadOnly):
                problem = StoreInUse(self.path)
            raise problem from exc

    @property
    def version(self) -> int:
        return schema_version(self.db)

    @property
    def writer(self) -> StoreWriter:
        """The connection for writes too big for the UI thread (made on first use)."""
        if self._writer is None:
            self._writer = StoreWriter(self.path, query_only=self.read_only)
        return self._writer

    def close(self) -> None:
        if self._writer is not None:  # its queued checkpoints first: they hold text
            self._writer.close()
            self._writer = None
        self.db.close()
        if self._lock is not None:  # after the last write: the next owner may recover
            self._lock.release()
            self._lock = None


def _acquire(path: Path) -> FolderLock | None:
    try:
        return FolderLock.acquire(lock_path(path))
    except OSError:  # no lock file can be made here: owner unknown, so recover nothing
        return None


__all__ = [
    "LATEST_VERSION",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreInUse",
    "StoreLocked",
    "StoreReadOnly",
    "StoreTooNew",
    "WriteQueue",
    "set_aside",
    "store_problem",
]
