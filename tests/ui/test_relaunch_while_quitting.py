"""A launch while the folder's owner is quitting takes the folder over instead of being sent to
a window that is going (it used to print "already running" and show nothing)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from workbench.app.single_instance import OwnerAnswer, wait_for_owner
from workbench.services.instance_lock import FolderLock, lock_path


def test_the_owner_releasing_the_folder_lets_the_new_launch_take_over(tmp_path: Path, qapp) -> None:
    database = tmp_path / "workbench.db"
    held = FolderLock.acquire(lock_path(database))
    assert held is not None
    releaser = threading.Timer(0.4, held.release)  # the quitting app exits a moment later
    releaser.start()
    started = time.monotonic()
    try:
        answer = wait_for_owner(tmp_path, database, patience_s=5.0)
    finally:
        releaser.cancel()
    assert answer is OwnerAnswer.GONE
    assert time.monotonic() - started < 3.0  # not the whole patience


def test_a_silent_owner_that_keeps_the_folder_is_reported_as_such(tmp_path: Path, qapp) -> None:
    database = tmp_path / "workbench.db"
    held = FolderLock.acquire(lock_path(database))
    assert held is not None
    try:
        assert wait_for_owner(tmp_path, database, patience_s=0.6) is OwnerAnswer.SILENT
    finally:
        held.release()
