"""Driving Qt's event loop pass by pass in the UI benches, each pass timed.

Shared by bench.gallery_open and bench.lab_grid, so both measure their frames the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QWidget

from bench.render import percentile

IDLE_SLEEP_S = 0.0005


def run_until(
    app: QApplication,
    done: Callable[[], bool],
    passes: list[float],
    limit_s: float = 30.0,
    failure: str = "the view never painted",
) -> None:
    """Event-loop passes until `done()`, each pass's duration appended to `passes`."""
    deadline = time.perf_counter() + limit_s
    while not done():
        started = time.perf_counter()
        app.processEvents()
        took = time.perf_counter() - started
        passes.append(took)
        if took < 0.001:
            time.sleep(IDLE_SLEEP_S)  # an idle loop waits; worker threads get the GIL
        if time.perf_counter() > deadline:
            raise RuntimeError(failure)


def run_for(app: QApplication, seconds: float, passes: list[float], first: float = 0.0) -> None:
    """Passes for `seconds`; `first` (a scroll done just before) counts in the first pass."""
    end = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        app.processEvents()
        took = time.perf_counter() - started
        passes.append(took + first)
        first = 0.0
        if time.perf_counter() >= end:
            return
        if took < 0.001:
            time.sleep(IDLE_SLEEP_S)


def close(app: QApplication, widget: QWidget) -> None:
    widget.close()
    widget.deleteLater()
    app.processEvents()


def scroll_rows(
    passes: list[float], baseline: list[float], goal_ms: float, cells: Callable[[str, str], str]
) -> list[str]:
    """The report's rows for a scroll's event-loop passes (seconds), against a baseline's:
    the longest (with the verdict against `goal_ms`), median, p99 and how many went over 16 ms.
    `cells(ours, baseline's)` lays the two figures out in the bench's own table."""
    worst = max(passes) * 1000
    verdict = "PASS" if worst <= goal_ms else "FAIL"
    longest = cells(f"{worst:.1f} ms", f"{max(baseline) * 1000:.1f} ms")
    rows = [f"| scroll: longest event-loop pass | {longest} | <= {goal_ms:.0f} ms: {verdict} |"]
    for name, q in (("median", 0.5), ("p99", 0.99)):
        x, y = percentile(passes, q) * 1000, percentile(baseline, q) * 1000
        rows.append(
            f"| scroll: event-loop pass, {name} | {cells(f'{x:.2f} ms', f'{y:.2f} ms')} | |"
        )
    over = [f"{sum(p > 0.016 for p in ps)} of {len(ps)}" for ps in (passes, baseline)]
    rows.append(f"| scroll: passes over 16 ms | {cells(*over)} | |")
    return rows
