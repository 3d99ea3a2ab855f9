"""The Prompt Lab's Batch API choice, driven as a user would, against the scripted server's Files
and Batches endpoints: sent, followed on the status line, merged into the grid at the batch
price, cancelled, and picked up again by a panel built after a restart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.driving import answer_question_box
from tests.support.fixtures import use_scripted_endpoint
from tests.support.scripted_server import BatchScript
from tests.ui.lab_support import WAIT_MS, fill_dataset, write_prompt
from workbench.app.panels import PANELS
from workbench.core.endpoints import EndpointKind
from workbench.core.prompt_lab.model import Assertion, AssertionKind, CellStatus
from workbench.core.runs import Usage
from workbench.services.prompt_lab.batch import BatchRunner
from workbench.services.prompt_lab.batch_cells import batch_price
from workbench.services.prompt_lab.estimate import estimate_matrix
from workbench.ui.panels.prompt_lab import PromptLabPanel
from workbench.ui.panels.prompt_lab.batch_controls import CHOICE
from workbench.ui.panels.prompt_lab.grid_model import FIGURES_ROLE
from workbench.ui.panels.prompt_lab.matrix_control import RUN

COUNTRIES = ("France", "Japan", "Peru")


def echo(body: dict[str, Any]) -> str:
    return f"Re: {body['messages'][-1]['content']}"


def build(ctx, qtbot, poll_s: float = 0.02) -> PromptLabPanel:
    """The panel as View ▸ Prompt Lab builds it; a fresh batch runner, as after a start."""
    ctx.batches = BatchRunner(ctx.store, ctx.connector, poll_s=poll_s)
    panel = next(spec for spec in PANELS if spec.key == "prompt_lab").build(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    return panel


def status_lines(ctx, lab: PromptLabPanel) -> list[str]:
    """What the batch status line said after each report from the runner."""
    lines: list[str] = []
    report = ctx.batches.on_progress

    def seen(progress) -> None:
        report(progress)
        lines.append(lab.batch.status.text())

    ctx.batches.on_progress = seen
    return lines


@pytest.fixture
def lab(ctx, server, qtbot) -> PromptLabPanel:
    use_scripted_endpoint(ctx, server, EndpointKind.OPENAI, name="OpenAI (scripted)")
    return build(ctx, qtbot)


def start_batch(lab: PromptLabPanel, qtbot, *countries: str) -> list:
    write_prompt(
        lab, "What is the capital of {{country}}?", Assertion(AssertionKind.CONTAINS, "Re")
    )
    fill_dataset(lab, "country", *countries)
    assert lab.batch.choice.isEnabled(), lab.batch.choice.toolTip()
    lab.batch.choice.setChecked(True)
    seen: list = []
    answer_question_box(RUN, seen)
    lab.run_button.click()
    qtbot.waitUntil(lambda: bool(seen) and lab.matrix is not None, timeout=WAIT_MS)
    return seen


def test_a_batch_run_fills_the_grid_with_batch_priced_cells(lab, ctx, server, qtbot) -> None:
    server.script_batch(BatchScript(progress_polls=2, answer=echo))
    lines = status_lines(ctx, lab)
    said: list[str] = []
    lab.status_message.connect(said.append)

    model = lab.results.grid.grid_model
    filled: list[int] = []  # the grid's finished count right after each merged slice
    merged = ctx.batches.on_cells
    ctx.batches.on_cells = lambda m, cells: (merged(m, cells), filled.append(model.finished))
    asked = start_batch(lab, qtbot, *COUNTRIES)
    qtbot.waitUntil(lambda: model.finished == 3, timeout=WAIT_MS)

    question = asked[0].informativeText()
    assert "Batch API: half price" in question
    # The estimate asked about is half what the same matrix would cost run cell by cell.
    matrix = ctx.store.lab.matrix(lab.matrix.id)
    versions = [ctx.store.lab.version(v) for v in matrix.version_ids]
    dataset = ctx.store.lab.matrix_dataset(matrix.id)
    batch = estimate_matrix(ctx.runs, ctx.tokens, matrix, versions, dataset).estimate
    full = estimate_matrix(
        ctx.runs, ctx.tokens, replace(matrix, via_batch=False), versions, dataset
    ).estimate
    assert full.usd and batch.usd == pytest.approx(full.usd / 2)
    assert f"Cost: {batch.describe()}." in question
    # One batch file with a line per cell, sent through the Files and Batches endpoints: no
    # cell went to the chat route one by one.
    uploads = server.batch_book.uploads()
    assert len(uploads) == 1 and len(uploads[0].data.decode().splitlines()) == 3
    assert not [r for r in server.requests if r.path.endswith("/chat/completions")]
    # The status line went through the batch's states, with its counts.
    assert lines[0].endswith("Batch: validating the requests…")
    assert any("Batch in progress:" in line for line in lines)
    assert any("Batch finalizing: 3 of 3 done" in line for line in lines)
    assert lab.batch.status.text().endswith("Batch completed: 3 of 3 done")
    assert lab.batch.status.isVisible()
    assert filled and filled[-1] == 3  # the merged cells went straight into the grid
    assert any("Batch completed" in line for line in said)
    # The grid: every answer, priced at the batch rate and marked as such.
    endpoint = ctx.endpoints.active
    for row, country in enumerate(COUNTRIES):
        index = model.index(row, 0)
        cell = model.cell_at(index)
        assert cell.status is CellStatus.DONE and cell.passed is True
        assert model.data(index) == f"Re: What is the capital of {country}?"
        assert cell.batch_discount
        usage = Usage(cell.prompt_tokens or 0, cell.completion_tokens or 0)
        assert cell.cost_usd == pytest.approx(batch_price("gpt-4o", endpoint, usage).usd)
        assert "batch −50%" in model.data(index, FIGURES_ROLE)
    stored = ctx.store.lab.matrix(lab.matrix.id)
    assert stored is not None and stored.via_batch
    assert ctx.batches.open_batches() == []
    assert not lab.cancel_button.isEnabled()


def test_a_matrix_on_an_endpoint_without_the_batch_api_cannot_choose_it(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)  # "custom": an OpenAI-compatible server, no Batch API
    lab = build(ctx, qtbot)

    choice = lab.batch.choice
    assert choice.text() == CHOICE and not choice.isEnabled() and not choice.isChecked()
    assert "has no Batch API" in choice.toolTip() and "only OpenAI" in choice.toolTip()
    assert not lab.batch.chosen()
    # Pointing the column at an OpenAI endpoint makes it available.
    openai = use_scripted_endpoint(ctx, server, EndpointKind.OPENAI, name="OpenAI (scripted)")
    lab.models.set_columns(
        tuple(c.__class__(openai.id, c.model, c.params, c.label) for c in lab.models.columns())
    )
    lab.batch.update_choice()
    assert choice.isEnabled() and "half price" in choice.toolTip()


def test_cancel_cancels_the_batch_and_keeps_what_it_finished(lab, ctx, server, qtbot) -> None:
    server.script_batch(BatchScript(progress_polls=400, answer=echo))
    lines = status_lines(ctx, lab)
    start_batch(lab, qtbot, *COUNTRIES)
    qtbot.waitUntil(lambda: any("Batch in progress" in line for line in lines), timeout=WAIT_MS)
    qtbot.waitUntil(lab.cancel_button.isEnabled, timeout=WAIT_MS)
    assert not lab.running  # the panel stays usable while a batch waits

    lab.cancel_button.click()
    qtbot.waitUntil(lambda: "Batch cancelled" in lab.batch.status.text(), timeout=WAIT_MS)
    model = lab.results.grid.grid_model
    qtbot.waitUntil(lambda: model.cell_at(model.index(2, 0)) is not None, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: model.cell_at(model.index(2, 0)).status is CellStatus.CANCELLED, timeout=WAIT_MS
    )

    assert any("Batch cancelling" in line for line in lines)
    cells = ctx.store.lab.cells(lab.matrix.id)
    assert {c.status for c in cells} == {CellStatus.CANCELLED}
    assert all("batch was cancelled" in c.error for c in cells)
    assert ctx.batches.open_batches() == []
    assert not lab.cancel_button.isEnabled()

    # Resume sends the cancelled cells as a batch again, as the matrix was chosen to run.
    server.script_batch(BatchScript(progress_polls=1, answer=echo))
    qtbot.waitUntil(lab.resume_button.isEnabled, timeout=WAIT_MS)
    lab.resume_button.click()
    qtbot.waitUntil(lambda: model.finished == 3, timeout=WAIT_MS)
    assert len(server.batch_book.uploads()) == 2
    assert not [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert all(c.batch_discount for c in ctx.store.lab.cells(lab.matrix.id))


def test_a_batch_open_at_a_restart_is_shown_and_finished_by_the_next_panel(
    lab, ctx, server, qtbot
) -> None:
    server.script_batch(BatchScript(progress_polls=6, answer=echo))
    lines = status_lines(ctx, lab)
    start_batch(lab, qtbot, *COUNTRIES)
    qtbot.waitUntil(lambda: any("Batch in progress" in line for line in lines), timeout=WAIT_MS)
    matrix_id = lab.matrix.id
    # The app quits while the batch runs: the panel stops following it, the batch stays open.
    lab.shutdown()
    lab.close()
    qtbot.wait(100)
    [open_id] = ctx.batches.open_batches()
    assert ctx.store.lab.batch(open_id)["status"] == "in_progress"
    assert {c.status for c in ctx.store.lab.cells(matrix_id)} == {CellStatus.BATCHED}

    again = build(ctx, qtbot, poll_s=0.3)  # the next start: a new panel and runner, same store
    # Shown as running at once: the status line, the matrix with its cells in the batch.
    assert f"Matrix #{matrix_id}: Batch in progress" in again.batch.status.text()
    model = again.results.grid.grid_model
    qtbot.waitUntil(lambda: again.matrix is not None, timeout=WAIT_MS)
    assert again.matrix.id == matrix_id
    assert again.cancel_button.isEnabled()
    assert model.data(model.index(0, 0)) == "in a batch…"

    qtbot.waitUntil(lambda: model.finished == 3, timeout=WAIT_MS)
    assert again.batch.status.text().endswith("Batch completed: 3 of 3 done")
    cells = ctx.store.lab.cells(matrix_id)
    assert {c.status for c in cells} == {CellStatus.DONE}
    assert all(c.batch_discount and c.output.startswith("Re: ") for c in cells)
    assert ctx.batches.open_batches() == []
    assert len(server.batch_book.uploads()) == 1  # picked up again, not sent twice
