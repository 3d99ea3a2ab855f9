"""The built-in model server as the window shows it: loading progress, crashes, start and stop.

The process itself is managed by `services.local.LocalServer`; this is only the Qt side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from workbench.services.local import LocalServer, LocalServerError, LocalState

if TYPE_CHECKING:  # context builds the LocalServer with local_threads(): no import cycle
    from workbench.app.context import AppContext

log = logging.getLogger(__name__)

# The status bar's work indicator adds the "…".
LOADING_LABEL = "Loading the built-in model"
STOP_TIMEOUT_S = 15.0
# CPU threads for the built-in model: a number from 1, or absent for the automatic choice.
LOCAL_THREADS_SETTING = "local/threads"


def local_threads(settings: QSettings) -> int | None:
    """The thread count the user chose for the built-in model; None lets the server choose."""
    try:
        value = int(str(settings.value(LOCAL_THREADS_SETTING, "")).strip())
    except ValueError:  # unset, "auto" or junk
        return None
    return value if value >= 1 else None


async def set_local_threads(ctx: AppContext, threads: int | None) -> None:
    """Remember the user's thread count (None: automatic) and use it now; a running server
    restarts with it (about half a second for the bundled model)."""
    if threads is None:
        ctx.settings.remove(LOCAL_THREADS_SETTING)
    else:
        ctx.settings.setValue(LOCAL_THREADS_SETTING, threads)
    await ctx.local.set_threads(threads)


class LocalModelStatus(QObject):
    """Mirrors the server's state in the status bar: a busy indicator while the model loads and a
    message when it is ready, crashed and restarting, or failed."""

    status_changed = Signal(str, str)  # LocalState value, the sentence shown

    def __init__(self, ctx: AppContext, say: Callable[[str], None], parent: QObject) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._say = say
        self.status_changed.connect(ctx.bus.local_model_changed)  # the chat's welcome says it too
        self._progress: asyncio.Task[None] | None = None
        unsubscribe = ctx.local.add_listener(self._changed)
        # A plain closure: by the time destroyed fires, this object's Python side may be gone.
        self.destroyed.connect(lambda *_: unsubscribe())
        if ctx.local.state in (LocalState.STARTING, LocalState.RESTARTING):
            self._show_progress()

    def start_if_active(self) -> bool:
        """Start loading in the background when the active endpoint is the built-in one."""
        if not self._ctx.endpoints.active.is_local or self._ctx.local.running:
            return False
        # The start is the progress task itself, so the indicator shows one "Loading" entry.
        self._progress = self._ctx.tasks.start(LOADING_LABEL, self._start_quietly())
        return True

    async def _start_quietly(self) -> None:
        # A failure is shown by _changed (FAILED); a later run or test asks again.
        with contextlib.suppress(LocalServerError):
            await self._ctx.local.ensure_ready()

    def _changed(self, state: LocalState, message: str) -> None:
        if state in (LocalState.STARTING, LocalState.RESTARTING):
            self._show_progress()
        if state in (LocalState.READY, LocalState.RESTARTING, LocalState.FAILED):
            self._say(message.partition("\n")[0])  # the status bar has one line; the log has all
        self.status_changed.emit(str(state), message)

    def _show_progress(self) -> None:
        if self._progress is None or self._progress.done():
            self._progress = self._ctx.tasks.start(LOADING_LABEL, self._wait_ready())

    async def _wait_ready(self) -> None:
        with contextlib.suppress(LocalServerError):
            await self._ctx.local.wait_ready()


def stop_after_loop(loop: asyncio.AbstractEventLoop, local: LocalServer) -> None:
    """Stop the server once the Qt loop has ended, so quitting never leaves it running."""
    if not local.running:
        return
    try:
        loop.run_until_complete(asyncio.wait_for(local.stop(), STOP_TIMEOUT_S))
    except Exception:
        log.exception("the built-in model server did not stop cleanly; killing it")
        local.kill_now()
