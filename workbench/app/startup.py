"""Opening the store at start-up: an unusable database is explained and kept, never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.services.store import Store, StoreError, set_aside

# Given the problem, says whether to set the file aside and start fresh (True) or quit (False).
AskStartFresh = Callable[[StoreError], bool]


def open_store(path: Path, ask_start_fresh: AskStartFresh) -> tuple[Store | None, Path | None]:
    """Returns the store (None if the user chose to quit) and where an unusable file was kept."""
    try:
        return Store.open(path), None
    except StoreError as problem:
        if not ask_start_fresh(problem):
            return None, None
        kept = set_aside(path)
        return Store.open(path), kept
