"""A huge answer through the real pipeline: per-chunk cost must not grow with the answer's length.

A 2 MB and a 20 MB answer (1 KB lines) stream in 1 KB deltas, 16 KB per millisecond,
through the real `Run` (services.run_pipeline: its `_emit`, the `MessageSink` checkpoints every
0.2 s into a real Store, the final settle) into the real ChatPanel card (AnswerStreams ->
MarkdownView), on a qasync loop, in a shown offscreen window. Only the SDK call is replaced: an
adapter that emits the answer's deltas, yielding to the loop after each one.

Prints per answer: the pipeline's CPU per MB for the first and the last tenth of the answer (equal
if nothing per chunk is O(total size); the 2 MB answer is the baseline for the 20 MB one), the
checkpoints' total time and count on the UI thread (they are queued for the store's writer
thread), the settle (the final text written and indexed, checkpoints dropped: the UI thread's part,
and the time until the writer thread had done it), the panel's end-of-answer work, and the
longest UI-thread pass (wall, and the thread's CPU).
Run: .venv/bin/python -m bench.huge_answer [--profile FILE] (the longest pass's cProfile stats)
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backends.fail
import openai  # noqa: F401  # the app preloads the SDK at start; the model list needs it
import qasync
from PySide6.QtWidgets import QApplication, QMainWindow

from bench.render import pin_singletons_if_bindings_leak_them
from workbench.app.context import AppContext
from workbench.app.panels import build_chat
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.runs import RunFinished, TextDelta
from workbench.core.sessions import MessageStatus, Role
from workbench.services.paths import DataPaths
from workbench.services.store import Store

DELTA = 1024
YIELD_EVERY = 16  # deltas per socket read: 16 KB a millisecond, faster than any real stream
SIZES = (2_000_000, 20_000_000)
PASS_GOAL_MS = 50.0
PROFILE = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None


@dataclass
class Costs:
    emit_s: list[float] = field(default_factory=list)  # per delta: Run._emit and what it calls
    checkpoints_s: list[float] = field(default_factory=list)
    settle_s: float = 0.0  # on the UI thread
    settle_written_s: float = 0.0  # until the writer thread had written and indexed it
    passes_s: list[float] = field(default_factory=list)
    passes_cpu_s: list[float] = field(default_factory=list)
    end_s: float = 0.0  # from the settle to the card showing the finished answer
    total_s: float = 0.0


class ScriptedAdapter:
    """Stands in for the chat adapter's SDK call: emits `text` in DELTA pieces."""

    def __init__(self, text: str, costs: Costs) -> None:
        self.text, self.costs = text, costs

    async def send(self, _client, _request, _body, emit) -> None:  # type: ignore[no-untyped-def]
        for start in range(0, len(self.text), DELTA):
            started = time.thread_time()
            emit(TextDelta(self.text[start : start + DELTA]))
            self.costs.emit_s.append(time.thread_time() - started)
            if start // DELTA % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0.001)  # the network: Qt's loop runs between reads
        emit(RunFinished("stop", "bench-model"))


class _NoModels:
    async def list(self) -> object:
        return type("Page", (), {"data": []})()


class DummyClient:
    base_url = "http://127.0.0.1:9/v1"
    api_key = "sk-bench"
    models = _NoModels()


