"""The SQLite store: sessions, the message tree, runs, assets, full-text search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from workbench.services.store.comparisons import ComparisonQueries
from workbench.services.store.conversation import ConversationQueries
from workbench.services.store.costs import CostQueries
from workbench.services.store.database import connect, set_aside
from workbench.services.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreReadOnly,
    StoreTooNew,
    store_problem,
    unwritable,
)
from workbench.services.store.migrations import LATEST_VERSION, schema_version
from workbench.services.store.runs import RunQueries
from workbench.services.store.sessions import SessionQueries


class Store:
    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path
        self.recovered = 0  # answers found cut off by a crash when the store was opened
        self.sessions = SessionQueries(db)
        self.conversation = ConversationQueries(db)
        self.runs = RunQueries(db)
        self.costs = CostQueries(db)
        self.comparisons = ComparisonQueries(db)

    @classmethod
    def open(cls, path: Path) -> Store:
        """Raises StoreError (StoreCorrupt, StoreTooNew, StoreLocked, StoreReadOnly, StoreFull)
        without touching an unusable file."""
        problem = unwritable(path)
        if problem is not None:
            raise problem
        try:
            store = cls(connect(path), path)
            store.sessions.purge_deleted()
            store.recovered = store.conversation.recover_interrupted()
            store.recovered += store.comparisons.recover_interrupted()
        except sqlite3.OperationalError as exc:
            problem = store_problem(path, exc)
            if problem is None:
                raise
            raise problem from exc
        return store

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Turns SQLite's locked / read-only / full into the StoreError the user is shown."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            problem = store_problem(self.path, exc)
            if problem is None:
                raise
            raise problem from exc

    @property
    def version(self) -> int:
        return schema_version(self.db)

    def close(self) -> None:
        self.db.close()


__all__ = [
    "LATEST_VERSION",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreReadOnly",
    "StoreTooNew",
    "set_aside",
    "store_problem",
]
