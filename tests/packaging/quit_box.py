"""A real `workbench` start in its own process (offscreen Qt) whose only help is a script that
reads the first message box the app shows and clicks Quit: what the box said comes back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PRELUDE = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    import workbench.app.qt_app as qt_app
    from workbench.app.main import configure_logging
    from workbench.services.paths import data_paths

    seen = {}
    """
)
# After the test's own part, which sets `data` (the data folder) and puts in its failure.
_ANSWER_AND_RUN = textwrap.dedent(
    """
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen["box"] = {
            "text": f"{box.windowTitle()}\\n{box.text()}\\n{box.informativeText()}",
            "buttons": [b.text() for b in box.buttons()],
        }
        next(b for b in box.buttons() if b.text() == "Quit").click()

    paths = data_paths(data)
    configure_logging(paths)
    qt_app.make_application()
    QTimer.singleShot(0, answer)
    code = qt_app.run(paths)
    print("SEEN " + json.dumps(seen), flush=True)
    sys.exit(code)
    """
)


def start_and_quit(
    folder: Path, setup: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict | None]:
    """Starts the app with `setup` run first (given `args` as sys.argv[1:]); returns the run and
    the box it showed ({"text", "buttons"}), or None when no box came up."""
    script = folder / "start.py"
    script.write_text(_PRELUDE + textwrap.dedent(setup) + _ANSWER_AND_RUN)
    result = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("SEEN ")]
    assert lines, result.stdout[-2000:] + result.stderr[-3000:]
    return result, json.loads(lines[-1][len("SEEN ") :]).get("box")
