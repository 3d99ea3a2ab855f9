"""For `bench.startup`: write down when the main window's first frame was painted.

Only active when the environment names a file in WORKBENCH_BENCH_READY_FILE; the app never sets
it. The file gets two `time.time()` stamps: when the window's first paint event arrived, and the
first event-loop turn after it, once the whole frame (every dock) has been painted and flushed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

READY_FILE_ENV = "WORKBENCH_BENCH_READY_FILE"


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, path: Path) -> None:
        super().__init__(window)
        self._path = path
        self._started: float | None = None
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._started is None and event.type() == QEvent.Type.Paint:
            self._started = time.time()
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._write)
        return False

    def _write(self) -> None:
        painted = time.time()
        partial = self._path.with_name(self._path.name + ".part")
        partial.write_text(f"{self._started:.6f} {painted:.6f}\n")
        partial.replace(self._path)  # the bench never reads half a line


def report_first_paint(window: QWidget) -> None:
    """Stamp the first frame into the file the bench named, if it named one."""
    path = os.environ.get(READY_FILE_ENV)
    if path:
        _FirstPaint(window, Path(path))
