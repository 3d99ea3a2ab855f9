"""A 3 prompts x 10 rows x 2 models matrix on the built-in model, as a user with no key runs it.

The two "models" are two parameter settings of the one built-in model: greedy and hot.
"""

from __future__ import annotations

from workbench.app.context import AppContext
from workbench.core.prompt_lab.model import (
    Assertion,
    AssertionKind,
    Cell,
    CellStatus,
    Dataset,
    ModelColumn,
)
from workbench.core.prompt_lab.results import By, pass_rates, regression
from workbench.core.runs import RunParams
from workbench.services.prompt_lab.matrices import new_matrix
from workbench.services.prompt_lab.runner import MatrixRunner

WAIT_MS = 240_000
THINGS = (
    "grass",
    "the sky",
    "snow",
    "coal",
    "blood",
    "a banana",
    "an orange",
    "milk",
    "a lemon",
    "the sea",
)
PROMPTS = (
    ("Answer with one word.", "What colour is {{ thing }}?"),
    ("", "Name the colour of {{ thing }} in one word."),
    ("You are a painter.", "{{ thing | capitalize }}: which colour?"),
)
CHECKS = (
    Assertion(AssertionKind.REGEX, r"\w"),
    Assertion(AssertionKind.NOT_CONTAINS, "{{"),
    Assertion(AssertionKind.MAX_LENGTH, "200"),
)


def test_a_small_matrix_runs_on_the_built_in_model(ctx: AppContext, aloop, qtbot) -> None:
    local = ctx.endpoints.active
    assert local.is_local
    model = local.default_model
    store = ctx.store
    versions = [store.lab.save_version("colours", s, u, CHECKS) for s, u in PROMPTS]
    rows = Dataset("things", ("thing",), tuple({"thing": t} for t in THINGS))
    columns = [
        ModelColumn(
            local.id, model, RunParams(model=model, temperature=0.0, max_tokens=6), "greedy"
        ),
        ModelColumn(
            local.id, model, RunParams(model=model, temperature=1.3, top_p=1.0, max_tokens=6), "hot"
        ),
    ]
    matrix = new_matrix(store, "colours", versions, rows, columns)
    seen: list[Cell] = []
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    runner = MatrixRunner(ctx.runs, matrix.id, seen.append)
    task = aloop.create_task(runner.run())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    task.result()

    cells = store.lab.cells(matrix.id)
    assert len(cells) == 3 * 10 * 2
    assert all(c.status is CellStatus.DONE for c in cells), [c.error for c in cells if c.error]
    assert len(finished) == 60  # every cell announced like any run: cost meter, inspector
    for cell in cells:
        assert cell.output.strip() and "{{" not in cell.output
        assert 0 < cell.completion_tokens <= 6 and cell.prompt_tokens > 0
        assert cell.price_status == "free" and cell.cost_usd == 0.0
        assert len(cell.checks) == 3
        sent = store.runs.request(cell.run_id)
        assert (
            sent["temperature"] == (0.0, 1.3)[cell.key.column]
            and sent["max_completion_tokens"] == 6
        )
        row = THINGS[cell.key.row]
        assert row in sent["messages"][-1]["content"].lower()
    # The built-in model serves one request at a time: never two cells running at once, and
    # the time a cell waited for its turn is kept apart from the model's own time.
    running, most = set(), 0
    for cell in seen:
        (running.add if cell.status is CellStatus.RUNNING else running.discard)(cell.key)
        most = max(most, len(running))
    assert most == 1
    last = max(cells, key=lambda c: c.queue_ms)
    assert last.queue_ms > sum(sorted(c.latency_ms for c in cells)[:30])
    rates = pass_rates(cells, By.COLUMN)
    assert rates[0].checked == 30 and rates[1].checked == 30
    change = regression(cells, versions[0].id, versions[1].id)
    assert change.pairs == 20 and change.cost_delta_usd == 0.0
    assert change.latency_delta_ms is not None
