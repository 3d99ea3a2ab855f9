"""Streaming markdown: the incremental MarkdownView against re-rendering the whole text per chunk.

Four answers stream at once, at a steady token rate, into four MarkdownViews stacked in a
QScrollArea (an offscreen window kept scrolled to the bottom, as the chat does), driven by asyncio
tasks on a qasync loop. Prints:
- event-loop stall: how late a 1 ms probe timer fires, p99 and max;
- main-thread CPU per token spent in view updates, against a baseline view that re-renders the
  whole message (setHtml of the full text's HTML) on every chunk, replaying the same chunks.
Run: .venv/bin/python -m bench.render [--seconds 10] [--rate 200] [--tokens 20000] [--prefill 0]

With --shapes, the huge answers of issues 13 and 14 instead (500 KB to 20 MB): each is fed to one
view in 1 KB deltas as fast as the view takes them (the server sends faster than any UI paints),
each delta painted at once, then finished; and given whole, as reopening a session does. Prints
the longest UI-thread pass (append + paint of one delta, or one event-loop turn afterwards; the
goal is 50 ms), the total time, and for streams the characters per second the view took
(against the same run's 500 KB line, so the rate should not fall as answers grow).
Run: .venv/bin/python -m bench.render --shapes [--give-up 60] [--only 20 MB]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import itertools
import math
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6
import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

from workbench.core.markdown import render_block
from workbench.ui.widgets.markdown_view import MarkdownView

STREAMS = 4
WAKE_S = 0.005  # an SSE client wakes per chunk; at 200 tok/s that is about one token per wake

SAMPLE = '''## Setting up the project

To get started, create a virtual environment and install the dependencies. The steps below
assume **Python 3.11** or later, and a shell such as `bash` or `zsh`. If you are on Windows, use
PowerShell and replace the activation command accordingly.

1. Create the environment with `python -m venv .venv`.
2. Activate it: `source .venv/bin/activate`.
3. Install the package in editable mode, with the development extras.

```bash
python -m venv .venv
source .venv/bin/activate
pip install -e ".[dev]"
pytest -q
```

### Reading the configuration

The loader below reads a TOML file, merges it with the defaults and validates the result. Note
how errors carry the path of the offending key, which makes them *much* easier to fix.

```python
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    model: str = "gpt-4o-mini"
    temperature: float = 0.7
    max_tokens: int = 1024


def load(path: Path) -> Settings:
    """Reads settings from `path`, falling back to the defaults for missing keys."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown keys in {path}: {sorted(unknown)}")
    return Settings(**data)
```

Some things to keep in mind:

- The loader never writes the file; saving is a separate step.
- Unknown keys are an error rather than a warning, so typos surface early.
- Values are not coerced: `temperature = "0.7"` fails instead of silently becoming a float.

| option | default | meaning |
|--------|--------:|---------|
| `model` | gpt-4o-mini | which model answers |
| `temperature` | 0.7 | randomness of sampling |
| `max_tokens` | 1024 | upper bound on the answer length |

> **Tip:** keep secrets out of this file. Read API keys from the OS keyring or from an
> environment variable, never from a file in the repository.

### A small client

In JavaScript the same idea looks like this; the request is streamed and each chunk is appended
to the page as it arrives, which keeps the interface responsive even for long answers.

```javascript
const MODEL = "gpt-4o-mini";

