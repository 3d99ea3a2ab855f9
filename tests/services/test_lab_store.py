"""The Prompt Lab store: versions never overwritten, datasets by name, matrices, cells."""

from __future__ import annotations

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
from workbench.services.prompt_lab.matrices import MatrixProblem, new_matrix
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
