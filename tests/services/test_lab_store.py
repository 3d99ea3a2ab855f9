"""The Prompt Lab store: versions never overwritten, datasets by name, matrices, cells."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from workbench.core.prompt_lab.model import (
    Assertion,
    AssertionKind,
    Cell,
    CellKey,
    CellStatus,
    CheckResult,
    Dataset,
    ModelColumn,
)
from workbench.core.runs import RunParams
from workbench.services.prompt_lab.matrices import MatrixProblem, new_matrix, store_matrix
from workbench.services.store import Store

DATA = Dataset("cities", ("city",), ({"city": "Oslo"}, {"city": "Lima"}))
COLUMN = ModelColumn("ep", "gpt-4o", RunParams(model="gpt-4o", temperature=0.2), "warm")


def test_every_save_is_a_new_version(store: Store) -> None:
    first = store.lab.save_version("weather", "", "Weather in {{ city }}?")
    checks = (Assertion(AssertionKind.JUDGE, "Mentions rain.", "gpt-4o-mini"),)
    second = store.lab.save_version("weather", "Be brief.", "Weather in {{ city }}?", checks)
    assert (first.number, second.number) == (1, 2)
    assert [v.number for v in store.lab.versions("weather")] == [1, 2]
    assert store.lab.version(first.id).system == ""  # the first is kept as it was
    assert store.lab.latest("weather") == second
    assert store.lab.version(second.id).assertions == checks
    assert store.lab.prompt_names() == ["weather"]
    with pytest.raises(ValueError):
        store.lab.save_version("  ", "", "x")


def test_datasets_are_saved_by_name_and_replaced(store: Store) -> None:
    store.lab.save_dataset(DATA)
    store.lab.save_dataset(
        Dataset("cities", ("city", "country"), ({"city": "Rome", "country": "IT"},))
    )
    assert store.lab.dataset("cities").rows == ({"city": "Rome", "country": "IT"},)
    assert store.lab.dataset_names() == ["cities"]
    store.lab.delete_dataset("cities")
    assert store.lab.dataset("cities") is None


def test_a_matrix_keeps_its_dataset_as_it_was_and_its_cells(store: Store) -> None:
    version = store.lab.save_version("weather", "", "Weather in {{ city }}?")
    store.lab.save_dataset(DATA)
    matrix = new_matrix(store, "", [version], DATA, [COLUMN], repeats=2, concurrency={"ep": 3})
    assert matrix.columns == (COLUMN,) and matrix.concurrency == {"ep": 3}
    assert matrix.repeats == 2 and matrix.version_ids == (version.id,)
    store.lab.save_dataset(Dataset("cities", ("city",), ({"city": "Changed"},)))
    assert store.lab.matrix_dataset(matrix.id) == DATA
    cells = store.lab.cells(matrix.id)
    assert len(cells) == 4 and {c.status for c in cells} == {CellStatus.PENDING}

    done = Cell(
        CellKey(version.id, 1, 0, 1),
        CellStatus.DONE,
        output="Rain.",
        latency_ms=812.5,
        queue_ms=20.0,
        prompt_tokens=12,
        completion_tokens=3,
        cost_usd=0.00004,
        price_status="priced",
        run_id=77,
        checks=(CheckResult(0, True, "judge: yes", '{"pass": true}', 78),),
        batch_discount=True,
    )
    store.lab.save_cell(matrix.id, done)
    assert store.lab.cell(matrix.id, done.key) == done
    assert done.key not in store.lab.unfinished(matrix.id)
    assert len(store.lab.unfinished(matrix.id)) == 3
    store.lab.set_status(matrix.id, store.lab.unfinished(matrix.id), CellStatus.RUNNING)
    assert store.lab.status_counts(matrix.id) == {CellStatus.DONE: 1, CellStatus.RUNNING: 3}
    assert store.lab.matrices()[0].id == matrix.id
    store.lab.delete_matrix(matrix.id)
    assert store.lab.matrix(matrix.id) is None and store.lab.cells(matrix.id) == []


def test_a_matrix_that_could_not_run_is_refused_with_every_reason(store: Store) -> None:
    version = store.lab.save_version("weather", "{{ tone }}", "Weather in {{ city }}?")
    with pytest.raises(MatrixProblem) as problem:
        new_matrix(store, "m", [version], DATA, [], repeats=0)
    assert problem.value.problems == (
        "Add at least one model column.",
        "Repeats must be at least 1.",
        "weather v1 uses “tone”, which the dataset has no column for.",
    )
    assert store.lab.matrices() == []


def test_batch_jobs_are_kept_and_found_again(store: Store) -> None:
    version = store.lab.save_version("weather", "", "Weather in {{ city }}?")
    matrix = new_matrix(store, "m", [version], DATA, [COLUMN], via_batch=True)
    store.lab.save_batch({"id": "batch_1", "matrix_id": matrix.id, "status": "validating"})
    first = store.lab.batch("batch_1")
    store.lab.save_batch({**first, "status": "completed", "ended": 1, "output_file_id": "f"})
    assert store.lab.batch("batch_1")["created_at"] == first["created_at"]
    store.lab.save_batch({"id": "batch_2", "matrix_id": matrix.id, "status": "in_progress"})
    assert [b["id"] for b in store.lab.batches(matrix.id)] == ["batch_1", "batch_2"]
    assert [b["id"] for b in store.lab.batches(open_only=True)] == ["batch_2"]


def test_the_lab_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "lab.db"
    store = Store.open(path)
    version = store.lab.save_version("weather", "", "Weather in {{ city }}?")
    matrix = new_matrix(store, "m", [version], DATA, [COLUMN])
    store.close()
    again = Store.open(path)
    try:
        assert again.lab.matrix(matrix.id) == matrix
        assert len(again.lab.unfinished(matrix.id)) == 2
    finally:
        again.close()


def test_cells_left_busy_by_a_crash_are_marked_to_run_again(store: Store) -> None:
    version = store.lab.save_version("weather", "", "Weather in {{ city }}?")
    matrix = new_matrix(store, "m", [version], DATA, [COLUMN], repeats=2)
    first, second, third, fourth = (k for k, _s in store.lab.cell_states(matrix.id))
    store.lab.set_status(matrix.id, [first], CellStatus.RUNNING)
    store.lab.set_status(matrix.id, [second], CellStatus.QUEUED)
    store.lab.save_cell(matrix.id, Cell(third, CellStatus.DONE, output="Sun."))
    assert store.lab.recover_interrupted() == 2
    assert store.lab.cell_states(matrix.id) == [
        (first, CellStatus.CANCELLED),
        (second, CellStatus.CANCELLED),
        (third, CellStatus.DONE),
        (fourth, CellStatus.PENDING),
    ]
    assert store.lab.unfinished(matrix.id) == [first, second, fourth]


def test_cells_read_back_equal_to_what_was_saved(store: Store) -> None:
    """The lean row mapping (checks texts decoded once per read) gives the same cells."""
    matrix = new_matrix(store, "m", [store.lab.save_version("p", "", "{{city}}")], DATA, [COLUMN])
    passed = (CheckResult(0, True, ""), CheckResult(1, True, ""))
    saved = [
        Cell(CellKey(matrix.version_ids[0], 0, 0, 0), CellStatus.DONE, "Rain.", 812.5, 3.0, 9, 2,
             0.0004, "priced", None, "", passed),
        Cell(CellKey(matrix.version_ids[0], 1, 0, 0), CellStatus.DONE, "Sun.", 640.0, 0.0, 9, 2,
             None, "unknown", None, "", passed, batch_discount=True),
        Cell(CellKey(matrix.version_ids[0], 1, 0, 1), CellStatus.FAILED, error="HTTP 500: boom"),
        Cell(CellKey(matrix.version_ids[0], 0, 0, 1), CellStatus.DONE, "Fog.",
             checks=(CheckResult(0, False, "'rain' not found", "no", 7), passed[1])),
    ]  # fmt: skip
    store.lab.save_cells(matrix.id, saved)
    read = store.lab.cells(matrix.id)
    assert read == sorted(saved, key=lambda c: c.key)
    assert [type(c.status) for c in read] == [CellStatus] * 4
    assert store.lab.cell(matrix.id, saved[3].key) == saved[3]
    # Cells with the same checks share their decoded checks; others keep their own.
    assert read[0].checks == read[2].checks == passed
    assert read[0].checks is read[2].checks  # decoded once
    assert read[1].checks[0].reason == "'rain' not found" and read[1].checks[0].run_id == 7


def test_queueing_and_cancelling_a_whole_matrix_touch_only_the_cells_they_mean(
    store: Store,
) -> None:
    version = store.lab.save_version("p", "", "{{city}}")
    matrix = new_matrix(store, "m", [version], DATA, [COLUMN], repeats=3)
    keys = [k for k, _s in store.lab.cell_states(matrix.id)]
    done, failed, batched, cancelled, running = keys[:5]
    store.lab.save_cells(
        matrix.id,
        [
            Cell(done, CellStatus.DONE, "x"),
            Cell(failed, CellStatus.FAILED, error="e"),
            Cell(batched, CellStatus.BATCHED),
            Cell(cancelled, CellStatus.CANCELLED),
        ],
    )
    assert store.lab.queue_unfinished(matrix.id) == 3  # cancelled, and the two pending
    states = dict(store.lab.cell_states(matrix.id))
    assert [states[k] for k in (done, failed, batched)] == [
        CellStatus.DONE,
        CellStatus.FAILED,
        CellStatus.BATCHED,
    ]
    assert {states[k] for k in keys[3:]} == {CellStatus.QUEUED}
    store.lab.set_status(matrix.id, [running], CellStatus.RUNNING)
    assert store.lab.cancel_queued(matrix.id) == 2  # the running one is not "waiting"
    states = dict(store.lab.cell_states(matrix.id))
    assert states[running] is CellStatus.RUNNING
    assert {states[k] for k in (cancelled, keys[5])} == {CellStatus.CANCELLED}


def test_a_matrix_made_for_the_ui_is_written_off_the_calling_thread(store: Store) -> None:
    """store_matrix: the dataset, the matrix and its pending cells are written on the store's
    writer (its own connection, its own thread); the calling thread's connection writes none."""
    version = store.lab.save_version("p", "", "{{city}}")
    rows = Dataset("many", ("city",), tuple({"city": f"c{n}"} for n in range(300)))
    on_main: list[str] = []
    store.db.conn.set_trace_callback(on_main.append)
    threads: set[int] = set()
    real_submit = store.writer.submit

    def noting(job):
        return real_submit(lambda db: (threads.add(threading.get_ident()), job(db))[1])

    store.writer.submit = noting  # type: ignore[method-assign]
    matrix = asyncio.run(
        store_matrix(store, "big", [version], rows, [COLUMN], repeats=2, keep_dataset=True)
    )
    store.db.conn.set_trace_callback(None)

    assert not [s for s in on_main if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert threads and threading.get_ident() not in threads
    assert len(store.lab.cells(matrix.id)) == 600
    assert {c.status for c in store.lab.cells(matrix.id)} == {CellStatus.PENDING}
    assert store.lab.dataset("many") == rows
    assert store.lab.matrix_dataset(matrix.id) == rows


def test_a_matrix_refused_off_thread_says_why_and_keeps_the_dataset(store: Store) -> None:
    version = store.lab.save_version("p", "", "{{ town }}")  # not a column of the dataset
    with pytest.raises(MatrixProblem) as refused:
        asyncio.run(store_matrix(store, "m", [version], DATA, [COLUMN], keep_dataset=True))
    assert any("town" in p for p in refused.value.problems)
    assert store.lab.matrices() == []
    assert store.lab.dataset("cities") == DATA  # the user's rows are not lost
