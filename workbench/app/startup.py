"""Opening the store at start-up: an unusable database is explained and kept, never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path

from workbench.services.store import Store, StoreError, StoreReadOnly, set_aside


class StoreChoice(Enum):
    START_FRESH = "start fresh"  # set the file aside, keeping it, and open a new one
    RETRY = "retry"  # try the same file again (another program let go of it)
    QUIT = "quit"


# Given the problem, what the user chose; only what the problem allows is offered.
AskAboutStore = Callable[[StoreError], StoreChoice]


def open_store(path: Path, ask: AskAboutStore) -> tuple[Store | None, Path | None]:
    """Returns the store (None if the user chose to quit) and where an unusable file was kept."""
    kept: Path | None = None
    while True:
        try:
            return Store.open(path), kept
        except StoreError as problem:
            choice = ask(problem)
            if choice is StoreChoice.RETRY and problem.can_retry:
                continue
            if choice is not StoreChoice.START_FRESH or not problem.can_start_fresh:
                return None, None
        try:
            kept = set_aside(path)
        except OSError:  # the folder turned out not to be writable: say so, offer no Start Fresh
            ask(StoreReadOnly(path, f"the folder {path.parent}"))
            return None, None
