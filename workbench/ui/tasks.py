"""Background work on the asyncio loop, visible while it runs and loud when it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class BackgroundTasks(QObject):
    changed = Signal()  # the set of running tasks changed
    failed = Signal(str, str)  # label, what went wrong

    def __init__(self, loop: asyncio.AbstractEventLoop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop = loop
        self._running: dict[asyncio.Task[Any], str] = {}
        self._quiet: set[asyncio.Task[Any]] = set()

    def start(
        self, label: str, coro: Coroutine[Any, Any, Any], *, quiet: bool = False
    ) -> asyncio.Task[Any]:
        """`quiet` work (a token count) is not shown as busy, but its failures still are."""
        # loop.create_task works from any slot, whether or not the loop is inside run_forever.
        task = self._loop.create_task(coro, name=label)
        self._running[task] = label
        if quiet:
            self._quiet.add(task)
        task.add_done_callback(self._finished)
        self.changed.emit()
        return task

    def labels(self) -> list[str]:
        return [label for task, label in self._running.items() if task not in self._quiet]

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        label = self._running.pop(task, task.get_name())
        self._quiet.discard(task)
        self.changed.emit()
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s failed", label, exc_info=exc)
            self.failed.emit(label, f"{type(exc).__name__}: {exc}")
