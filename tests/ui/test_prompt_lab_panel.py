"""The Prompt Lab panel against the scripted server, driven as a user would."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PySide6.QtCore import Qt

from tests.support.driving import answer_question_box
from tests.support.scripted_server import Stream
from tests.ui.lab_support import (
    WAIT_MS,
    build_lab,
    chat_bodies,
    fill_dataset,
    one_at_a_time,
    run_matrix,
    write_prompt,
)
from workbench.core.prompt_lab.model import Assertion, AssertionKind, CellStatus
from workbench.ui.panels.prompt_lab import PromptLabPanel
from workbench.ui.panels.prompt_lab.matrix_control import RUN


@pytest.fixture
def lab(ctx, server, qtbot) -> PromptLabPanel:
    return build_lab(ctx, server, qtbot)


def test_a_matrix_fills_the_grid_and_a_failing_check_says_why(lab, ctx, server, qtbot) -> None:
    write_prompt(lab, "Say hello to {{name}}.", Assertion(AssertionKind.CONTAINS, "hello"))
    fill_dataset(lab, "name", "Ada", "Bob")
    lab.models.add_column()  # a second column: the same endpoint, another model
    lab.models.rows[1].model.setCurrentText("gpt-4o-mini")
    one_at_a_time(lab, ctx)
    server.script(
        "chat",
        Stream(text="hello Ada!"),
        Stream(text="Hello there, hello Ada"),
        Stream(text="Goodbye Bob."),
        Stream(text="hello Bob"),
    )
    events: list[tuple] = []
    model = lab.results.grid.grid_model
    model.dataChanged.connect(
        lambda a, b, _r=(): events.append((a.row(), a.column(), b.row(), b.column()))
    )
    model.modelReset.connect(lambda: events.append(("reset",)))

    seen = run_matrix(lab, qtbot)

    assert "4 requests" in seen[0].text()
    model = lab.results.grid.grid_model
    assert (model.rowCount(), model.columnCount()) == (2, 2)
    assert model.finished == 4
    # Laid out once (the reset), then filled cell by cell: every change names one cell.
    assert events[0] == ("reset",) and len(events) > 4
    assert all(r0 == r1 and c0 == c1 for r0, c0, r1, c1 in events[1:])
    failing = model.index(1, 0)
    assert model.data(failing) == "Goodbye Bob."
    assert model.cell_at(failing).passed is False
    tooltip = model.data(failing, Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("fail: contains “hello”:")
    assert model.cell_at(model.index(1, 1)).passed is True
    assert "1/2 pass (50%)" in model.headerData(0, Qt.Orientation.Horizontal)
    assert "2/2 pass (100%)" in model.headerData(1, Qt.Orientation.Horizontal)
    assert "1/2 pass" in model.headerData(1, Qt.Orientation.Vertical)
    assert "Bob" in model.headerData(1, Qt.Orientation.Vertical)
    # The rendered prompt went out, per row and model.
    bodies = chat_bodies(server)
    assert [b["model"] for b in bodies] == ["gpt-4o", "gpt-4o-mini", "gpt-4o", "gpt-4o-mini"]
    assert bodies[2]["messages"][-1]["content"] == "Say hello to Bob."
    # Clicking the failing cell shows why, and announces its run to the heatmap and inspector.
    selected = []
    ctx.bus.run_selected.connect(selected.append)
    grid = lab.results.grid
    centre = grid.visualRect(failing).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert "fail" in lab.results.verdict.text() and "hello" in lab.results.verdict.text()
    assert lab.results.output.toPlainText() == "Goodbye Bob."
    assert selected == [model.cell_at(failing).run_id] and selected[0] is not None
    # Everything is in the store.
    stored = ctx.store.lab.cells(lab.matrix.id)
    assert [c.status for c in stored] == [CellStatus.DONE] * 4


def test_the_grid_exports_to_csv_and_jsonl(lab, ctx, server, qtbot, tmp_path) -> None:
    write_prompt(lab, "Capital of {{country}}?", Assertion(AssertionKind.CONTAINS, "Paris"))
    fill_dataset(lab, "country", "France", "Peru")
    one_at_a_time(lab, ctx)
    server.script("chat", Stream(text="Paris."), Stream(text="Lima."))
    run_matrix(lab, qtbot)

    for name in ("grid.csv", "grid.jsonl"):
        task = lab.export_grid(tmp_path / name)
        qtbot.waitUntil(task.done, timeout=WAIT_MS)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grid.csv").read_text())))
    lines = [json.loads(x) for x in (tmp_path / "grid.jsonl").read_text().splitlines()]
    for records in (rows, lines):
        assert [r["var:country"] for r in records] == ["France", "Peru"]
        assert [r["output"] for r in records] == ["Paris.", "Lima."]
        assert "Paris" in records[1]["reasons"] and not records[0]["reasons"]
    assert [r["passed"] for r in lines] == [True, False]
    assert [r["passed"] for r in rows] == ["True", "False"]
    assert lines[0]["model"] == "gpt-4o" and lines[0]["completion_tokens"] > 0


def test_cancel_keeps_finished_cells_and_resume_runs_only_the_rest(lab, ctx, server, qtbot) -> None:
    write_prompt(lab, "Tell me about {{topic}}.")
    fill_dataset(lab, "topic", "owls", "bats", "moths")
    one_at_a_time(lab, ctx)
    server.script("chat", Stream(text="Owls hunt at night."), Stream(text="Bats " * 40, delay=0.2))
    answer_question_box(RUN, [])
    lab.run_button.click()
    model = lab.results.grid.grid_model
    qtbot.waitUntil(lambda: model.finished == 1 and lab.running, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: model.cell_at(model.index(1, 0)).status is CellStatus.RUNNING, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: len(chat_bodies(server)) == 2, timeout=WAIT_MS)  # bats is on its way
    qtbot.wait(300)
    lab.cancel_button.click()
    qtbot.waitUntil(lambda: not lab.running, timeout=WAIT_MS)

    stored = {c.key.row: c for c in ctx.store.lab.cells(lab.matrix.id)}
    assert stored[0].status is CellStatus.DONE and stored[0].output == "Owls hunt at night."
    assert stored[1].status is CellStatus.CANCELLED  # stopped mid-answer: to run again
    assert stored[2].status is CellStatus.CANCELLED  # never started
    assert model.data(model.index(2, 0)) == "cancelled"
    assert lab.resume_button.isEnabled()
    assert "2 unfinished" in lab.progress_text.text()
    assert lab.cancel_button.isEnabled() is False

    lab.resume_button.click()
    qtbot.waitUntil(lambda: not lab.running and model.finished == 3, timeout=WAIT_MS)
    asked = [b["messages"][-1]["content"] for b in chat_bodies(server)]
    # Row 1 was sent twice (cut off, then again); the finished row 0 only once.
    assert asked == [
        "Tell me about owls.",
        "Tell me about bats.",
        "Tell me about bats.",
        "Tell me about moths.",
    ]
    statuses = [c.status for c in ctx.store.lab.cells(lab.matrix.id)]
    assert statuses == [CellStatus.DONE] * 3
    assert not lab.resume_button.isEnabled()


def test_the_regression_view_lists_a_flipped_case_with_both_outputs(
    lab, ctx, server, qtbot
) -> None:
    check = Assertion(AssertionKind.REGEX, r"^\d+$")
    write_prompt(lab, "What is {{sum}}? Answer with the number.", check)
    assert lab.prompt.save() is not None
    lab.prompt.user.setPlainText("What is {{sum}}? Explain your working.")
    assert lab.prompt.save() is not None  # v2, ticked with v1
    assert [v.number for v in lab.prompt.checked_versions()] == [1, 2]
    fill_dataset(lab, "sum", "2+2", "3+3")
    one_at_a_time(lab, ctx)
    server.script(
        "chat",
        Stream(text="4"),
        Stream(text="6"),  # v1: both pass
        Stream(text="2 and 2 make 4"),  # v2 row 1: breaks
        Stream(text="6"),  # v2 row 2: still passes
    )
    run_matrix(lab, qtbot)
    lab.tabs.setCurrentWidget(lab.regression)

    view = lab.regression
    assert view.version_a.currentText() == "v1" and view.version_b.currentText() == "v2"
    # Compared in a worker, then listed.
    qtbot.waitUntil(lambda: view.flips.item(0, 3) is not None, timeout=WAIT_MS)
    assert view.flips.rowCount() == 1
    assert view.flips.item(0, 0).text() == "✗ pass → fail"
    assert "2+2" in view.flips.item(0, 1).text()
    assert "matches /^\\d+$/" in view.flips.item(0, 3).text()
    assert view.output_a.toPlainText() == "4"
    assert view.output_b.toPlainText() == "2 and 2 make 4"
    summary = view.summary.text()
    assert "1 broke" in summary and "0 fixed" in summary and "2 cases" in summary
    assert "100% (2/2)" in summary and "50% (1/2)" in summary


def test_running_a_matrix_stores_and_queues_it_off_the_ui_thread(lab, ctx, server, qtbot) -> None:
    """The matrix, its pending cells and their marking as queued are written on the store's
    writer thread: the UI thread's connection only saves the cells as they run."""
    write_prompt(lab, "Say hello to {{name}}.")
    fill_dataset(lab, "name", *(f"person {n}" for n in range(30)))
    server.default = Stream(text="hello")
    on_ui: list[str] = []
    ctx.store.db.conn.set_trace_callback(on_ui.append)
    try:
        run_matrix(lab, qtbot)
    finally:
        ctx.store.db.conn.set_trace_callback(None)

    writes = [s.split("(")[0].strip() for s in on_ui if s.lstrip().startswith(("INSERT", "UPDATE"))]
    assert not [w for w in writes if "lab_matrices" in w or "lab_datasets" in w]
    assert not [w for w in writes if w.startswith("UPDATE lab_cells")]  # no per-cell marking
    assert not [w for w in writes if w.startswith("INSERT INTO lab_cells")]  # no pending rows
    model = lab.results.grid.grid_model
    assert model.finished == model.rowCount() * model.columnCount() == 30
    stored = ctx.store.lab.cells(lab.matrix.id)
    assert len(stored) == 30 and {c.status for c in stored} == {CellStatus.DONE}
    assert ctx.store.lab.dataset("people").rows[29] == {"name": "person 29"}
