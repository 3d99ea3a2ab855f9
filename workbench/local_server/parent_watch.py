"""End the server when the process that started it is gone, even after a SIGKILL."""

from __future__ import annotations

import os
import signal
import threading
import time


def exit_when_parent_dies(parent_pid: int, interval: float = 0.5) -> threading.Thread:
    """Polls instead of relying on a signal: a parent killed with SIGKILL sends nothing."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid or not _alive(parent_pid):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(3)
                os._exit(0)  # SIGTERM handling got stuck: leave anyway, never linger as an orphan

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
