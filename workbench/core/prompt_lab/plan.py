"""A matrix's plan: which cells it has and how many requests it will send."""

from __future__ import annotations

from collections.abc import Sequence

from workbench.core.prompt_lab.assertions import assertion_problem
from workbench.core.prompt_lab.model import AssertionKind, CellKey, Dataset, Matrix, PromptVersion
from workbench.core.prompt_lab.templates import TemplateProblem, version_variables


def plan_cells(matrix: Matrix, row_count: int) -> list[CellKey]:
    """Every cell, versions x rows x columns x repeats, in the order they are run."""
    return [
        CellKey(version_id, row, column, repeat)
        for version_id in matrix.version_ids
        for row in range(row_count)
        for column in range(len(matrix.columns))
        for repeat in range(max(1, matrix.repeats))
    ]


def judges_in(version: PromptVersion) -> int:
    return sum(1 for a in version.assertions if a.kind is AssertionKind.JUDGE)


def request_count(matrix: Matrix, row_count: int, versions: Sequence[PromptVersion]) -> int:
    """Requests the matrix sends: one per cell, plus one per judge assertion per cell."""
    per_version = row_count * len(matrix.columns) * max(1, matrix.repeats)
    by_id = {v.id: v for v in versions}
    return sum(
        per_version * (1 + judges_in(by_id[v])) if v in by_id else per_version
        for v in matrix.version_ids
    )


def plan_problems(versions: Sequence[PromptVersion], dataset: Dataset) -> list[str]:
    """What would fail every cell of a version, said before anything is sent: variables the
    dataset has no column for, templates that don't parse, assertions that can't be checked."""
    problems: list[str] = []
    if not dataset.rows:
        problems.append(f"The dataset “{dataset.name}” has no rows.")
    for version in versions:
        name = f"{version.prompt_name} v{version.number}"
        try:
            needed = version_variables(version)
        except TemplateProblem as problem:
            problems.append(f"{name}: {problem}")
            continue
        missing = [v for v in needed if v not in dataset.columns]
        if missing:
            names = ", ".join(f"“{m}”" for m in missing)
            problems.append(f"{name} uses {names}, which the dataset has no column for.")
        for index, assertion in enumerate(version.assertions, start=1):
            problem = assertion_problem(assertion)
            if problem:
                problems.append(f"{name}, assertion {index}: {problem}")
    return problems
