"""The Python that View code shows really runs, against a live server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.scripted_server import ScriptedServer, Stream
from tests.unit.test_request_code import BODY
from workbench.core.request_code import python_code


def test_python_code_runs_against_a_server() -> None:
    key = "sk-view-code-test-key-0123456789"
    with ScriptedServer(api_key=key) as server:
        server.script("chat", Stream(text="It runs as shown."))
        result = subprocess.run(
            [sys.executable, "-c", python_code(server.base_url, BODY)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "OPENAI_API_KEY": key},
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "It runs as shown."
