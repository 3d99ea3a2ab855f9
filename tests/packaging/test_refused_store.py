"""A store written by a newer Workbench, opened by this one: the dialog gives the reason, Quit
ends the app with exit status 1, and the file is left byte for byte as it was.

A real `workbench` start in its own process (offscreen Qt) whose only help is a script that reads
the dialog and clicks Quit; packaging/upgrade_smoke.py checks the same through the installed app.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

from workbench.services.store import LATEST_VERSION, Store

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    import workbench.app.qt_app as qt_app
    from workbench.app.main import configure_logging
    from workbench.services.paths import data_paths

    seen = {}

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen["text"] = f"{box.windowTitle()}\\n{box.text()}\\n{box.informativeText()}"
        seen["buttons"] = [b.text() for b in box.buttons()]
        next(b for b in box.buttons() if b.text() == "Quit").click()

    paths = data_paths(sys.argv[1])
    configure_logging(paths)
    qt_app.make_application()
    QTimer.singleShot(0, answer)
    code = qt_app.run(paths)
    print("SEEN " + json.dumps(seen), flush=True)
    sys.exit(code)
    """
)


def test_a_store_from_a_newer_version_is_refused_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "workbench.db"
    Store.open(path).close()
    newer = LATEST_VERSION + 3
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    script = tmp_path / "start.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), str(data)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("SEEN ")]
    assert lines, result.stdout[-2000:] + result.stderr[-3000:]
    seen = json.loads(lines[-1][len("SEEN ") :])
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "can't open its database" in seen["text"]
    assert f"written by a newer Workbench (schema version {newer}" in seen["text"]
    assert f"understands up to {LATEST_VERSION}" in seen["text"]
    assert "Quit changes nothing" in seen["text"] and "Quit" in seen["buttons"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    # Nothing set aside, no WAL left; only the data folder's own lock file beside it.
    beside = {p.name for p in data.glob("workbench*.db*")} - {"workbench.db.lock"}
    assert beside == {"workbench.db"}
    logged = (data / "logs" / "workbench.log").read_text(encoding="utf-8")
    assert f"schema version {newer}" in logged
