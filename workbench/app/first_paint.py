"""The main window's first frame: work that should wait for it, and a stamp for `bench.startup`.

"Painted" is the first event-loop turn after the window's first paint event, by which time the
whole frame (every dock) has been painted and flushed to the screen.

The stamp is written only when the environment names a file in WORKBENCH_BENCH_READY_FILE (the
app never sets it): two `time.time()` values, when the first paint event arrived and when the
frame was painted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

READY_FILE_ENV = "WORKBENCH_BENCH_READY_FILE"

# Called with (first paint event, frame painted), as time.time() values.
FirstPaintCallback = Callable[[float, float], None]


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, callback: FirstPaintCallback) -> None:
        super().__init__(window)
        self._callback = callback
        self._started: float | None = None
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._started is None and event.type() == QEvent.Type.Paint:
            self._started = time.time()
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._painted)
        return False

    def _painted(self) -> None:
        assert self._started is not None
        self._callback(self._started, time.time())


def on_first_paint(window: QWidget, callback: FirstPaintCallback) -> None:
    """Call `callback` once, when the window's first frame has been painted."""
    _FirstPaint(window, callback)


def report_first_paint(window: QWidget) -> None:
    """Stamp the first frame into the file the bench named, if it named one."""
    path = os.environ.get(READY_FILE_ENV)
    if path:
        on_first_paint(window, lambda started, painted: _write(Path(path), started, painted))


def _write(path: Path, started: float, painted: float) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(f"{started:.6f} {painted:.6f}\n")
    partial.replace(path)  # the bench never reads half a line
