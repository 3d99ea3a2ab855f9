"""The Prompt Lab's editors: versions, variables, datasets in and out, checks, the questions
asked before a run, and a matrix reopened from the store."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.support.driving import answer_question_box, when_box_is_up
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
from workbench.app.panels import PANELS
from workbench.core.prompt_lab.model import Assertion, AssertionKind
from workbench.ui.budget_guard import DONT_SEND
from workbench.ui.panels.prompt_lab import PromptLabPanel
from workbench.ui.panels.prompt_lab.matrix_control import DONT_RUN
from workbench.ui.panels.prompt_lab.variables_form import RED


@pytest.fixture
def lab(ctx, server, qtbot) -> PromptLabPanel:
    return build_lab(ctx, server, qtbot)


def test_every_save_is_a_version_that_can_be_diffed_and_restored(lab) -> None:
    write_prompt(lab, "Summarise {{text}} briefly.")
    first = lab.prompt.save()
    lab.prompt.user.setPlainText("Summarise {{text}} in one friendly sentence.")
    assert lab.prompt.dirty
    second = lab.prompt.save()
    assert (first.number, second.number) == (1, 2)
    assert not lab.prompt.dirty
    listed = [lab.prompt.versions.item(i).text().split()[0] for i in range(2)]
    assert listed == ["v2", "v1"]  # newest on top

    for row in range(2):
        lab.prompt.versions.item(row).setSelected(True)
    assert lab.prompt.diff_button.isEnabled()
    lab.prompt.diff_button.click()
    diff = lab.prompt.diff
    assert diff.isVisible() and diff.diff is not None and not diff.diff.identical
    assert diff.diff.added >= 3 and "friendly" in diff.text.toPlainText()

    lab.prompt.versions.clearSelection()
    lab.prompt.versions.item(1).setSelected(True)  # v1
    lab.prompt.restore_button.click()
    assert lab.prompt.user.toPlainText() == "Summarise {{text}} briefly."
    assert lab.prompt.dirty  # restoring changes nothing stored until saved
    assert lab.prompt.save().number == 3


def test_a_variable_without_a_value_is_named_in_red(lab) -> None:
    write_prompt(lab, "Translate {{text}} into {{language}}.")
    form = lab.prompt.variables
    assert set(form.fields) == {"language", "text"}
    form.fields["text"].setText("good morning")
    assert form.problem.isVisible()
    assert "“language”" in form.problem.text()
    assert form._labels["language"].styleSheet() == RED
    assert form._labels["text"].styleSheet() == ""
    form.fields["language"].setText("French")
    assert not form.problem.isVisible()
    assert form.preview.toPlainText() == "Translate good morning into French."
    # The dataset gets a column per variable, so it asks for what the prompt needs.
    dataset = lab.dataset.dataset()
    assert set(dataset.columns) >= {"language", "text"}


def test_a_bad_dataset_file_is_refused_with_its_line_and_loses_nothing(
    lab, qtbot, tmp_path
) -> None:
    fill_dataset(lab, "city", "Oslo")
    lab.tabs.setCurrentWidget(lab.dataset)
    bad = tmp_path / "cities.csv"
    bad.write_text("city,country\nRome,Italy\nLyon\n", encoding="utf-8")
    qtbot.waitUntil(lab.dataset.import_file(bad).done, timeout=WAIT_MS)
    error = lab.dataset.error
    assert error.isVisible() and "line 3: 1 field" in error.text() and "cities.csv" in error.text()
    assert lab.dataset.dataset().rows == ({"city": "Oslo"},)

    good = tmp_path / "cities.jsonl"
    good.write_text('{"city": "Rome", "country": "Italy"}\n{"city": "Lyon"}\n', encoding="utf-8")
    qtbot.waitUntil(lab.dataset.import_file(good).done, timeout=WAIT_MS)
    assert not error.isVisible()
    imported = lab.dataset.dataset()
    assert imported.columns == ("city", "country")
    assert imported.rows == ({"city": "Rome", "country": "Italy"}, {"city": "Lyon", "country": ""})

    out = tmp_path / "out.csv"
    qtbot.waitUntil(lab.dataset.export_file(out).done, timeout=WAIT_MS)
    assert out.read_text(encoding="utf-8") == "city,country\nRome,Italy\nLyon,\n"


def test_a_schema_offered_by_the_schema_editor_becomes_a_check(lab, ctx) -> None:
    checks = lab.prompt.checks
    assert not checks.from_schema.isEnabled()  # nothing offered yet
    schema = '{"type": "object", "properties": {"city": {"type": "string"}}}'
    ctx.bus.schema_chosen.emit(schema)
    assert checks.from_schema.isEnabled()
    checks.from_schema.click()
    assert checks.assertions() == (Assertion(AssertionKind.JSON_SCHEMA, schema),)
    assert not checks.problems.isVisible()
    checks.table.item(0, 1).setText("{not json")
    assert checks.problems.isVisible() and "Check 1" in checks.problems.text()


def test_nothing_is_sent_when_the_user_says_no_to_the_count_or_the_budget(
    lab, ctx, server, qtbot
) -> None:
    write_prompt(lab, "Name a colour like {{colour}}.")
    fill_dataset(lab, "colour", "red", "blue")
    seen: list = []
    answer_question_box(DONT_RUN, seen)
    lab.run_button.click()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert "2 requests" in seen[0].text()
    assert "$" in seen[0].informativeText()  # gpt-4o is priced by genai-prices
    qtbot.waitUntil(lambda: not lab.running)
    assert lab.matrix is None and ctx.store.lab.matrices() == []

    ctx.budget.set_daily_budget(0.01)  # two gpt-4o answers may cost more
    boxes: list = []

    def run_then_refuse_the_budget(box) -> None:
        boxes.append(box)
        answer_question_box(DONT_SEND, boxes)  # the budget question comes next, in this loop
        next(b for b in box.buttons() if b.text() == "Run").click()

    when_box_is_up(run_then_refuse_the_budget)
    lab.run_button.click()
    qtbot.waitUntil(lambda: len(boxes) == 2, timeout=WAIT_MS)
    assert "budget" in boxes[1].windowTitle().lower()
    qtbot.wait(50)
    assert chat_bodies(server) == [] and ctx.store.lab.matrices() == []


def test_a_finished_matrix_reopens_from_the_store(lab, ctx, server, qtbot) -> None:
    write_prompt(lab, "Is {{n}} even?", Assertion(AssertionKind.CONTAINS, "yes"))
    fill_dataset(lab, "n", "2", "3")
    one_at_a_time(lab, ctx)
    server.script("chat", Stream(text="yes"), Stream(text="no"))
    run_matrix(lab, qtbot)
    matrix_id = lab.matrix.id

    again = next(spec for spec in PANELS if spec.key == "prompt_lab").build(ctx)
    qtbot.addWidget(again)
    again.show()
    index = again.saved.findData(matrix_id)
    assert index > 0 and "(2/2)" in again.saved.itemText(index)
    task = again.open_matrix(matrix_id)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    model = again.results.grid.grid_model
    assert [model.data(model.index(r, 0)) for r in range(2)] == ["yes", "no"]
    assert "1/2 pass" in model.headerData(0, Qt.Orientation.Horizontal)
    assert again.tabs.currentWidget() is again.results
    assert not again.resume_button.isEnabled()  # nothing left to run
    assert again.models.columns() == lab.matrix.columns


@pytest.mark.parametrize("key", ["prompt_lab"])
def test_it_opens_from_the_view_menu_with_its_own_shortcut(key) -> None:
    spec = next(s for s in PANELS if s.key == key)
    assert spec.title == "Prompt Lab" and spec.shortcut == "Ctrl+Shift+L"
    others = [s.shortcut for s in PANELS if s.key != key]
    assert spec.shortcut not in others
