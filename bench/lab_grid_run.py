"""`bench.lab_grid --run`: the Prompt Lab panel creating, starting, running and cancelling a
10,000-cell matrix against the scripted server (its own process), on a qasync loop as in the app,
and the longest stretch the UI thread is held in each phase.

The panel is built as View ▸ Prompt Lab builds it, shown offscreen at 1200x800. The run starts
where the user's "Run" answer lands (`MatrixControl._ask_then_start`, the confirmation answered
yes, the estimate computed beforehand, untimed). A probe timer wakes every millisecond; how late
it wakes is how long the UI thread was held (by a slot, a paint, a store call).

Phases, each probed: idle (the shown panel, nothing happening: the floor on this machine),
create + start (until `--started` cells have finished), running (`--run-s` more seconds),
cancel (until the panel is idle again). For reference in the same run, what the old way
held the UI thread for: the 10,000 pending cells written on the calling thread, and every cell
marked queued with one UPDATE per cell.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail
import qasync
from PySide6.QtWidgets import QApplication

from bench.render import percentile, pin_singletons_if_bindings_leak_them
from bench.scripted import scripted_process
from workbench.app.context import AppContext
from workbench.app.panels import PANELS
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.prompt_lab.model import (
    Assertion,
    AssertionKind,
    CellStatus,
    Dataset,
    Matrix,
    ModelColumn,
)
from workbench.core.prompt_lab.plan import plan_cells
from workbench.core.runs import RunParams
from workbench.services.paths import DataPaths
from workbench.services.prompt_lab.estimate import estimate_matrix
from workbench.services.prompt_lab.matrices import new_matrix
from workbench.services.store import Store
from workbench.ui.panels.prompt_lab.matrix_control import read_shape

KEY = "sk-bench-lab-run-0123456789"
PASS_GOAL_MS = 50.0


class Probe:
    """Wakes every millisecond on the loop and keeps how late each wake-up was, and the UI
    thread's CPU time in between (on a shared machine, a pass can be late for want of a core;
    its CPU time says what the app itself did)."""

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self.cpu_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            self.late_ms.append(max(0.0, (time.perf_counter() - before - 0.001) * 1000))
            self.cpu_ms.append((time.thread_time() - cpu) * 1000)

    def start(self) -> None:
        self.late_ms, self.cpu_ms = [], []
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> tuple[list[float], list[float]]:
        assert self._task is not None
        self._task.cancel()
        return self.late_ms or [0.0], self.cpu_ms or [0.0]


async def until(done: Callable[[], bool], limit_s: float) -> None:
    deadline = time.perf_counter() + limit_s
    while not done() and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)


def old_way(store: Store, matrix: Matrix, dataset: Dataset) -> tuple[float, float]:
    """The reference: ms the calling thread spent writing every pending cell, then marking
    each queued with an UPDATE per cell (as the panel and the runner used to)."""
    started = time.perf_counter()
    saved = store.lab.create_matrix(matrix, dataset, plan_cells(matrix, len(dataset.rows)))
    created = time.perf_counter()
    keys = [k for k, _s in store.lab.cell_states(saved.id or 0)]
    store.lab.set_status(saved.id or 0, keys, CellStatus.QUEUED)
    return (created - started) * 1000, (time.perf_counter() - created) * 1000


def run(args) -> None:
    import workbench.services.clients  # noqa: F401  (the app preloads the SDK at start-up too)

    keyring.set_keyring(keyring.backends.fail.Keyring())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    app.setQuitOnLastWindowClosed(False)  # the panel closes before the loop is done
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with scripted_process(KEY) as base_url, tempfile.TemporaryDirectory() as tmp:
        paths = DataPaths(Path(tmp) / "data").ensure()
        store = Store.open(paths.database)
        try:
            figures = loop.run_until_complete(measure(app, loop, paths, store, base_url, args))
        finally:
            store.close()
    loop.close()
    asyncio.set_event_loop(None)
    report(figures, args)


async def measure(app, loop, paths: DataPaths, store: Store, base_url: str, args) -> dict:
    ctx = AppContext.build(paths, store, loop)
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Bench").with_changes(
        base_url=base_url, default_model="gpt-4o-mini"
    )
    ctx.endpoints.upsert(endpoint)
    ctx.endpoints.set_active(endpoint.id)
    ctx.keys.set(endpoint, KEY)
    panel = next(spec for spec in PANELS if spec.key == "prompt_lab").build(ctx)
    panel.resize(1200, 800)
    panel.show()
    control = panel.control
    control._confirm = lambda *_asked: True  # the user answers "Run"
    ctx.tasks.failed.connect(lambda label, why: print(f"{label} failed: {why}"))

    check = (Assertion(AssertionKind.CONTAINS, "short"),)
    versions = [
        store.lab.save_version("bench", f"Version {n}.", "Tell me about {{topic}}.", check)
        for n in range(args.versions)
    ]
    dataset = Dataset("topics", ("topic",), tuple({"topic": f"t{n}"} for n in range(args.rows)))
    columns = tuple(
        ModelColumn(endpoint.id, "gpt-4o-mini", RunParams(model="gpt-4o-mini"), f"model {c}")
        for c in range(args.columns)
    )
    matrix = Matrix(None, "bench", tuple(v.id or 0 for v in versions), "topics", columns)
    estimate = estimate_matrix(ctx.runs, ctx.tokens, matrix, versions, dataset)
    figures: dict = {}
    figures["old_create_ms"], figures["old_queue_ms"] = old_way(store, matrix, dataset)
    small = Dataset("w", ("topic",), ({"topic": "x"},))
    warm = new_matrix(store, "warm", versions[:1], small, columns[:1])
    # imports, the first connection and paints: not measured
    control._start(warm, [], read_shape(store.lab, warm))
    await until(lambda: not panel.running, 30)
    gc.collect()
    gc.freeze()  # as the app does once its window is up: start-up objects out of full GCs

    probe = Probe()
    probe.start()
    await asyncio.sleep(args.run_s)
    figures["idle"] = probe.stop()

    probe.start()
    started = time.perf_counter()
    loop.call_soon(control._ask_then_start, matrix, versions, dataset, estimate)
    grid = panel.results.grid.grid_model
    await until(lambda: panel.running and grid.finished >= args.started, 120)
    figures["start_s"] = time.perf_counter() - started
    figures["start"] = probe.stop()

    probe.start()
    await asyncio.sleep(args.run_s)
    figures["running"] = probe.stop()
    figures["finished"] = grid.finished

    probe.start()
    control.cancel()
    await until(lambda: not panel.running, 60)
    figures["cancel"] = probe.stop()
    counts = store.lab.status_counts(control.matrix.id or 0)
    figures["counts"] = {str(k): v for k, v in counts.items()}

    panel.close()
    panel.deleteLater()
    await asyncio.sleep(0.05)
    await ctx.connector.close()
    return figures


def report(f: dict, args) -> None:
    cells = args.rows * args.versions * args.columns
    print(
        f"{cells:,} cells ({args.versions} versions x {args.columns} columns x {args.rows} rows), "
        "the Prompt Lab panel on a qasync loop, the scripted server in its own process"
    )
    print()
    print("| phase | lateness p99 | longest UI pass | its UI-thread CPU | most CPU in a pass |")
    print("|---|---:|---:|---:|---:|")
    names = (
        ("idle", f"idle, {args.run_s:g} s (baseline)"),
        ("start", f"create + start, until {args.started} cells finished ({f['start_s']:.1f} s)"),
        ("running", f"running, {args.run_s:g} s more ({f['finished']} finished)"),
        ("cancel", "cancel, until idle"),
    )
    for key, label in names:
        late, cpu = f[key]
        worst = max(range(len(late)), key=late.__getitem__)
        print(
            f"| {label} | {percentile(late, 0.99):.1f} ms | {late[worst]:.1f} ms | "
            f"{cpu[worst]:.1f} ms | {max(cpu):.1f} ms |"
        )
    print()
    print(
        f"Reference, the old way on the calling thread: writing the pending cells "
        f"{f['old_create_ms']:.0f} ms, marking each queued (an UPDATE per cell) "
        f"{f['old_queue_ms']:.0f} ms."
    )
    print(f"After cancel, the cells are: {f['counts']}")
    worst = max(max(f[k][1]) for k in ("start", "running", "cancel"))
    verdict = "PASS" if worst <= PASS_GOAL_MS else "FAIL"
    print(
        f"Most UI-thread CPU in one pass: {worst:.1f} ms (goal <= {PASS_GOAL_MS:.0f} ms: {verdict})"
    )
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
