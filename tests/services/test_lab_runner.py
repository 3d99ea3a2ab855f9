"""The matrix runner against the scripted server: cells stored as runs, limits, cancel, resume."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.lab import USER_TEMPLATE, asked, lab_connector, sample_matrix
from tests.support.scripted_server import Fault, ScriptedServer, Stream
from workbench.core.prompt_lab.model import Assertion, AssertionKind, Cell, CellStatus
from workbench.core.prompt_lab.results import By, pass_rates
from workbench.services.connector import Connector
from workbench.services.prompt_lab import runner as runner_module
from workbench.services.prompt_lab.runner import MatrixRunner
from workbench.services.run_service import RunService
from workbench.services.store import Store

K = AssertionKind


@pytest.fixture
def server() -> ScriptedServer:
    with ScriptedServer(api_key="sk-lab-test-key-0123456789") as running:
        yield running


def run_matrix(
    store: Store,
    connector: Connector,
    matrix_id: int,
    cancel_after_done: int | None = None,
    on_cells: Callable[[list[Cell]], None] | None = None,
) -> list[Cell]:
    """Runs the matrix to its end (or cancels after that many done cells); the cells told one
    by one, in order. `on_cells` takes the cells marked at once, as a grid would."""
    seen: list[Cell] = []
    announced: list[object] = []
    runs = RunService(store, connector, announce=announced.append)
    runner = MatrixRunner(runs, matrix_id, on_cells=on_cells)

    def on_cell(cell: Cell) -> None:
        seen.append(cell)
        done = sum(1 for c in seen if c.status is CellStatus.DONE)
        if cancel_after_done is not None and done >= cancel_after_done:
            runner.cancel()

    runner.on_cell = on_cell

    async def go() -> None:
        try:
            await runner.run()
        finally:
            await connector.close()

    asyncio.run(go())
    return seen


def test_every_cell_runs_once_and_is_stored_with_its_run(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    server.default = Stream(text="Hello there, friend.")
    connector, endpoint_id = lab_connector(tmp_path, server)
    assertions = (Assertion(K.CONTAINS, "Hello"), Assertion(K.MAX_LENGTH, "10"))
    matrix = sample_matrix(store, endpoint_id, rows=3, assertions=assertions)
    run_matrix(store, connector, matrix.id)

    cells = store.lab.cells(matrix.id)
    assert len(cells) == 6 and all(c.status is CellStatus.DONE for c in cells)
    assert store.lab.unfinished(matrix.id) == []
    # One request per cell, each with its own row rendered and its column's model.
    expected = {
        (USER_TEMPLATE.replace("{{ n }}", str(r)).replace("{{ name }}", f"person{r}"), m)
        for r in range(3)
        for m in ("gpt-4o", "gpt-4o-mini")
    }
    assert asked(server) == {key: 1 for key in expected}
    for cell in cells:
        assert cell.output == "Hello there, friend."
        assert cell.latency_ms is not None and cell.latency_ms > 0
        assert cell.completion_tokens and cell.prompt_tokens
        # The run behind the cell is stored: its request is what a click on the cell shows.
        sent = store.runs.request(cell.run_id)
        assert sent["model"] == ("gpt-4o", "gpt-4o-mini")[cell.key.column]
        assert sent["messages"][0] == {"role": "system", "content": "You are terse."}
        assert f"person{cell.key.row}" in sent["messages"][1]["content"]
        contains, length = cell.checks
        assert contains.passed and not length.passed
        assert "20 characters" in length.reason
        assert cell.passed is False
    rates = pass_rates(cells, By.COLUMN)
    assert rates[0].passed == 0 and rates[0].failed == 3


def test_a_failed_request_fails_its_cell_with_the_error_and_the_rest_go_on(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    server.script("chat", Fault(400, "This model does not like you."))
    connector, endpoint_id = lab_connector(tmp_path, server)
    matrix = sample_matrix(store, endpoint_id, rows=2, models=("gpt-4o",), concurrency=1)
    run_matrix(store, connector, matrix.id)
    first, second = store.lab.cells(matrix.id)
    assert first.status is CellStatus.FAILED and "does not like you" in first.error
    assert first.passed is False
    assert second.status is CellStatus.DONE
    # A failed cell is finished: a resume does not send it again.
    assert store.lab.unfinished(matrix.id) == []


def test_no_more_requests_at_once_than_the_endpoint_limit(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    server.default = Stream(text="one two three four", delay=0.05)
    connector, endpoint_id = lab_connector(tmp_path, server)
    matrix = sample_matrix(store, endpoint_id, rows=4, concurrency=2)
    seen = run_matrix(store, connector, matrix.id)

    running, most = set(), 0
    for cell in seen:
        if cell.status is CellStatus.RUNNING:
            running.add(cell.key)
        else:
            running.discard(cell.key)
        most = max(most, len(running))
    assert most == 2
    cells = store.lab.cells(matrix.id)
    assert all(c.status is CellStatus.DONE for c in cells)
    # Cells that waited for a slot say so apart from the model's own time: the first two got
    # one at once; every other one waited at least as long as some cell took to answer.
    queued = sorted(c.queue_ms for c in cells)
    quickest = min(c.latency_ms for c in cells)
    assert all(q < quickest for q in queued[:2])
    assert all(q >= quickest for q in queued[2:])


def test_cancel_keeps_what_finished_and_resume_runs_only_the_rest(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    server.default = Stream(text="slow words " * 5, delay=0.03)
    connector, endpoint_id = lab_connector(tmp_path, server)
    matrix = sample_matrix(store, endpoint_id, rows=4, concurrency=2)
    run_matrix(store, connector, matrix.id, cancel_after_done=2)

    cells = store.lab.cells(matrix.id)
    done_before = {c.key for c in cells if c.status is CellStatus.DONE}
    assert 2 <= len(done_before) < 8
    assert all(c.status is CellStatus.CANCELLED for c in cells if c.key not in done_before)
    asked_before = asked(server)

    run_matrix(store, connector, matrix.id)  # the resume, as after a restart
    cells = store.lab.cells(matrix.id)
    assert all(c.status is CellStatus.DONE for c in cells)
    asked_after = asked(server)
    for cell in cells:
        sent = store.runs.request(cell.run_id)
        user = sent["messages"][1]["content"]
        if cell.key in done_before:  # never asked again
            assert asked_after[(user, sent["model"])] == asked_before[(user, sent["model"])] == 1
        else:
            assert asked_after[(user, sent["model"])] >= 1


def test_a_judge_is_a_run_of_its_own_and_its_verdict_is_kept(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    verdict = json.dumps({"pass": False, "reason": "It never says goodbye."})
    server.script("chat", Stream(text="Hello person0."), Stream(text=verdict))
    connector, endpoint_id = lab_connector(tmp_path, server)
    rubric = Assertion(K.JUDGE, "The answer says goodbye.", rubric_model="gpt-4o-mini")
    matrix = sample_matrix(store, endpoint_id, rows=1, models=("gpt-4o",), assertions=(rubric,))
    run_matrix(store, connector, matrix.id)

    (cell,) = store.lab.cells(matrix.id)
    (check,) = cell.checks
    assert not check.passed and check.reason == "judge: It never says goodbye."
    assert check.answer == verdict and check.run_id not in (None, cell.run_id)
    judged = store.runs.request(check.run_id)
    assert judged["model"] == "gpt-4o-mini"
    assert judged["response_format"]["type"] == "json_schema"
    assert "The answer says goodbye." in judged["messages"][1]["content"]
    assert "Hello person0." in judged["messages"][1]["content"]
    assert cell.passed is False


def test_a_deleted_endpoint_fails_its_cells_instead_of_using_another(
    tmp_path: Path, store: Store, server: ScriptedServer
) -> None:
    connector, endpoint_id = lab_connector(tmp_path, server)
    matrix = sample_matrix(store, endpoint_id, rows=2, models=("gpt-4o",))
    connector.endpoints.remove(endpoint_id)
    run_matrix(store, connector, matrix.id)
    assert all(c.status is CellStatus.FAILED for c in store.lab.cells(matrix.id))
    assert "no longer exists" in store.lab.cells(matrix.id)[0].error
    assert asked(server) == {}


def test_cells_marked_at_once_are_told_in_slices_in_key_order(
    tmp_path: Path, store: Store, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued at the start and cancelled at the end, many cells at once go to `on_cells` a
    slice at a time (the loop runs between slices), never one call per cell."""
    monkeypatch.setattr(runner_module, "TELL_SLICE", 3)
    server.default = Stream(text="slow words " * 5, delay=0.03)
    connector, endpoint_id = lab_connector(tmp_path, server)
    matrix = sample_matrix(store, endpoint_id, rows=4, concurrency=1)  # 8 cells, one at a time
    bulk: list[list[Cell]] = []
    single = run_matrix(store, connector, matrix.id, cancel_after_done=1, on_cells=bulk.append)
    keys = sorted(c.key for c in store.lab.cells(matrix.id))
    queued, cancelled = bulk[:3], bulk[3:]
    assert [len(b) for b in queued] == [3, 3, 2]
    assert [c.key for b in queued for c in b] == keys
    assert {c.status for b in queued for c in b} == {CellStatus.QUEUED}
    assert CellStatus.QUEUED not in {c.status for c in single}
    # One cell ran and finished; the seven left waiting are told cancelled, in key order.
    told = [c for b in cancelled for c in b]
    assert {c.status for c in told} == {CellStatus.CANCELLED}
    assert [c.key for c in told] == keys[1:] and [len(b) for b in cancelled] == [3, 3, 1]
    stored = {c.key: c.status for c in store.lab.cells(matrix.id)}
    assert stored[keys[0]] is CellStatus.DONE
    assert {stored[k] for k in keys[1:]} == {CellStatus.CANCELLED}
