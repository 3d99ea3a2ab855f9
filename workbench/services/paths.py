"""Where Workbench keeps its files: platformdirs by default, one folder when --data-dir is given."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Workbench"

# The folder holds conversations, settings and logs: nobody but its owner may read any of it.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# What Workbench writes at the top of its folder (the store with its WAL, shared memory, backups
# and set-aside copies; settings; endpoints). Only these are tightened: --data-dir may name a
# folder that also holds the user's own files.
_OWN_FILES = ("workbench*.db*", "settings.ini*", "endpoints.json*")


@dataclass(frozen=True, slots=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "workbench.db"

    @property
    def settings(self) -> Path:
        return self.root / "settings.ini"

    @property
    def endpoints(self) -> Path:
        return self.root / "endpoints.json"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> DataPaths:
        """Create the folder and its subfolders private, and tighten what an older version left
        readable by others (0755 folders, 0644 files)."""
        private_dir(self.root)
        # The rest is best effort: a read-only folder is for the store to report, not for this.
        with contextlib.suppress(OSError):
            private_dir(self.logs)
            private_dir(self.cache)
            # Created here, empty, so QSettings (which keeps an existing file's mode) writes 0600.
            private_file(self.settings)
        for pattern in _OWN_FILES:
            for path in self.root.glob(pattern):
                _tighten(path, PRIVATE_FILE)
        for path in self.logs.glob("workbench.log*"):
            _tighten(path, PRIVATE_FILE)
        return self


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter, made so if it exists already."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with owner-only access unless it exists (then only tighten it).

    SQLite gives its -wal and -shm files the database file's mode, so a database created this
    way keeps its journal private too.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _tighten(path, PRIVATE_FILE)
    return path


def _tighten(path: Path, mode: int) -> None:
    # Best effort: a file we do not own (or Windows, where modes mean little) stays as it is.
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o777 & ~mode:
            path.chmod(mode)


def default_data_paths() -> DataPaths:
    return DataPaths(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def data_paths(override: str | Path | None) -> DataPaths:
    paths = DataPaths(Path(override).expanduser().resolve()) if override else default_data_paths()
    return paths.ensure()
