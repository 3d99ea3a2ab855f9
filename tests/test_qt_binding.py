"""The Qt binding must survive a long streaming session.

PySide6 6.12.0 under Python 3.11 drops a reference to None on every call of a method that
returns nothing; after some thousands of calls the interpreter aborts ("none_dealloc").
A chat that streams makes thousands of such calls a minute, so this guards the version pin.
"""

from __future__ import annotations

import os
import subprocess
import sys

CALLS = 200_000

SCRIPT = f"""
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

class Emitter(QObject):
    fired = Signal()

app = QCoreApplication([])
timer = QTimer()
emitter = Emitter()
emitter.fired.connect(lambda: None)
for _ in range({CALLS}):
    timer.stop()
    emitter.fired.emit()
print("survived")
"""


def test_void_calls_and_signal_emits_do_not_break_the_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "survived"
