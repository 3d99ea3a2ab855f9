"""One live process owns a data folder: an OS lock on a file beside the database.

The kernel drops the lock when its process dies, however it dies (SIGKILL, power cut), so a stale
lock can never block the next start, and a lock that is held means a live process owns the folder:
its "streaming" answers are being written, not cut off, and start-up recovery must leave them be.
The descriptor is not inherited (PEP 446), so a child such as the built-in model server never
keeps the folder locked after the app has gone.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from workbench.services.paths import private_file

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock, not fcntl's record locks: a second open in the same process conflicts too, and
        # closing some other descriptor of the file does not silently drop the lock.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class FolderLock:
    """Held from `acquire` until `release` (or the process's death)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, path: Path) -> FolderLock | None:
        """The lock, or None if another live process (or another open here) holds it.

        Raises OSError if the lock file cannot be created or opened (an unwritable folder)."""
        private_file(path)  # the file itself says nothing; keep it private like its neighbours
        fd = os.open(path, os.O_RDWR)
        if _try_lock(fd):
            return cls(fd, path)
        os.close(fd)
        return None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)
