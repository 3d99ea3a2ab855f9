"""A second launch on a data folder in use brings the running window forward and quits (exit 0)
instead of opening the same store beside it. Real processes, offscreen, bounded in time."""

from __future__ import annotations

import os
import signal
import sqlite3
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


def _launch(data: Path, stderr: Path, *extra: str) -> subprocess.Popen[bytes]:
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "workbench.app.main", "--data-dir", str(data), *extra],
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


def test_a_launch_beside_a_frozen_one_opens_read_only(
    paths: DataPaths, first: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    _wait_for(paths, LISTENING, FIRST_READY_S, first)
    first.send_signal(signal.SIGSTOP)  # frozen: it holds the folder and answers nothing
    try:
        second = _launch(paths.root, tmp_path / "second.err")
        try:
            _wait_for(paths, "opened read-only", SECOND_EXIT_S, second)
        finally:
            stop_process(second)
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.poll() is None  # the first carries on, its folder untouched by the second
    time.sleep(0.5)
    assert "Traceback" not in (tmp_path / "second.err").read_text(errors="replace")


def test_a_second_launch_with_a_prompt_sends_it_in_the_first(
    paths: DataPaths, first: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    _wait_for(paths, LISTENING, FIRST_READY_S, first)
    prompt = 'Tell me about "quotes"\nand lines'
    second = _launch(paths.root, tmp_path / "second.err", "--prompt", prompt)
    assert second.wait(timeout=SECOND_EXIT_S) == 0
    assert "the prompt is sent there" in (tmp_path / "second.err").read_text(errors="replace")
    deadline = time.monotonic() + 10.0
    while prompt not in _user_messages(paths):
        assert time.monotonic() < deadline, "the first app never took the prompt"
        time.sleep(0.1)
    assert first.poll() is None


def _user_messages(paths: DataPaths) -> list[str]:
    with sqlite3.connect(f"file:{paths.database}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT content FROM messages WHERE role = 'user'")]