async function ask(content) {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content }] }),
  });
  for await (const chunk of response.body) {
    render(new TextDecoder().decode(chunk));
  }
}
```

That is all there is to it. Run the tests again, and if everything passes, commit the change with
a message that says *why* it was made, not only what changed.

'''

_TOKEN = re.compile(r"\n+|[^\S\n]*[^\s]{1,6}|[^\S\n]+")


def tokens_of(count: int) -> list[str]:
    """`count` token-sized pieces (about 4 characters) of realistic markdown."""
    pieces = _TOKEN.findall(SAMPLE)
    return (pieces * (count // len(pieces) + 1))[:count]


def pin_singletons_if_bindings_leak_them() -> bool:
    """PySide6 6.12 on Python < 3.12 drops a reference to None on every void call (and to
    True/False on bool returns), which kills the process after some thousands of calls; make
    them effectively immortal for this run, as Python 3.12 does."""
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(100):
        timer.stop()
    if sys.getrefcount(None) > before - 50:
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40  # ob_refcnt comes first
    return True


class TimedView(MarkdownView):
    """The real view, with the CPU time of its updates added up."""

    cpu_s = 0.0
    updates = 0

    def _apply(self, *args) -> None:  # type: ignore[no-untyped-def]
        started = time.thread_time()
        super()._apply(*args)
        TimedView.cpu_s += time.thread_time() - started
        TimedView.updates += 1


class WholeView(MarkdownView):
    """The baseline: every chunk re-renders the whole message and replaces the document."""

    def show_whole(self, text: str) -> float:
        """Shows `text` the baseline's way; returns the CPU seconds it took."""
        started = time.thread_time()
        self.setHtml(render_block(text).html)
        return time.thread_time() - started


def window_of(views: list[MarkdownView]) -> QScrollArea:
    content = QWidget()
    layout = QVBoxLayout(content)
    for view in views:
        layout.addWidget(view)
    layout.addStretch(1)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(content)
    area.resize(900, 700)
    bar = area.verticalScrollBar()
    bar.rangeChanged.connect(lambda _low, high: bar.setValue(high))  # follow the newest text
    area.show()
    return area


@dataclass(frozen=True, slots=True)
class LiveRun:
    lateness_ms: list[float]
    busy_ms: list[float]  # main-thread CPU within each late interval: the part this app caused
    tokens: int
    chunks: list[list[Chunk]]  # per stream, as they were appended
    update_cpu_s: float
    updates: int
    thread_cpu_s: float
    wall_s: float


Chunk = tuple[str, int]  # the text appended at one wake-up, and how many tokens it holds


async def stream(
    view: MarkdownView, tokens: list[str], rate: float, start: float, end: float, log: list[Chunk]
) -> None:
    sent = 0
    while sent < len(tokens) and (now := time.perf_counter()) < end:
        due = min(len(tokens), int((now - start) * rate))
        if due > sent:
            chunk = "".join(tokens[sent:due])
            view.append(chunk)
            log.append((chunk, due - sent))
            sent = due
        await asyncio.sleep(WAKE_S)


async def live_run(seconds: float, rate: float, tokens: list[str], prefill: int) -> LiveRun:
    views = [TimedView() for _ in range(STREAMS)]
    area = window_of(views)
    for view in views:
        view.append("".join(tokens[:prefill]))
        view.flush()
    await asyncio.sleep(0.3)  # let the window settle before measuring
    TimedView.cpu_s, TimedView.updates = 0.0, 0

    fired: list[tuple[float, float]] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(1)
    probe.timeout.connect(lambda: fired.append((time.perf_counter(), time.thread_time())))
    chunks: list[list[Chunk]] = [[] for _ in views]
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    probe.start()
    end = wall0 + seconds
    # Staggered starts, so the four streams' chunks do not arrive in lockstep.
    tasks = [
        asyncio.create_task(stream(v, tokens[prefill:], rate, wall0 + i * 0.037, end, chunks[i]))
        for i, v in enumerate(views)
    ]
    await asyncio.gather(*tasks)
    await asyncio.sleep(0.05)  # the last frame's updates
    probe.stop()
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    area.close()
    # Lateness on a shared machine also counts time other processes held the CPU; the thread
    # CPU spent in the same interval tells how much of it was this process's own work.
    pairs = list(itertools.pairwise(fired))
    lateness = [max(0.0, (b[0] - a[0]) * 1000 - 1.0) for a, b in pairs]
    busy = [max(0.0, (b[1] - a[1]) * 1000 - 1.0) for a, b in pairs]
    sent = sum(n for log in chunks for _, n in log)
    return LiveRun(lateness, busy, sent, chunks, TimedView.cpu_s, TimedView.updates, cpu, wall)


@dataclass(frozen=True, slots=True)
class BaselineRun:
    cpu_per_token_s: float  # over the whole schedule, from the sampled chunks
    sampled: int
    chunks: int


def baseline_run(chunks: list[list[Chunk]], prefix: str, budget_s: float) -> BaselineRun:
    """Times the baseline on the live run's chunks: at each sampled chunk the view goes to the
    text before it (untimed), then the chunk's update re-renders the whole text so far (timed).
    Sampling every m-th chunk, m picked to fit the CPU budget, keeps the whole schedule covered;
    the mean cost per chunk times the number of chunks gives its total."""
    views = [WholeView() for _ in chunks]
    area = window_of(views)
    texts: list[list[str]] = []  # per stream, the whole text after each chunk
    for log in chunks:
        so_far, after = prefix, []
        for chunk, _ in log:
            so_far += chunk
            after.append(so_far)
        texts.append(after)
    total_chunks = sum(len(log) for log in chunks)
    total_tokens = sum(n for log in chunks for _, n in log)
    longest = max(range(len(chunks)), key=lambda i: len(texts[i][-1]) if texts[i] else 0)
    # Cost grows about linearly with length: the mean is about half the cost at the end.
    mean_guess = views[longest].show_whole(texts[longest][-1]) if texts[longest] else 0.0
    stride = max(1, math.ceil(total_chunks * mean_guess / 2 / budget_s))
    costs: list[float] = []
    for view, log, after in zip(views, chunks, texts, strict=True):
        for k in range(stride // 2, len(log), stride):
            view.show_whole(after[k - 1] if k else prefix)
            QApplication.processEvents()  # layout and paint, as between two chunks
            costs.append(view.show_whole(after[k]))
    area.close()
    mean = statistics.fmean(costs) if costs else float("nan")
    return BaselineRun(mean * total_chunks / max(total_tokens, 1), len(costs), total_chunks)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


DELTA = 1024


def shapes() -> dict[str, str]:
    words = "lorem ipsum dolor sit amet " * 800_000
    line = words[:1023] + "\n"
    fences = "\n\n".join(f"```python\nvalue_{i} = {i} * 2\n```" for i in range(5_000))
    return {
        "single line 500 KB": words[:500_000],
        "single line 2 MB": words[:2_000_000],
        "single line 20 MB": words[:20_000_000],
        "5 MB in 1 KB lines": line * 5_120,
        "20 MB in 1 KB lines": line * 20_480,
        "5,000 code fences": fences,
    }


@dataclass(frozen=True, slots=True)
class Passes:
    longest_s: float  # wall time of the longest pass
    longest_cpu_s: float  # the UI thread's CPU time in its busiest pass (what load cannot add)
    total_s: float
    gave_up_at: int | None


def timed_passes(app: QApplication, view: MarkdownView, steps, give_up_s: float) -> Passes:
    """Runs each step then one event-loop turn, timing each; then turns until nothing waits."""
    longest = longest_cpu = 0.0
    started = time.perf_counter()

    def turn(step) -> None:  # type: ignore[no-untyped-def]
        nonlocal longest, longest_cpu
        t, c = time.perf_counter(), time.thread_time()
        step()
        app.processEvents()
        longest_cpu = max(longest_cpu, time.thread_time() - c)
        longest = max(longest, time.perf_counter() - t)

    for done, step in enumerate(steps):
        turn(step)
        if time.perf_counter() - started > give_up_s:
            return Passes(longest, longest_cpu, time.perf_counter() - started, done)
    for _ in range(10_000):  # slices the view left for later frames, a frame apart
        time.sleep(0.017)
        turn(lambda: None)
        timer = getattr(view, "_timer", None)
        if timer is None or not timer.isActive():
            break
    return Passes(longest, longest_cpu, time.perf_counter() - started, None)


def steps_of(view: MarkdownView, text: str, whole: bool) -> list:
    if whole:
        return [lambda: view.set_markdown(text)]

    def delta(piece: str) -> None:
        view.append(piece)
        view.flush()

    pieces = [text[i : i + DELTA] for i in range(0, len(text), DELTA)]
    return [*(lambda p=p: delta(p) for p in pieces), view.finish]


def shapes_main(give_up_s: float, only: str = "") -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    print(
        f"| shape | how | longest UI pass | its CPU | total | stream rate | (goal: pass <= "
        f"50 ms of UI-thread CPU; gives up after {give_up_s:.0f} s) |"
    )
    print("|---|---|---:|---:|---:|---:|---|")
    for name, text in shapes().items():
        if only not in name:
            continue
        for how in ("streamed in 1 KB deltas", "opened whole"):
            view = MarkdownView()
            area = window_of([view])
            steps = steps_of(view, text, whole=how == "opened whole")
            run = timed_passes(app, view, steps, give_up_s)
            stopped = run.gave_up_at
            note = f"gave up at {stopped / len(steps):.0%}" if stopped is not None else ""
            note += " PASS" if run.longest_cpu_s <= 0.050 and stopped is None else " FAIL"
            rate = f"{len(text) / run.total_s / 1e6:.1f} MB/s" if how.startswith("stream") else ""
            print(
                f"| {name} | {how} | {run.longest_s * 1000:.0f} ms | "
                f"{run.longest_cpu_s * 1000:.0f} ms | {run.total_s:.2f} s | {rate} |{note} |"
            )
            area.close()
            area.deleteLater()
            app.processEvents()


def main() -> None:
    if "--shapes" in sys.argv:
        give_up = sys.argv[sys.argv.index("--give-up") + 1] if "--give-up" in sys.argv else "60"
        only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
        shapes_main(float(give_up), only)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="wall time of the live run")
    parser.add_argument("--rate", type=float, default=200.0, help="tokens/s of each stream")
    parser.add_argument("--tokens", type=int, default=20_000, help="length of each answer")
    parser.add_argument("--prefill", type=int, default=0, help="tokens already in each view")
    parser.add_argument("--baseline-cpu", type=float, default=10.0, help="CPU s for the baseline")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if pin_singletons_if_bindings_leak_them():
        print(
            f"note: PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} leaks a "
            "reference to None per void call; None, True and False were pinned for this run"
        )
    tokens = tokens_of(args.tokens)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        live = loop.run_until_complete(live_run(args.seconds, args.rate, tokens, args.prefill))
    base = baseline_run(live.chunks, "".join(tokens[: args.prefill]), args.baseline_cpu)

    per_stream = live.tokens / STREAMS
    live_us = live.update_cpu_s / live.tokens * 1e6
    base_us = base.cpu_per_token_s * 1e6
    p99, worst = percentile(live.lateness_ms, 0.99), max(live.lateness_ms, default=float("nan"))
    print(
        f"{STREAMS} streams x {args.rate:.0f} tok/s for {live.wall_s:.1f} s: "
        f"{per_stream:.0f} tokens each (+{args.prefill} prefilled) of {args.tokens}, "
        f"{base.chunks} chunks, {live.updates} view updates"
    )
    print()
    print("| measure | value | goal |")
    print("|---|---:|---|")
    print(f"| probe lateness p99 | {p99:.1f} ms | <= 16 ms |")
    print(f"| probe lateness max | {worst:.1f} ms | <= 50 ms |")
    print(f"| probe lateness median | {statistics.median(live.lateness_ms):.2f} ms | |")
    busy_p99, busy_max = percentile(live.busy_ms, 0.99), max(live.busy_ms, default=float("nan"))
    print(f"| of it main-thread CPU, p99 / max | {busy_p99:.1f} / {busy_max:.1f} ms | |")
    print(f"| incremental: update CPU per token | {live_us:.0f} us | |")
    print(f"| whole re-render per chunk: update CPU per token | {base_us:.0f} us | |")
    print(f"| ratio whole / incremental | {base_us / live_us:.1f}x | >= 10x |")
    busy = live.thread_cpu_s / live.wall_s * 100
    print(f"| main thread busy, incremental (all work, incl. paint) | {busy:.0f} % | |")
    print()
    if base.sampled < base.chunks:
        print(
            f"baseline: too slow to run in real time or in full; timed on {base.sampled} of the "
            f"{base.chunks} chunks, spread evenly over the same schedule, and normalised per "
            "token. It would need "
            f"{base_us * live.tokens / 1e6 / live.wall_s * 100:.0f} % of the main thread."
        )
    else:
        print(f"baseline: timed on all {base.chunks} chunks of the same schedule")


if __name__ == "__main__":
    main()
