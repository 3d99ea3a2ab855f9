"""A store written by a newer Workbench, opened by this one: the dialog gives the reason, Quit
ends the app with exit status 1, and the file is left byte for byte as it was.

A real `workbench` start in its own process (offscreen Qt) whose only help is a script that reads
the dialog and clicks Quit; packaging/upgrade_smoke.py checks the same through the installed app.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.packaging.quit_box import start_and_quit
from workbench.services.store import LATEST_VERSION, Store


def test_a_store_from_a_newer_version_is_refused_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "workbench.db"
    Store.open(path).close()
    newer = LATEST_VERSION + 3
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result, box = start_and_quit(tmp_path, "data = sys.argv[1]\n", str(data))
    assert box is not None, "no dialog came up"
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "can't open its database" in box["text"]
    assert f"written by a newer Workbench (schema version {newer}" in box["text"]
    assert f"understands up to {LATEST_VERSION}" in box["text"]
    assert "Quit changes nothing" in box["text"] and "Quit" in box["buttons"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    # Nothing set aside, no WAL left; only the data folder's own lock file beside it.
    beside = {p.name for p in data.glob("workbench*.db*")} - {"workbench.db.lock"}
    assert beside == {"workbench.db"}
    logged = (data / "logs" / "workbench.log").read_text(encoding="utf-8")
    assert f"schema version {newer}" in logged
