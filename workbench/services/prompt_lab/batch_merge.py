"""Merging an ended batch into its matrix, off the UI thread.

A batch may hold tens of thousands of results: pricing, checking and rebuilding each request
is done in a worker (`plan_merge`, `prepare`), and the writes (a run per answer, the cells) go
to the store's writer connection in slices (`store_slice`), so the window stays live and other
answers' writes are not held up behind one long job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlite_utils

from workbench.core.endpoints import Endpoint
from workbench.core.pricing import UNKNOWN_PRICE
from workbench.core.prompt_lab.model import (
    Cell,
    CellKey,
    CellStatus,
    Dataset,
    Matrix,
    PromptVersion,
)
from workbench.core.prompt_lab.templates import TemplateProblem
from workbench.core.runs import RunKind, RunRecord
from workbench.services.prompt_lab.batch_cells import (
    answered_cell,
    rejected_cell,
    result_price,
    result_run,
    unanswered_cell,
)
from workbench.services.prompt_lab.batch_lines import (
    BatchProgress,
    BatchScope,
    LineResult,
    batch_line,
)
from workbench.services.prompt_lab.requests import cell_request
from workbench.services.store.prompt_lab import PromptLabQueries
from workbench.services.store.runs import RunQueries


@dataclass(frozen=True, slots=True)
class Merged:
    """A cell as it will be stored, and the run to keep with it (a line that ran)."""

    cell: Cell
    run: RunRecord | None = None
    body: dict[str, Any] | None = None  # the request the run is kept with
    endpoint: Endpoint | None = None


def plan_merge(
    cells: Sequence[Cell],
    scope: BatchScope,
    results: Sequence[LineResult],
    progress: BatchProgress,
) -> list[tuple[Cell | None, LineResult | None]]:
    """Per unfinished cell of the batch: its result to store, or the cell it becomes without
    one (refused by validation, or never run). Finished cells are left alone, so a merge cut
    short by a crash is simply done again."""
    found = {r.key: r for r in results}
    mine = [c for c in cells if scope.holds(c.key)]
    # Validation names lines (1-based) of the file sent: the batched cells in key order.
    waiting = sorted(c.key for c in mine if c.status is CellStatus.BATCHED)
    named = {waiting[n - 1]: (n, m) for n, m in progress.bad_lines if 0 < n <= len(waiting)}
    detail = "; ".join(progress.errors) if progress.status == "failed" else ""
    planned: list[tuple[Cell | None, LineResult | None]] = []
    for cell in mine:
        if cell.status.finished:
            continue
        if cell.key in found:
            planned.append((None, found[cell.key]))
        elif cell.key in named:
            planned.append((rejected_cell(cell.key, *named[cell.key]), None))
        elif cell.status is CellStatus.BATCHED:
            planned.append((unanswered_cell(cell.key, progress.status, detail), None))
    return planned


def prepare(
    planned: Sequence[tuple[Cell | None, LineResult | None]],
    matrix: Matrix,
    dataset: Dataset,
    versions: dict[int, PromptVersion | None],
    endpoints: dict[str, Endpoint],
) -> list[Merged]:
    """What to store for each planned cell: pure work (prices, checks, request bodies)."""
    merged = []
    for ready, result in planned:
        if ready is not None:
            merged.append(Merged(ready))
        elif result is not None:
            merged.append(_answered(result, matrix, dataset, versions, endpoints))
    return merged


def _answered(
    result: LineResult,
    matrix: Matrix,
    dataset: Dataset,
    versions: dict[int, PromptVersion | None],
    endpoints: dict[str, Endpoint],
) -> Merged:
    key = result.key
    version = versions.get(key.version_id)
    column = matrix.columns[key.column]
    endpoint = endpoints[column.endpoint_id]
    if result.not_run:
        return Merged(answered_cell(result, UNKNOWN_PRICE, version))
    price = result_price(result, column, endpoint)
    run = result_run(result, 0, column, endpoint, price)
    body = _request_body(matrix, dataset, version, key, endpoint.kind)
    return Merged(answered_cell(result, price, version), run, body, endpoint)


def _request_body(
    matrix: Matrix,
    dataset: Dataset,
    version: PromptVersion | None,
    key: CellKey,
    endpoint_kind: str,
) -> dict[str, Any]:
    """The body the cell's line carried (rebuilt: after a restart the file sent is not here)."""
    if version is None:
        return {}
    try:
        return batch_line(key, cell_request(matrix, version, dataset, key), endpoint_kind)["body"]
    except TemplateProblem:
        return {}


def store_slice(db: sqlite_utils.Database, matrix_id: int, items: Sequence[Merged]) -> list[Cell]:
    """On the store's writer: a run per line that ran, then the cells (with their run ids)."""
    runs = RunQueries(db)
    cells = []
    for item in items:
        cell = item.cell
        if item.run is not None and item.endpoint is not None:
            run_id = runs.start(
                None, None, item.endpoint, RunKind.CHAT_COMPLETION, item.run.model, item.body or {}
            )
            runs.finish(replace(item.run, run_id=run_id), {}, [])
            cell = replace(cell, run_id=run_id)
        cells.append(cell)
    PromptLabQueries(db).save_cells(matrix_id, cells)
    return cells


def read_cells(db: sqlite_utils.Database, matrix_id: int) -> list[Cell]:
    return PromptLabQueries(db).cells(matrix_id)


def read_unfinished(db: sqlite_utils.Database, matrix_id: int) -> list[CellKey]:
    return PromptLabQueries(db).unfinished(matrix_id)


def mark_batched(db: sqlite_utils.Database, matrix_id: int, keys: Sequence[CellKey]) -> None:
    PromptLabQueries(db).set_status(matrix_id, keys, CellStatus.BATCHED)
