"""The Prompt Lab grid opening a finished 10,000-cell matrix from the store, and scrolling it.

Untimed set-up: a store (the app's own migrations, in a temp dir) with one matrix of
`--versions` prompt versions x `--columns` model columns x `--rows` dataset rows (2 x 5 x 1,000 =
10,000 cells by default), every cell done: an answer of 40-400 characters, latency, queue time,
tokens, a cost and two checks (about one in five fails one, with its reason).

- open (a): from `store.lab.cells(matrix_id)` (the store read and the rows made into `Cell`s)
  through building `LabGrid`, `set_matrix` and `show()` in a 1200x800 window, to the end of the
  view's first paint (processEvents passes until its viewport has painted).
- baselines, the same window, the same way to the end of the first paint:
  (b) an empty `QTableView` on a 0x0 model: the floor of building and painting any table view;
  (c) a `QStandardItemModel` of the same size, one item per cell holding the same short text and
  tooltip (made from the same `Cell`s, after the same store read), in a plain `QTableView`.
- scroll (d): in a fresh grid, top to bottom and left to right together in `--steps` equal steps,
  running the event loop for `--step-ms` after each; every event-loop pass is timed (the scroll
  itself counts in the pass after it): the longest is the worst frame a user would see. The
  same scroll on baseline (c). Then cells streaming in: `--updates` cells changed one at a time
  through `update_cell` (as the runner delivers them), each followed by one pass.
- the store read against the same SELECT with its rows left as tuples: what making `Cell`s adds.
Offscreen platform; round 0 warms up and is dropped; medians.
Run: .venv/bin/python -m bench.lab_grid [--rows 1000] [--versions 2] [--columns 5]
     [--rounds 5] [--steps 60] [--step-ms 16] [--updates 300]
With --run [--run-s 3] [--started 100]: the panel creating, starting, running and cancelling a
matrix of that size on the scripted server, longest UI pass per phase (see bench/lab_grid_run.py).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QPaintEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from bench.event_loop import close, run_for, run_until, scroll_rows
from bench.render import percentile, pin_singletons_if_bindings_leak_them
from workbench.core.prompt_lab.model import (
    Cell,
    CellKey,
    CellStatus,
    CheckResult,
    Dataset,
    Matrix,
    ModelColumn,
)
from workbench.core.runs import RunParams
from workbench.services.store import Store
from workbench.ui.panels.prompt_lab import cell_text
from workbench.ui.panels.prompt_lab.grid_model import GridShape
from workbench.ui.panels.prompt_lab.grid_view import LabGrid

OPEN_GOAL_MS = 300.0
_BARE_READ = (
    'SELECT version_id, "row", col, "repeat", status, output, latency_ms, queue_ms, '
    "prompt_tokens, completion_tokens, cost_usd, price_status, run_id, error, checks_json, "
    'batch_discount FROM lab_cells WHERE matrix_id = ? ORDER BY version_id, "row", col, "repeat"'
)
FRAME_GOAL_MS = 50.0
WINDOW = (1200, 800)
_TEXT = (
    "the answer is a short summary of the ticket with the customer's name the order number "
    "and what they asked for refund shipping delay broken item wrong size thanks regards"
)
_WORDS = tuple(_TEXT.split())


# --- the store (untimed) -------------------------------------------------------------------------
def make_store(
    folder: Path, rows: int, versions: int, columns: int
) -> tuple[Store, int, GridShape]:
    store = Store.open(folder / "lab.db")
    lab = store.lab
    version_ids = [
        lab.save_version("support-summary", f"You summarise. v{n}", "Ticket: {{ticket}}").id
        for n in range(1, versions + 1)
    ]
    dataset = Dataset("tickets", ("ticket",), tuple({"ticket": f"ticket {n}"} for n in range(rows)))
    lab.save_dataset(dataset)
    model_columns = tuple(
        ModelColumn("openai", f"gpt-4o-mini-{c}", RunParams(model="gpt-4o-mini"), f"model {c}")
        for c in range(columns)
    )
    keys = [
        CellKey(v, r, c, 0)
        for v in version_ids  # type: ignore[misc]
        for r in range(rows)
        for c in range(columns)
    ]
    matrix = Matrix(None, "bench", tuple(version_ids), "tickets", model_columns)  # type: ignore[arg-type]
    saved = lab.create_matrix(matrix, dataset, keys)
    rnd = random.Random(7)
    lab.save_cells(saved.id, (_finished(key, rnd) for key in keys))  # type: ignore[arg-type]
    shape = GridShape(
        version_ids=tuple(version_ids),  # type: ignore[arg-type]
        version_labels=tuple(f"v{n}" for n in range(1, versions + 1)),
        columns=tuple(c.title for c in model_columns),
        rows=rows,
        row_labels=tuple(r["ticket"] for r in dataset.rows),
        check_names={v: ("contains 'order'", "max length 400") for v in version_ids},  # type: ignore[misc]
    )
    return store, int(saved.id), shape  # type: ignore[arg-type]


def _finished(key: CellKey, rnd: random.Random) -> Cell:
    output = " ".join(rnd.choices(_WORDS, k=rnd.randint(8, 70)))
    fails = rnd.random() < 0.2
    return Cell(
        key,
        CellStatus.DONE,
        output=output,
        latency_ms=rnd.uniform(300, 4000),
        queue_ms=rnd.uniform(0, 900),
        prompt_tokens=rnd.randint(40, 400),
        completion_tokens=rnd.randint(10, 120),
        cost_usd=rnd.uniform(1e-5, 2e-3),
        price_status="priced",
        run_id=None,
        checks=(
            CheckResult(0, not fails, "'order' not found" if fails else ""),
            CheckResult(1, True, ""),
        ),
    )


# --- the views -----------------------------------------------------------------------------------
class TimedGrid(LabGrid):
    """The real grid, noting when its viewport last finished a paint."""

    painted_at = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()


class TimedTable(QTableView):
    painted_at = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()


def open_grid(app: QApplication, store: Store, matrix_id: int, shape: GridShape):
    """(a): read, build, fill, show, painted. Returns (ms, UI-thread ms after the read, grid):
    the panel reads the cells in a worker, so only the rest holds the UI thread."""
    started = time.perf_counter()
    cells = store.lab.cells(matrix_id)
    read = time.perf_counter()
    grid = TimedGrid()
    grid.resize(*WINDOW)
    grid.grid_model.set_matrix(shape, cells)
    grid.show()
    run_until(app, lambda: grid.painted_at > 0, [])
    return (grid.painted_at - started) * 1000, (grid.painted_at - read) * 1000, grid


def open_empty(app: QApplication) -> float:
    """(b): an empty table view, to the end of its first paint."""
    started = time.perf_counter()
    view = TimedTable()
    view.setModel(QStandardItemModel(0, 0, view))
    view.resize(*WINDOW)
    view.show()
    run_until(app, lambda: view.painted_at > 0, [])
    took = (view.painted_at - started) * 1000
    close(app, view)
    return took


def open_standard(app: QApplication, store: Store, matrix_id: int, shape: GridShape):
    """(c): the same read, then one QStandardItem per cell with the same text and tooltip."""
    started = time.perf_counter()
    cells = store.lab.cells(matrix_id)
    view = TimedTable()
    model = QStandardItemModel(shape.rows, len(shape.version_ids) * len(shape.columns), view)
    at = {v: i for i, v in enumerate(shape.version_ids)}
    width = len(shape.columns)
    for cell in cells:
        item = QStandardItem(cell_text.short_output(cell))
        item.setToolTip(cell_text.tooltip(cell))
        model.setItem(cell.key.row, at[cell.key.version_id] * width + cell.key.column, item)
    view.setModel(model)
    view.resize(*WINDOW)
    view.show()
    run_until(app, lambda: view.painted_at > 0, [])
    return (view.painted_at - started) * 1000, view


def scroll(app: QApplication, view: QTableView, steps: int, step_s: float) -> dict:
    """Down and right together in `steps` equal steps; every event-loop pass timed."""
    run_for(app, 0.05, [])
    down, right = view.verticalScrollBar(), view.horizontalScrollBar()
    v_step, h_step = math.ceil(down.maximum() / steps), math.ceil(right.maximum() / steps)
    passes: list[float] = []
    cpu_started = time.thread_time()
    for number in range(1, steps + 1):
        started = time.perf_counter()
        down.setValue(min(down.maximum(), number * v_step))
        right.setValue(min(right.maximum(), number * h_step))
        run_for(app, step_s, passes, first=time.perf_counter() - started)
    return {
        "passes": passes,
        "step_px": v_step,
        "page_px": down.pageStep(),
        "cpu_s": time.thread_time() - cpu_started,
    }


def stream(app: QApplication, grid: LabGrid, updates: int) -> list[float]:
    """Cells changed one at a time, as the runner delivers them: one pass after each."""
    cells = grid.grid_model.cells()
    rnd = random.Random(3)
    passes = []
    for cell in rnd.sample(cells, min(updates, len(cells))):
        started = time.perf_counter()
        grid.grid_model.update_cell(replace(cell, output="streamed: " + cell.output))
        app.processEvents()
        passes.append(time.perf_counter() - started)
    return passes


# --- the report ----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--columns", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="opens of each, after a warm-up")
    parser.add_argument("--steps", type=int, default=60, help="scroll steps, corner to corner")
    parser.add_argument("--step-ms", type=float, default=16.0, help="event loop between steps")
    parser.add_argument("--updates", type=int, default=300, help="cells streamed in one by one")
    parser.add_argument(
        "--run", action="store_true", help="instead: the panel creating and running a matrix"
    )
    parser.add_argument("--run-s", type=float, default=3.0, help="--run: idle and running time")
    parser.add_argument("--started", type=int, default=100, help="--run: cells to finish first")
    args = parser.parse_args()
    if args.run:
        from bench.lab_grid_run import run

        run(args)
        return

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    with tempfile.TemporaryDirectory() as tmp:
        store, matrix_id, shape = make_store(Path(tmp), args.rows, args.versions, args.columns)
        try:
            report(app, store, matrix_id, shape, args)
        finally:
            store.close()


def report(app: QApplication, store: Store, matrix_id: int, shape: GridShape, args) -> None:
    grid_ms, ui_ms, empty_ms, standard_ms = [], [], [], []
    for _ in range(args.rounds + 1):  # interleaved, so a busy moment hits all three alike
        took, on_ui, grid = open_grid(app, store, matrix_id, shape)
        close(app, grid)
        grid_ms.append(took)
        ui_ms.append(on_ui)
        empty_ms.append(open_empty(app))
        took, view = open_standard(app, store, matrix_id, shape)
        close(app, view)
        standard_ms.append(took)
    started = time.perf_counter()
    cells = len(store.lab.cells(matrix_id))
    read_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    list(store.db.execute(_BARE_READ, [matrix_id]))  # the same rows, left as tuples
    bare_ms = (time.perf_counter() - started) * 1000

    _, _, grid = open_grid(app, store, matrix_id, shape)
    grid_scroll = scroll(app, grid, args.steps, args.step_ms / 1000)
    streamed = stream(app, grid, args.updates)
    close(app, grid)
    _, view = open_standard(app, store, matrix_id, shape)
    base_scroll = scroll(app, view, args.steps, args.step_ms / 1000)
    close(app, view)

    a, b, c = (statistics.median(x[1:]) for x in (grid_ms, empty_ms, standard_ms))
    print(
        f"{cells} finished cells ({len(shape.version_ids)} versions x {len(shape.columns)} model "
        f"columns x {shape.rows} rows) in the store, {WINDOW[0]}x{WINDOW[1]} window, "
        f"{args.rounds} opens each (+1 warm-up), {os.cpu_count()} CPUs, offscreen"
    )
    print()
    print("| measure | Lab grid | empty QTableView | QStandardItemModel, same cells | goal |")
    print("|---|---:|---:|---:|---|")
    verdict = "PASS" if a <= OPEN_GOAL_MS else "FAIL"
    print(
        f"| open to first paint, median | {a:.1f} ms | {b:.1f} ms | {c:.1f} ms | "
        f"<= {OPEN_GOAL_MS:.0f} ms: {verdict} |"
    )
    worst = [max(x[1:]) for x in (grid_ms, empty_ms, standard_ms)]
    print(f"| open, worst round | {worst[0]:.1f} ms | {worst[1]:.1f} ms | {worst[2]:.1f} ms | |")
    print(f"| grid / baseline | | {a / b:.1f}x | {a / c:.2f}x | |")
    ui = statistics.median(ui_ms[1:])
    print(
        f"| of the open: after the read (set_matrix, show, paint; UI thread) | {ui:.1f} ms | | | |"
    )
    read = f"{read_ms:.1f} ms"
    print(f"| of the open: the store read of {cells} cells | {read} | | {read} | |")
    print(f"| of the read: the same SELECT, rows left as tuples | {bare_ms:.1f} ms | | | |")
    rows = scroll_rows(
        grid_scroll["passes"], base_scroll["passes"], FRAME_GOAL_MS, lambda x, y: f"{x} | | {y}"
    )
    print("\n".join(rows))
    print(
        f"| scroll: UI-thread CPU | {grid_scroll['cpu_s'] * 1000:.0f} ms | | "
        f"{base_scroll['cpu_s'] * 1000:.0f} ms | |"
    )
    print(
        f"| one cell streamed in (update + pass), median / max | "
        f"{percentile(streamed, 0.5) * 1000:.2f} / {max(streamed) * 1000:.2f} ms | | | |"
    )
    print()
    print(
        f"Scroll: {args.steps} steps of {grid_scroll['step_px']} px down (a page is "
        f"{grid_scroll['page_px']} px) and right together, {args.step_ms:.0f} ms of event loop "
        "after each."
    )


if __name__ == "__main__":
    main()
