"""Resume after SIGKILL: a headless matrix run is killed mid-way, then run again.

The scripted server lives in this test's process, so it outlives the killed runner and its list
of requests shows exactly what was asked, before and after the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.lab import asked, sample_matrix, scripted_endpoint
from tests.support.processes import stop_process
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.prompt_lab.model import Assertion, AssertionKind, CellStatus
from workbench.services.paths import DataPaths
from workbench.services.store import Store

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6  # x 2 models = 12 cells
DONE_BEFORE_KILL = 4
CONCURRENCY = 2


def launch(paths: DataPaths, matrix_id: int, stderr: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with stderr.open("w") as err:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.services.prompt_lab.run_matrix",
                "--data-dir",
                str(paths.root),
                "--matrix",
                str(matrix_id),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )


def test_a_matrix_killed_mid_way_resumes_without_asking_anything_twice(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data").ensure()
    with ScriptedServer(default=Stream(text="Hello " * 8, delay=0.04)) as server:
        _registry, _keys, endpoint_id = scripted_endpoint(paths.endpoints, server, key=None)
        store = Store.open(paths.database)
        matrix = sample_matrix(
            store,
            endpoint_id,
            rows=ROWS,
            concurrency=CONCURRENCY,
            assertions=(Assertion(AssertionKind.CONTAINS, "Hello"),),
        )
        store.close()

        runner = launch(paths, matrix.id, tmp_path / "first.err")
        try:
            assert runner.stdout is not None
            done = 0
            while done < DONE_BEFORE_KILL:
                line = runner.stdout.readline()
                assert line, (tmp_path / "first.err").read_text()
                done += " done" in line
            runner.send_signal(signal.SIGKILL)
            runner.wait(timeout=10)
        finally:
            stop_process(runner)
        assert runner.returncode == -signal.SIGKILL

        store = Store.open(paths.database)
        cells = store.lab.cells(matrix.id)
        finished = {c.key: c for c in cells if c.status is CellStatus.DONE}
        left = [c for c in cells if c.key not in finished]
        store.close()
        assert DONE_BEFORE_KILL <= len(finished) < len(cells)
        # Killed as they were: nothing unfinished looks finished, nor busy (the store's opening
        # recovered the cells the killed process left queued or running).
        assert {c.status for c in left} == {CellStatus.CANCELLED}
        asked_at_kill = asked(server)

        again = launch(paths, matrix.id, tmp_path / "second.err")
        try:
            out, _ = again.communicate(timeout=120)
        finally:
            stop_process(again)
        assert again.returncode == 0, (tmp_path / "second.err").read_text()
        assert out.strip().endswith(f"FINISHED {len(cells)}/{len(cells)}")
        asked_in_all = asked(server)

    store = Store.open(paths.database)
    try:
        cells = store.lab.cells(matrix.id)
        assert all(c.status is CellStatus.DONE and c.passed for c in cells)
        for cell in cells:
            sent = store.runs.request(cell.run_id)
            case = (sent["messages"][1]["content"], sent["model"])
            if cell.key in finished:
                # Kept from before the kill, with its run, and never asked again.
                assert cell.run_id == finished[cell.key].run_id
                assert asked_in_all[case] == asked_at_kill[case] == 1
            else:
                assert asked_in_all[case] >= 1
        # At most the cells that were streaming when it died were asked twice.
        assert sum(asked_in_all.values()) - len(cells) <= CONCURRENCY
        assert len(asked_in_all) == len(cells)
    finally:
        store.close()
