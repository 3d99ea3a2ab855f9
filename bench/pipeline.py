"""The app's answer pipeline against the raw `openai` SDK, on the same loopback stream.

A scripted OpenAI-compatible server runs as its own process (so it never competes with the
measuring process for the GIL) and streams the same answer to both sides: `--tokens` chunks of
markdown, `--delay` seconds before each one, so the stream is paced like a network one.

- baseline: `openai.AsyncOpenAI().chat.completions.create(stream=True)`, iterating the chunks.
  TTFT is the time to the first content delta, total the time to the end of the iteration.
- app: what the chat does on Send, minus the widgets: the user message and the assistant
  message ("streaming") committed to a real Store, then `Run(...).execute(...)` (the runner,
  checkpoints every 0.2 s, the final writes). TTFT is the time from the first store write to the
  first TextDelta reaching `on_event`, total the time to the end of `execute`.
- the same two again on a qasync loop, the app side feeding every delta to a real MarkdownView
  in a shown (offscreen) window and calling `finish()` at the end, as the chat's cards do.

Each side has one client, created once and reused (as the app's Connector does); round 0 warms
up and is dropped; rounds alternate which side goes first. Medians over the rounds. With two or
more CPUs the server gets one to itself (see `split_cpus`), so that it keeps its pace whichever
side is reading.
Run: .venv/bin/python -m bench.pipeline [--rounds 15] [--tokens 500] [--delay 0.002] [--no-qt]
     [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import openai

from tests.support.scripted_server import cli_command
from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.runs import ChatTurn, RunEvent, RunKind, RunParams, RunRequest, TextDelta
from workbench.core.sessions import MessageStatus, Role
from workbench.services.adapters.chat_completion import chat_body
from workbench.services.clients import make_client
from workbench.services.run_pipeline import Run, RunOrigin
from workbench.services.store import Store

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-bench-pipeline"
MODEL = "gpt-4o"
QUESTION = "Explain how to set up the project, with examples."
ENDPOINT = Endpoint("bench", "bench", EndpointKind.CUSTOM, "http://127.0.0.1/v1", MODEL)
REQUEST = RunRequest(
    RunKind.CHAT_COMPLETION, "bench", RunParams(model=MODEL), (ChatTurn.of("user", QUESTION),)
)
TTFT_GOAL_MS = 5.0
TOTAL_GOAL = 1.05


@dataclass(frozen=True, slots=True)
class Sample:
    ttft_s: float
    total_s: float
    deltas: int
    chars: int
    writes_s: float = 0.0  # app side: store writes before the request goes out


# --- the stream --------------------------------------------------------------------------------
def answer_text(tokens: int) -> str:
    """`tokens` whitespace-led pieces of realistic markdown; the scripted server sends one per
    chunk (it splits on whitespace, keeping it attached to the next word)."""
    from bench.render import SAMPLE

    pieces = re.findall(r"\s*\S+", "\n\n" + SAMPLE.strip())  # repeats start a new block
    return "".join((pieces * (tokens // len(pieces) + 1))[:tokens]).lstrip()


class ServerProcess:
    """`python -m tests.support.scripted_server` as a child process, ready when it says so."""

    def __init__(self, text: str, delay: float, cpus: set[int] | None = None) -> None:
        self.cpus = cpus
        self.argv = cli_command(text=text, delay=delay, api_key=KEY, model=MODEL)
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        cpus = self.cpus
        self.proc = subprocess.Popen(
            self.argv,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"scripted server did not start: {line!r}")
        self.base_url = line.removeprefix("READY ")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the two sides -----------------------------------------------------------------------------
async def raw_round(client: openai.AsyncOpenAI, body: dict[str, Any]) -> Sample:
    started, first, deltas, chars = time.perf_counter(), None, 0, 0
    stream = await client.chat.completions.create(**body)
    async for chunk in stream:
        for choice in chunk.choices:
            if choice.delta is not None and choice.delta.content:
                first = first or time.perf_counter()
                deltas += 1
                chars += len(choice.delta.content)
    ended = time.perf_counter()
    return Sample((first or ended) - started, ended - started, deltas, chars)


class AppSide:
    """The chat's pipeline on a real Store: a growing session, one question and answer a round."""

    def __init__(self, store: Store, client: openai.AsyncOpenAI, sink: Any = None) -> None:
        self.store = store
        self.client = client
        self.sink = sink  # a MarkdownView, or None
        self.session_id = store.sessions.create("bench")
        self.leaf: int | None = None

    async def _client(self) -> openai.AsyncOpenAI:
        return self.client

    async def round(self, body: dict[str, Any]) -> Sample:
        conversation = self.store.conversation
        first: float | None = None
        deltas = chars = 0
        sink = self.sink

        def on_event(event: RunEvent) -> None:
            nonlocal first, deltas, chars
            if isinstance(event, TextDelta):
                first = first or time.perf_counter()
                deltas += 1
                chars += len(event.text)
                if sink is not None:
                    sink.append(event.text)

        started = time.perf_counter()
        # As ChatPanel.send/_answer: the question is committed before anything is sent.
        question = conversation.add(self.session_id, Role.USER, QUESTION, self.leaf)
        answer = conversation.add(
            self.session_id, Role.ASSISTANT, "", question, MessageStatus.STREAMING
        )
        # The body is built from REQUEST by the run, as the app's own runs do.
        run = Run(self.store, REQUEST, ENDPOINT, RunOrigin(self.session_id, answer), on_event)
        written = time.perf_counter()  # the run's row exists: the request can go
        record = await run.execute(self._client)
        if sink is not None:
            sink.finish()
        ended = time.perf_counter()
        if record.error is not None:
            raise RuntimeError(f"app run failed: {record.error}")
        self.leaf = answer
        if sink is not None:
            sink.set_markdown("")  # off the clock: the next answer starts in an empty card
        return Sample((first or ended) - started, ended - started, deltas, chars, written - started)


