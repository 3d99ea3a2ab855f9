"""The real built-in server's process as the app runs it: started, answering, never orphaned."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import fake_local_server
from tests.support.fake_local_server import alive, servers_started_by
from workbench.core.endpoints import local_endpoint
from workbench.services.local import LocalServer, LocalState, default_command, probe
from workbench.services.probe import probe_endpoint

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_starts_the_real_server_and_it_lists_its_model() -> None:
    async def scenario() -> int:
        server = LocalServer()
        assert server.command == default_command()
        said: list[LocalState] = []
        server.add_listener(lambda state, _message: said.append(state))
        url = await server.ensure_ready()
        pid = server.pid
        assert pid is not None
        try:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            result = await probe(local_endpoint(), None, server)
            assert result.ok, result.message
            assert "smollm2-135m-instruct" in result.models
            refused = await probe_endpoint(local_endpoint(), "not-the-token", base_url=url)
            assert not refused.ok and "401" in refused.message
            assert said == [LocalState.STARTING, LocalState.READY]
        finally:
            await server.stop()
        return pid

    pid = asyncio.run(scenario())
    assert not alive(pid), "stop() returned while the server still ran"


def test_the_app_entry_point_serves_as_a_frozen_build_would() -> None:
    async def scenario() -> None:
        server = LocalServer(command=[sys.executable, "-m", "workbench", "--local-server"])
        try:
            await server.ensure_ready()
            result = await probe(local_endpoint(), None, server)
            assert result.ok, result.message
            assert "smollm2-135m-instruct" in result.models
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_the_real_server_does_not_outlive_a_killed_app(tmp_path: Path) -> None:
    app, server_pid = fake_local_server.start_server_from_child(tmp_path, "real")
    assert alive(server_pid)
    app.kill()  # SIGKILL: the app gets no chance to stop the server itself
    app.wait()
    deadline = time.monotonic() + 5
    while alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server_pid), "the server was orphaned: still running 5 s after the app died"


def test_quitting_the_app_stops_the_real_server(tmp_path: Path) -> None:
    lines = fake_local_server.run_app_until_local_ready_then_quit(tmp_path, "real")
    assert not any(line.startswith("FAILED") for line in lines), lines
    assert lines[-2].startswith("SERVER ") and lines[-2] != "SERVER None", lines
    assert lines[-1] == "LEFT False", "the server was still running when the app had quit"


def test_a_screenshot_run_leaves_no_server_behind(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "--data-dir",
            str(tmp_path / "data"),
            "--screenshot",
            str(tmp_path / "shot.png"),
        ],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _out, err = app.communicate(timeout=120)
    assert app.returncode == 0, err
    assert (tmp_path / "shot.png").exists()
    assert servers_started_by(app.pid) == []
