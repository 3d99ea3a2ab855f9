"""The store's second connection, on a thread of its own, for writes that grow with an answer.

Settling a 20 MB answer writes it and indexes it for search: about 0.6 s that the UI thread must
never wait for (issue 13), and a checkpoint of a fast stream can be megabytes. Jobs run one at a
time in the order given, so an answer's checkpoints land in order. `WriteQueue` refuses every
job after one that failed: a lock or a full disk must not leave a gap inside the kept text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

T = TypeVar("T")

# Off the UI thread a lock may be waited for: the UI's own short writes finish well within this.
WRITER_BUSY_TIMEOUT_S = 2.0


class StoreWriter:
    def __init__(self, path: Path, query_only: bool = False) -> None:
        self._path = path
        self._query_only = query_only
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._db: sqlite_utils.Database | None = None  # made on, and used only by, that thread

    def submit(self, job: Callable[[sqlite_utils.Database], T]) -> Future[T]:
        return self._pool.submit(self._run, job)

    def _run(self, job: Callable[[sqlite_utils.Database], T]) -> T:
        if self._db is None:
            db = sqlite_utils.Database(sqlite3.connect(self._path, timeout=WRITER_BUSY_TIMEOUT_S))
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = NORMAL")  # as the main connection does
            if self._query_only:  # another live process owns the folder
                db.execute("PRAGMA query_only = ON")
            self._db = db
        return job(self._db)

    def close(self) -> None:
        """Waits for the queued writes, then closes the connection."""
        self._pool.submit(self._close).result()
        self._pool.shutdown()

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class WriteQueue:
    """One answer's writes, in order, on the store's writer; after a failure, nothing more."""

    def __init__(self, writer: StoreWriter) -> None:
        self._writer = writer
        self._failure: BaseException | None = None
        self._lock = threading.Lock()

    def put(self, job: Callable[[sqlite_utils.Database], object]) -> Future[None]:
        """Queues `job`; its future fails with an earlier job's failure, if there was one."""
        return self._writer.submit(lambda db: self._guarded(job, db))

    def raise_failure(self) -> None:
        """Raises what made a queued write fail, if one has (so streaming stops keeping text)."""
        with self._lock:
            failure = self._failure
        if failure is not None:
            raise failure

    def _guarded(
        self, job: Callable[[sqlite_utils.Database], object], db: sqlite_utils.Database
    ) -> None:
        self.raise_failure()
        try:
            job(db)
        except BaseException as exc:
            with self._lock:
                self._failure = exc
            raise
