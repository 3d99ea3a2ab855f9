"""The grid as CSV or JSON Lines: one record per cell, with its row's variables, its version and
model column, the verdict with reasons, the answer and its figures. Pure; the panel writes the
text from a worker."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from workbench.core.prompt_lab.model import Cell, Dataset, Matrix
from workbench.ui.panels.prompt_lab import cell_text

FIELDS = (
    "version",
    "row",
    "repeat",
    "column",
    "endpoint_id",
    "model",
    "status",
    "passed",
    "reasons",
    "output",
    "error",
    "latency_ms",
    "queue_ms",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "batch_discount",
    "run_id",
)


def records(
    matrix: Matrix,
    dataset: Dataset,
    cells: Iterable[Cell],
    version_labels: dict[int, str],
    check_names: dict[int, tuple[str, ...]],
) -> list[dict[str, Any]]:
    out = []
    for cell in sorted(cells, key=lambda c: c.key):
        key = cell.key
        column = matrix.columns[key.column] if key.column < len(matrix.columns) else None
        variables = dataset.rows[key.row] if key.row < len(dataset.rows) else {}
        verdict = cell_text.verdict(cell, check_names.get(key.version_id, ()))
        record: dict[str, Any] = {
            "version": version_labels.get(key.version_id, str(key.version_id)),
            "row": key.row + 1,
            "repeat": key.repeat + 1,
            "column": column.title if column else "",
            "endpoint_id": column.endpoint_id if column else "",
            "model": column.model if column else "",
            "status": str(cell.status),
            "passed": cell.passed,
            "reasons": verdict.removeprefix("fail: ") if cell.passed is False else "",
            "output": cell.output,
            "error": cell.error,
            "latency_ms": cell.latency_ms,
            "queue_ms": cell.queue_ms,
            "prompt_tokens": cell.prompt_tokens,
            "completion_tokens": cell.completion_tokens,
            "cost_usd": cell.cost_usd,
            "batch_discount": cell.batch_discount,
            "run_id": cell.run_id,
        }
        # The row's variables first, as the dataset names them, so a record reads as its case.
        out.append({**{f"var:{k}": v for k, v in variables.items()}, **record})
    return out


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def to_csv(rows: list[dict[str, Any]], dataset: Dataset) -> str:
    header = [f"var:{c}" for c in dataset.columns] + list(FIELDS)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
