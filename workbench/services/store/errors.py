"""Why a database could not be opened, in words a person can act on."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The database can't be used; it has not been changed."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class StoreCorrupt(StoreError):
    pass


class StoreTooNew(StoreError):
    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            path,
            f"{path.name} was written by a newer Workbench (schema version {found}; this version "
            f"understands up to {supported}). It has not been changed.",
        )
        self.found = found
        self.supported = supported
