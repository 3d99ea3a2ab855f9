"""Driving the Prompt Lab panel in tests: building it as its dock does, writing a prompt,
filling a dataset, running a matrix (answering the question before it)."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidgetItem

from tests.support.driving import answer_question_box
from tests.support.fixtures import use_scripted_endpoint
from workbench.app.panels import PANELS
from workbench.core.prompt_lab.model import Assertion
from workbench.ui.panels.prompt_lab import PromptLabPanel
from workbench.ui.panels.prompt_lab.matrix_control import RUN

WAIT_MS = 20_000


def build_lab(ctx, server, qtbot) -> PromptLabPanel:
    """The panel as View ▸ Prompt Lab builds it, on the scripted server."""
    use_scripted_endpoint(ctx, server)
    panel = next(spec for spec in PANELS if spec.key == "prompt_lab").build(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    return panel


def write_prompt(lab: PromptLabPanel, user: str, *checks: Assertion, name: str = "greet") -> None:
    lab.prompt.name.setCurrentText(name)
    lab.prompt.user.setPlainText(user)
    lab.prompt.checks.set_assertions(checks)


def fill_dataset(lab: PromptLabPanel, column: str, *values: str) -> None:
    lab.dataset.name.setCurrentText("people")
    lab.dataset.ensure_columns((column,))
    table = lab.dataset.table
    place = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index(column)
    for value in values:
        lab.dataset.add_row()
        table.setItem(table.rowCount() - 1, place, QTableWidgetItem(value))


def one_at_a_time(lab: PromptLabPanel, ctx) -> None:
    """Concurrency 1 on the scripted endpoint: cells go in key order, so scripts line up."""
    box = lab.models._concurrency[ctx.endpoints.active.id]
    box.setValue(1)


def run_matrix(lab: PromptLabPanel, qtbot) -> list:
    seen: list = []
    said: list[str] = []
    lab.status_message.connect(said.append)
    answer_question_box(RUN, seen)
    lab.run_button.click()
    try:
        qtbot.waitUntil(lambda: lab.matrix is not None and not lab.running, timeout=WAIT_MS)
    except qtbot.TimeoutError as exc:
        raise AssertionError(f"the matrix did not run; the panel said {said}") from exc
    return seen


def chat_bodies(server) -> list[dict]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]
