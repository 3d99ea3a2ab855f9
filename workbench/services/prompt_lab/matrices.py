"""Making a matrix: checked before it is stored, stored with one pending cell per request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workbench.core.prompt_lab.model import Dataset, Matrix, ModelColumn, PromptVersion
from workbench.core.prompt_lab.plan import plan_cells, plan_problems
from workbench.services.store import Store


class MatrixProblem(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def new_matrix(
    store: Store,
    name: str,
    versions: Sequence[PromptVersion],
    dataset: Dataset,
    columns: Sequence[ModelColumn],
    repeats: int = 1,
    concurrency: Mapping[str, int] | None = None,
    via_batch: bool = False,
) -> Matrix:
    """Raises MatrixProblem (every problem listed) when the matrix could not run as asked."""
    problems = []
    if not versions:
        problems.append("Choose at least one prompt version.")
    if not columns:
        problems.append("Add at least one model column.")
    if repeats < 1:
        problems.append("Repeats must be at least 1.")
    if any(v.id is None for v in versions):
        problems.append("Save the prompt first: a matrix runs saved versions.")
    problems += plan_problems(versions, dataset)
    if problems:
        raise MatrixProblem(problems)
    matrix = Matrix(
        id=None,
        name=name.strip() or f"{dataset.name} × {len(columns)} models",
        version_ids=tuple(int(v.id or 0) for v in versions),
        dataset_name=dataset.name,
        columns=tuple(columns),
        repeats=repeats,
        concurrency=dict(concurrency or {}),
        via_batch=via_batch,
    )
    return store.lab.create_matrix(matrix, dataset, plan_cells(matrix, len(dataset.rows)))