# --- rounds ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Row:
    label: str
    raw: list[Sample]
    app: list[Sample]


async def interleaved(
    rounds: int,
    raw: Callable[[], Awaitable[Sample]],
    app: Callable[[], Awaitable[Sample]],
    pause: Callable[[], Awaitable[None]],
) -> tuple[list[Sample], list[Sample]]:
    raws: list[Sample] = []
    apps: list[Sample] = []
    for number in range(rounds + 1):  # round 0 warms up: connections, imports, the tokenizer
        pair = (raw, app) if number % 2 else (app, raw)  # alternate who goes first
        results = {}
        for side in pair:
            await pause()
            results[side] = await side()
        if number:
            raws.append(results[raw])
            apps.append(results[app])
    return raws, apps


async def asyncio_row(base_url: str, body: dict[str, Any], rounds: int, data: Path) -> Row:
    store = Store.open(data / "asyncio.db")
    raw_client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY)
    endpoint = Endpoint("bench", "bench", EndpointKind.CUSTOM, base_url, MODEL)
    app = AppSide(store, make_client(endpoint, KEY))
    try:
        raws, apps = await interleaved(
            rounds, lambda: raw_round(raw_client, body), lambda: app.round(body), _settle
        )
    finally:
        await raw_client.close()
        await app.client.close()
        store.close()
    return Row("asyncio loop, no widgets", raws, apps)


async def _settle() -> None:
    await asyncio.sleep(0.05)  # the previous stream's connection winds down off the clock


def qt_row(base_url: str, body: dict[str, Any], rounds: int, data: Path) -> Row:
    import qasync
    from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

    from bench.render import pin_singletons_if_bindings_leak_them
    from workbench.ui.widgets.markdown_view import MarkdownView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    view = MarkdownView()
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.addWidget(view)
    layout.addStretch(1)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(content)
    area.resize(1000, 760)
    bar = area.verticalScrollBar()
    bar.rangeChanged.connect(lambda _low, high: bar.setValue(high))  # follow, as the chat does
    area.show()

    async def measure() -> Row:
        store = Store.open(data / "qt.db")
        raw_client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY)
        endpoint = Endpoint("bench", "bench", EndpointKind.CUSTOM, base_url, MODEL)
        side = AppSide(store, make_client(endpoint, KEY), sink=view)
        try:
            raws, apps = await interleaved(
                rounds, lambda: raw_round(raw_client, body), lambda: side.round(body), _settle
            )
        finally:
            await raw_client.close()
            await side.client.close()
            store.close()
        return Row("qasync loop, app side into a MarkdownView", raws, apps)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(measure())
    finally:
        area.close()
        asyncio.set_event_loop(None)


