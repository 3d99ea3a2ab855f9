"""Pass rates per column and row, flipped cases between two versions, and a matrix's plan."""

from __future__ import annotations

from workbench.core.prompt_lab.model import (
    Assertion,
    AssertionKind,
    Cell,
    CellKey,
    CellStatus,
    CheckResult,
    Dataset,
    Matrix,
    ModelColumn,
    PromptVersion,
)
from workbench.core.prompt_lab.plan import plan_cells, plan_problems, request_count
from workbench.core.prompt_lab.results import By, Direction, pass_rate, pass_rates, regression
from workbench.core.runs import RunParams

DONE = CellStatus.DONE


def cell(version, row, column, passed, *, cost=0.01, latency=100.0, status=DONE, repeat=0):
    checks = () if passed is None else (CheckResult(0, passed, "ok" if passed else "no"),)
    return Cell(
        CellKey(version, row, column, repeat),
        status,
        output=f"v{version} r{row}",
        checks=checks,
        cost_usd=cost,
        latency_ms=latency,
    )


def test_a_cells_verdict() -> None:
    assert cell(1, 0, 0, True).passed is True
    assert cell(1, 0, 0, False).passed is False
    assert cell(1, 0, 0, None).passed is None  # no assertions
    assert cell(1, 0, 0, True, status=CellStatus.RUNNING).passed is None
    assert cell(1, 0, 0, None, status=CellStatus.FAILED).passed is False


def test_pass_rates_per_column_and_per_row() -> None:
    cells = [
        cell(1, 0, 0, True),
        cell(1, 0, 1, False),
        cell(1, 1, 0, True),
        cell(1, 1, 1, True),
        cell(1, 2, 0, None),  # unchecked: not in the rate
        cell(1, 2, 1, None, status=CellStatus.FAILED),
    ]
    columns = pass_rates(cells, By.COLUMN)
    assert (columns[0].passed, columns[0].failed, columns[0].unchecked) == (2, 0, 1)
    assert columns[0].rate == 1.0
    assert (columns[1].passed, columns[1].failed) == (1, 2)
    assert columns[1].label() == "33% (1/3)"
    rows = pass_rates(cells, By.ROW)
    assert rows[0].rate == 0.5 and rows[1].rate == 1.0 and rows[2].rate == 0.0
    assert pass_rate([cell(1, 0, 0, None)]).rate is None


def test_flipped_cases_both_ways_with_cost_and_latency_moves() -> None:
    a, b = 10, 11
    cells = [
        cell(a, 0, 0, True, cost=0.010, latency=100),
        cell(b, 0, 0, False, cost=0.020, latency=300),  # broke
        cell(a, 1, 0, False, cost=0.010, latency=100),
        cell(b, 1, 0, True, cost=0.020, latency=300),  # fixed
        cell(a, 2, 0, True, cost=0.010, latency=100),
        cell(b, 2, 0, True, cost=0.020, latency=300),  # same
        cell(a, 3, 0, True),
        cell(b, 3, 0, True, status=CellStatus.RUNNING),  # not finished: not a pair
        cell(12, 0, 0, False),  # another version: ignored
    ]
    result = regression(cells, a, b)
    assert result.pairs == 3
    assert [(f.row, f.direction) for f in result.flips] == [
        (0, Direction.BROKE),
        (1, Direction.FIXED),
    ]
    assert [f.row for f in result.broke] == [0] and [f.row for f in result.fixed] == [1]
    broke = result.broke[0]
    assert broke.before.output == "v10 r0" and broke.after.output == "v11 r0"
    assert abs(result.cost_delta_usd - 0.03) < 1e-12
    assert result.latency_delta_ms == 200
    assert result.rate_a.rate == 2 / 3 and result.rate_b.rate == 2 / 3


def test_cases_are_matched_by_column_and_repeat_too() -> None:
    cells = [
        cell(1, 0, 0, True, repeat=0),
        cell(1, 0, 0, False, repeat=1),
        cell(2, 0, 0, True, repeat=1),
        cell(2, 0, 1, False, repeat=0),
    ]
    result = regression(cells, 1, 2)
    assert result.pairs == 1
    assert [(f.repeat, f.direction) for f in result.flips] == [(1, Direction.FIXED)]


def test_unknown_prices_give_no_cost_delta() -> None:
    result = regression([cell(1, 0, 0, True, cost=None), cell(2, 0, 0, True)], 1, 2)
    assert result.cost_delta_usd is None


def test_the_plan_covers_versions_rows_columns_and_repeats() -> None:
    columns = tuple(ModelColumn("e", m, RunParams(model=m)) for m in ("a", "b"))
    matrix = Matrix(None, "m", (7, 8, 9), "d", columns, repeats=2)
    keys = plan_cells(matrix, 10)
    assert len(keys) == 3 * 10 * 2 * 2 == len(set(keys))
    assert keys[0] == CellKey(7, 0, 0, 0) and keys[-1] == CellKey(9, 9, 1, 1)
    judged = PromptVersion(8, "p", 2, "", "{{x}}", (Assertion(AssertionKind.JUDGE, "good"),))
    plain = PromptVersion(7, "p", 1, "", "{{x}}")
    assert request_count(matrix, 10, [plain, judged]) == 40 + 80 + 40


def test_problems_that_would_fail_every_cell_are_said_first() -> None:
    data = Dataset("d", ("topic",), ({"topic": "tides"},))
    good = PromptVersion(1, "p", 1, "", "About {{ topic }}")
    missing = PromptVersion(2, "p", 2, "{{ tone }}", "About {{ topic }} for {{ reader }}")
    bad = PromptVersion(3, "p", 3, "", "{{ oops", (Assertion(AssertionKind.REGEX, "("),))
    assert plan_problems([good], data) == []
    problems = plan_problems([missing, bad], data)
    assert problems[0] == "p v2 uses “reader”, “tone”, which the dataset has no column for."
    assert problems[1].startswith("p v3: Template error on line 1")
    assert plan_problems([good], Dataset("d", ("topic",), ())) == ["The dataset “d” has no rows."]
