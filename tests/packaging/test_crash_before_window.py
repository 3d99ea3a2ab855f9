"""A crash before the main window exists (opening the store, building the window) shows the crash
dialog with the log file's place and no key in it, then the app exits 1: never a silent exit.

Each case is a real `workbench` start in its own process (offscreen Qt), with the failure put in
by the script below replacing the window class or the store opener: nothing in the app itself
can fire it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.quit_box import start_and_quit
from workbench.app import crash

FAKE_KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
VAULT_KEY = "azure-secret-0123456789abcdef"

BREAK = """
import sqlite3
import keyring
from workbench.core.endpoints import EndpointKind, new_endpoint
from tests.support.fixtures import MemoryKeyring

keyring.set_keyring(MemoryKeyring())  # never the user's own keyring

data, where, key, VAULT_KEY = sys.argv[1:5]

class BrokenWindow(qt_app.MainWindow):
    def __init__(self, ctx):
        # A key only the keyring knows (not key-shaped): the report must take it out too.
        endpoint = new_endpoint(EndpointKind.AZURE, "Work")
        ctx.endpoints.upsert(endpoint)
        ctx.keys.set(endpoint, VAULT_KEY)
        raise RuntimeError(f"the window could not be built: {key} {VAULT_KEY}")

def broken_store(path, ask):
    raise sqlite3.OperationalError(f"disk I/O error reading {path} with {key}")

if where == "window":
    qt_app.MainWindow = BrokenWindow
else:
    qt_app.open_store = broken_store
"""


@pytest.mark.parametrize("where", ["window", "store"])
def test_a_crash_before_the_window_shows_the_dialog_and_exits(tmp_path: Path, where: str) -> None:
    data = tmp_path / "data"
    result, box = start_and_quit(tmp_path, BREAK, str(data), where, FAKE_KEY, VAULT_KEY)
    assert result.returncode == 1, result.stderr[-3000:]

    log_path = data / "logs" / "workbench.log"
    assert box is not None, "no dialog came up: the app would have ended without a word"
    expected = "RuntimeError: the window could not be built" if where == "window" else "disk I/O"
    assert crash.TITLE in box["text"] and expected in box["text"]
    assert str(log_path) in box["text"]
    assert "could not open its window" in box["text"]
    assert set(box["buttons"]) == {"Copy details", "Quit"}  # no window to keep going in
    logged = log_path.read_text(encoding="utf-8")
    assert "Workbench could not start" in logged and "Traceback" in logged and expected in logged
    for secret in (FAKE_KEY, VAULT_KEY):
        assert secret not in box["text"] and secret not in logged
        assert secret not in result.stderr
    if where == "window":  # the store was opened, then closed on the way out (WAL folded back)
        assert (data / "workbench.db").exists()
        assert not (data / "workbench.db-wal").exists()
