"""Making a matrix: checked before it is stored, stored with one pending cell per request.

A matrix can be 10,000 cells: `store_matrix` plans and writes it on the store's writer thread
(its own connection), so the UI thread only awaits it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import sqlite_utils

from workbench.core.prompt_lab.model import Dataset, Matrix, ModelColumn, PromptVersion
from workbench.core.prompt_lab.plan import plan_cells, plan_problems
from workbench.services.store import Store
from workbench.services.store.prompt_lab import PromptLabQueries


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
    """Raises MatrixProblem (every problem listed) when the matrix could not run as asked.
    Writes on the calling thread: from the UI, use `store_matrix`."""
    matrix = checked_matrix(name, versions, dataset, columns, repeats, concurrency, via_batch)
    return _create_planned(store.lab, matrix, dataset)


async def store_matrix(
    store: Store,
    name: str,
    versions: Sequence[PromptVersion],
    dataset: Dataset,
    columns: Sequence[ModelColumn],
    repeats: int = 1,
    concurrency: Mapping[str, int] | None = None,
    via_batch: bool = False,
    keep_dataset: bool = False,
) -> Matrix:
    """`new_matrix` off the calling thread: checked, planned and written (with the dataset
    saved under its name first when `keep_dataset`) on the store's writer. Raises
    MatrixProblem, or the store's error, from the awaiting side."""

    def job(db: sqlite_utils.Database) -> Matrix:  # on the writer thread, its connection
        lab = PromptLabQueries(db)
        if keep_dataset:  # kept even when the matrix is refused: the user's rows are not lost
            lab.save_dataset(dataset)
        matrix = checked_matrix(name, versions, dataset, columns, repeats, concurrency, via_batch)
        return _create_planned(lab, matrix, dataset)

    return await asyncio.wrap_future(store.writer.submit(job))


def _create_planned(lab: PromptLabQueries, matrix: Matrix, dataset: Dataset) -> Matrix:
    """The matrix stored with one pending cell per request it plans."""
    return lab.create_matrix(matrix, dataset, plan_cells(matrix, len(dataset.rows)))


def checked_matrix(
    name: str,
    versions: Sequence[PromptVersion],
    dataset: Dataset,
    columns: Sequence[ModelColumn],
    repeats: int = 1,
    concurrency: Mapping[str, int] | None = None,
    via_batch: bool = False,
) -> Matrix:
    """The matrix to store, or MatrixProblem with every reason it could not run."""
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
    return Matrix(
        id=None,
        name=name.strip() or f"{dataset.name} × {len(columns)} models",
        version_ids=tuple(int(v.id or 0) for v in versions),
        dataset_name=dataset.name,
        columns=tuple(columns),
        repeats=repeats,
        concurrency=dict(concurrency or {}),
        via_batch=via_batch,
    )
