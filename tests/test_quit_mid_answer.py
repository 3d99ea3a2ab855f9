"""Quitting while an answer streams: the app ends cleanly, its log holds no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.endpoints import EndpointRegistry
from workbench.services.paths import data_paths

ROOT = Path(__file__).resolve().parents[1]
# The app's own --screenshot/--prompt path, with the shot (and so the close) due after 3 s.
DRIVER = (
    "import sys, workbench.app.qt_app as q; q.PROMPT_SCREENSHOT_LIMIT_MS = 3000; "
    "from workbench.app.main import main; sys.exit(main(sys.argv[1:]))"
)


def test_closing_the_window_mid_answer_logs_no_traceback(tmp_path: Path) -> None:
    paths = data_paths(tmp_path / "data")
    with ScriptedServer() as server:
        server.script("chat", Stream(text=" ".join(f"w{i}" for i in range(400)), delay=0.05))
        registry = EndpointRegistry(paths.endpoints)
        endpoint = new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
            base_url=server.base_url, default_model="gpt-4o"
        )
        registry.upsert(endpoint)
        registry.set_active(endpoint.id)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        args = ["--data-dir", str(paths.root), "--screenshot", str(tmp_path / "s.png")]
        result = subprocess.run(
            [sys.executable, "-c", DRIVER, *args, "--prompt", "Tell me a long story"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    log = (paths.logs / "workbench.log").read_text(encoding="utf-8")
    assert "POST" in log  # the question went out, and the answer was cut by the close
    assert "Traceback" not in log and "ERROR" not in log, log
    assert "Traceback" not in result.stderr, result.stderr