# --- report ------------------------------------------------------------------------------------
def med(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


def report(rows: list[Row], tokens: int, delay: float, pinning: str) -> bool:
    print(
        f"stream: {tokens} content chunks, {delay * 1000:.1f} ms before each, from a scripted "
        f"server in its own process ({pinning}); {len(rows[0].raw)} measured rounds per row "
        "(medians)"
    )
    print()
    print(
        "| loop | raw SDK TTFT | app TTFT | added TTFT | raw SDK total | app total | "
        "ratio app/raw | result |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    for row in rows:
        raw_ttft, app_ttft = med(row.raw, "ttft_s") * 1000, med(row.app, "ttft_s") * 1000
        raw_total, app_total = med(row.raw, "total_s") * 1000, med(row.app, "total_s") * 1000
        added, ratio = app_ttft - raw_ttft, app_total / raw_total
        passed = added <= TTFT_GOAL_MS and ratio <= TOTAL_GOAL
        ok = ok and passed
        print(
            f"| {row.label} | {raw_ttft:.2f} ms | {app_ttft:.2f} ms | {added:+.2f} ms | "
            f"{raw_total:.1f} ms | {app_total:.1f} ms | {ratio:.3f} | "
            f"{'PASS' if passed else 'FAIL'} |"
        )
    print()
    print(f"goals: added TTFT <= {TTFT_GOAL_MS:.0f} ms, total ratio <= {TOTAL_GOAL:.2f}")
    for row in rows:
        chars = {s.chars for s in row.raw + row.app}
        deltas = {s.deltas for s in row.raw + row.app}
        paired = statistics.median(
            (a.ttft_s - r.ttft_s) * 1000 for a, r in zip(row.app, row.raw, strict=True)
        )
        writes = med(row.app, "writes_s") * 1000
        print(
            f"{row.label}: app store writes before the request (2 messages, the run row) "
            f"{writes:.2f} ms (median, part of the app TTFT)"
        )
        print(
            f"{row.label}: deltas per answer {sorted(deltas)}, characters {sorted(chars)}; "
            f"median of per-round added TTFT {paired:+.2f} ms; app TTFT range "
            f"{min(s.ttft_s for s in row.app) * 1000:.2f}-"
            f"{max(s.ttft_s for s in row.app) * 1000:.2f} ms"
        )
    return ok


def split_cpus(pin: bool) -> tuple[set[int] | None, str]:
    """The server's pacing is relative (it waits `delay` after each write), so any time it
    waits for a CPU the measuring process holds adds up over the stream, and a side that uses
    more CPU (the Qt row) would be billed for a slower server. On its own CPU it keeps time."""
    cpus = os.sched_getaffinity(0)
    if not pin or len(cpus) < 2:
        return None, f"not pinned ({len(cpus)} CPU(s) available)"
    server = {max(cpus)}
    os.sched_setaffinity(0, cpus - server)  # before any thread starts, so all inherit it
    return server, f"server pinned to CPU {max(cpus)}, this process to {sorted(cpus - server)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.002, help="seconds before each chunk")
    parser.add_argument("--no-qt", action="store_true", help="skip the MarkdownView row")
    parser.add_argument("--no-pin", action="store_true", help="share CPUs with the server")
    args = parser.parse_args()
    server_cpus, pinning = split_cpus(not args.no_pin)

    text = answer_text(args.tokens)
    body = chat_body(REQUEST)
    rows: list[Row] = []
    with (
        ServerProcess(text, args.delay, server_cpus) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        rows.append(asyncio.run(asyncio_row(server.base_url, body, args.rounds, Path(tmp))))
        if not args.no_qt:
            rows.append(qt_row(server.base_url, body, args.rounds, Path(tmp)))
    ok = report(rows, args.tokens, args.delay, pinning)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