def answer(size: int) -> str:
    line = ("lorem ipsum dolor sit amet " * 40)[:1023] + "\n"
    return line * (size // len(line))


def stream_one(app: QApplication, ctx: AppContext, panel, text: str) -> Costs:  # type: ignore[no-untyped-def]
    store, costs = ctx.store, Costs()
    session_id = store.sessions.create("Huge answer")
    question = store.conversation.add(session_id, Role.USER, "All of it, please.", None)
    answer_id = store.conversation.add(
        session_id, Role.ASSISTANT, "", question, MessageStatus.STREAMING
    )
    panel.open_session(session_id)
    card = panel.view.cards[answer_id]
    history = [m for m in panel.path if m.id != answer_id]
    request = ctx.chat.request(panel.settings(), history, "")
    run = ctx.chat.start(
        session_id, answer_id, request, lambda e: panel.streams.on_event(answer_id, e)
    )
    run.adapter = ScriptedAdapter(text, costs)  # type: ignore[assignment]
    sink_append, sink_settle = run.sink.append_chunk, run.sink.settle  # the real sink, timed

    def timed_append(chunk: str) -> None:
        started = time.perf_counter()
        sink_append(chunk)
        costs.checkpoints_s.append(time.perf_counter() - started)

    def timed_settle(*args):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        written = sink_settle(*args)
        costs.settle_s = time.perf_counter() - started  # the UI thread's part: queueing it
        written.add_done_callback(
            lambda _f: setattr(costs, "settle_written_s", time.perf_counter() - started)
        )
        return written

    run.sink.append_chunk = timed_append  # type: ignore[method-assign]
    run.sink.settle = timed_settle  # type: ignore[method-assign]

    async def client() -> DummyClient:
        return DummyClient()

    ctx.connector.client = lambda _endpoint_id: client()  # type: ignore[method-assign]
    started = time.perf_counter()
    panel.streams.start(run, card)
    settled_at = None
    while panel.streams.busy or card.body._timer.isActive():
        profile = cProfile.Profile() if PROFILE else None
        t, c = time.perf_counter(), time.thread_time()
        if profile:
            profile.runcall(app.processEvents)
        else:
            app.processEvents()
        costs.passes_s.append(time.perf_counter() - t)
        costs.passes_cpu_s.append(time.thread_time() - c)
        if profile and costs.passes_cpu_s[-1] >= max(costs.passes_cpu_s):
            profile.dump_stats(PROFILE)  # the longest pass so far
        if settled_at is None and not panel.streams.busy:
            settled_at = time.perf_counter()
        if time.perf_counter() - started > 600:
            raise RuntimeError("the answer never finished")
    costs.total_s = time.perf_counter() - started
    costs.end_s = time.perf_counter() - (settled_at or started)
    stored = store.conversation.get(answer_id)
    assert stored is not None and stored.content == text, "the stored answer is not the text"
    assert card.body.text() == text, "the card does not hold the text"
    return costs


def per_mb(emits: list[float], part: slice) -> float:
    chosen = emits[part]
    return sum(chosen) / (len(chosen) * DELTA / 1e6) if chosen else float("nan")


def main() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    results: dict[int, Costs] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = DataPaths(Path(tmp) / "data").ensure()
        store = Store.open(paths.database)
        ctx = AppContext.build(paths, store, loop)
        endpoint = new_endpoint(EndpointKind.CUSTOM, "Bench").with_changes(
            base_url=DummyClient.base_url, default_model="gpt-4o"
        )
        ctx.endpoints.upsert(endpoint)
        ctx.endpoints.set_active(endpoint.id)
        window = QMainWindow()
        panel = build_chat(ctx)
        window.setCentralWidget(panel)
        window.resize(1280, 800)
        window.show()
        for _ in range(50):
            app.processEvents()
            time.sleep(0.01)
        gc.freeze()
        stream_one(app, ctx, panel, answer(200_000))  # warm-up: imports, first layouts
        for size in SIZES:
            results[size] = stream_one(app, ctx, panel, answer(size))
        window.close()
        app.processEvents()
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.set_event_loop(None)
        store.close()
    report(results)


def report(results: dict[int, Costs]) -> None:
    print("answers in 1 KB lines, streamed in 1 KB deltas through Run -> Store and the ChatPanel")
    print()
    print(
        "| answer | pipeline CPU per MB, first tenth | last tenth | checkpoints (count, total, "
        "max) | settle (UI thread, writer thread) | after settle | longest UI pass | its CPU | "
        "total |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    linear = short = True
    for size, c in results.items():
        tenth = max(1, len(c.emit_s) // 10)
        first, last = per_mb(c.emit_s, slice(0, tenth)), per_mb(c.emit_s, slice(-tenth, None))
        cpu = max(c.passes_cpu_s) * 1000
        linear, short = linear and last <= 2 * first, short and cpu <= PASS_GOAL_MS
        print(
            f"| {size / 1e6:.0f} MB | {first * 1000:.1f} ms | {last * 1000:.1f} ms | "
            f"{len(c.checkpoints_s)}, {sum(c.checkpoints_s) * 1000:.0f} ms, "
            f"{max(c.checkpoints_s, default=0) * 1000:.1f} ms | {c.settle_s * 1000:.1f} ms, "
            f"{c.settle_written_s * 1000:.0f} ms | "
            f"{c.end_s * 1000:.0f} ms | {max(c.passes_s) * 1000:.0f} ms | {cpu:.0f} ms | "
            f"{c.total_s:.1f} s |"
        )
    median = statistics.median(p * 1000 for c in results.values() for p in c.passes_s)
    print()
    print(f"median UI pass {median:.2f} ms")
    print(
        "per chunk, the last tenth's cost per MB within 2x of the first's (nothing quadratic): "
        + ("PASS" if linear else "FAIL")
    )
    print(f"every UI pass <= {PASS_GOAL_MS:.0f} ms of CPU: " + ("PASS" if short else "FAIL"))
    sys.exit(0 if linear and short else 1)


if __name__ == "__main__":
    main()
