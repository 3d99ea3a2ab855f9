"""A second launch on a data folder in use brings the running window forward and quits (exit 0)
instead of opening the same store beside it. Real processes, offscreen, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import stop_process
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.endpoints import EndpointRegistry
from workbench.services.paths import DataPaths

ROOT = Path(__file__).resolve().parents[2]
FIRST_READY_S = 60.0  # start-up on a busy 2-core machine
SECOND_EXIT_S = 30.0
LISTENING = "listening for other launches"
ACTIVATED = "brought to the front by another launch"

pytestmark = pytest.mark.timeout(180)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _launch(data: Path, stderr: Path) -> subprocess.Popen[bytes]:
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "workbench.app.main", "--data-dir", str(data)],
            cwd=ROOT,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _log(paths: DataPaths) -> str:
    log = paths.logs / "workbench.log"
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def _wait_for(
    paths: DataPaths, text: str, limit_s: float, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + limit_s
    while text not in _log(paths):
        assert process.poll() is None, f"the first app exited with {process.returncode}"
        assert time.monotonic() < deadline, f"no {text!r} in the log within {limit_s} s"
        time.sleep(0.1)


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths(tmp_path / "data").ensure()
    # An endpoint that is not the built-in model, so no model server starts beside the app.
    registry = EndpointRegistry(paths.endpoints)
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Elsewhere").with_changes(
        base_url="http://127.0.0.1:9/v1", default_model="gpt-4o"
    )
    registry.upsert(endpoint)
    registry.set_active(endpoint.id)
    return paths


@pytest.fixture
def first(paths: DataPaths, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = _launch(paths.root, tmp_path / "first.err")
    try:
        yield process
    finally:
        stop_process(process)


def test_a_second_launch_activates_the_first_and_exits_0(
    paths: DataPaths, first: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    _wait_for(paths, LISTENING, FIRST_READY_S, first)
    started = time.monotonic()
    second = _launch(paths.root, tmp_path / "second.err")
    try:
        code = second.wait(timeout=SECOND_EXIT_S)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    said = (tmp_path / "second.err").read_text(errors="replace")
    assert code == 0, said
    assert "already running" in said
    assert time.monotonic() - started < SECOND_EXIT_S
    _wait_for(paths, ACTIVATED, 10.0, first)
    assert first.poll() is None  # the first keeps running, its window in front
