"""What a start loads: the window opens without the hidden panels' code or the plotting library.

Run in a fresh process, as a start is: in this one, other tests have imported everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

START = textwrap.dedent(
    """
    import asyncio, os, sys
    import qasync
    from PySide6.QtWidgets import QApplication
    from workbench.app.context import AppContext
    from workbench.app.main_window import MainWindow
    from workbench.services.paths import data_paths
    from workbench.services.store import Store

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    paths = data_paths(sys.argv[1])
    window = MainWindow(AppContext.build(paths, Store.open(paths.database), loop))
    window.show()
    app.processEvents()
    print(" ".join(sorted(m for m in sys.argv[2:] if m in sys.modules)), flush=True)
    os._exit(0)  # only the imports matter here
    """
)
HIDDEN_OR_HEAVY = (
    "pyqtgraph",
    "workbench.ui.panels.compare",
    "workbench.ui.panels.cost_meter",
    "workbench.ui.panels.inspector",
    "workbench.ui.dialogs.endpoints",
)


def test_a_start_loads_no_hidden_panel_and_no_plotting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", START, str(tmp_path / "data"), *HIDDEN_OR_HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the user's
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == ""
