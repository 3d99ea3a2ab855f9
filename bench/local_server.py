"""The embedded server against llama-cpp-python in-process, on the same prompt and settings.

Prints tokens/s ratios (server / in-process, logprobs on / off), added time to first token
(against llama-cpp-python's own chat completion in-process, and against this server's engine
called in-process, which is the floor: the server minus HTTP and its threads),
server start-to-ready time and the RSS of the server and of the app (which holds no model).
Run: .venv/bin/python -m bench.local_server [--tokens 200] [--rounds 3] [--threads auto|N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import openai

from workbench.local_server.engine import ChatEngine, Sampling, Step
from workbench.local_server.model_files import default_chat_model
from workbench.local_server.threads import (
    SPIN_ENV,
    ThreadChoice,
    choose_threads,
    shorten_spin_waits,
)
from workbench.services.local import LocalServer

PROMPT = [{"role": "user", "content": "Write a long story about a dragon who learns to cook."}]
CONTEXT = 4096


@dataclass(frozen=True)
class Sample:
    ttft_s: float
    tokens: int
    tokens_per_s: float  # generation rate after the first token


def _sample(started: float, first: float | None, ended: float, tokens: int) -> Sample:
    first = first or ended
    rate = (tokens - 1) / (ended - first) if tokens > 1 and ended > first else 0.0
    return Sample(first - started, tokens, rate)


def load_in_process(threads: ThreadChoice):
    shorten_spin_waits(os.environ, threads)  # as the server does, before llama.cpp loads
    import llama_cpp

    return llama_cpp.Llama(
        str(default_chat_model()),
        n_ctx=CONTEXT,
        n_threads=threads.generation,
        n_threads_batch=threads.batch,
        verbose=False,
    )


def engine_run(engine: ChatEngine, max_tokens: int) -> Sample:
    """The server's own engine, called in-process: render, tokenize, generate."""
    started, first, tokens = time.perf_counter(), None, 0

    def step(_step: Step) -> bool:
        nonlocal first, tokens
        first = first or time.perf_counter()
        tokens += 1
        return True

    prompt = engine.tokenize(engine.render(PROMPT))
    sampling = Sampling(temperature=0.0, seed=1, max_tokens=max_tokens)
    engine.run(prompt, sampling, threading.Event(), step)
    return _sample(started, first, time.perf_counter(), tokens)


def in_process_run(model, max_tokens: int) -> Sample:
    started, first, tokens = time.perf_counter(), None, 0
    for chunk in model.create_chat_completion(
        PROMPT, stream=True, max_tokens=max_tokens, temperature=0.0, seed=1
    ):
        if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            first = first or time.perf_counter()
            tokens += 1
    return _sample(started, first, time.perf_counter(), tokens)


async def server_run(
    client: openai.AsyncOpenAI,
    model: str,
    max_tokens: int,
    top_logprobs: int | None,
    messages: list[dict[str, str]] = PROMPT,
) -> Sample:
    extra = {"logprobs": True, "top_logprobs": top_logprobs} if top_logprobs else {}
    started, first, tokens = time.perf_counter(), None, 0
    stream = await client.chat.completions.create(
        model=model,
        messages=messages,
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        seed=1,
        **extra,
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter()
            tokens += 1
    return _sample(started, first, time.perf_counter(), tokens)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def app_peak_rss_mib() -> float:
    """Peak RSS of the app itself (window up, screenshot taken), which never loads the model."""
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        code = (
            "import resource, sys; from workbench.app.main import main; "
            f"main(['--data-dir', {data!r}, '--screenshot', {data + '/s.png'!r}]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        return int(out[-1]) / 1024


def _median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


async def main_async(max_tokens: int, rounds: int, threads: str) -> None:
    chosen = None if threads == "auto" else int(threads)
    server = LocalServer(threads=chosen)
    started = time.perf_counter()
    await server.start()
    ready_s = time.perf_counter() - started
    try:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.token, max_retries=0)
        meta = (await client.models.list()).data[0]
        model, described = meta.id, meta.model_dump()
        in_process = load_in_process(choose_threads(chosen))
        engine = ChatEngine.load(default_chat_model(), choose_threads(chosen), CONTEXT)
        local, plain, with_lp, floor = [], [], [], []
        runs = [
            (local, lambda: in_process_run(in_process, max_tokens)),
            (plain, lambda: server_run(client, model, max_tokens, None)),
            (with_lp, lambda: server_run(client, model, max_tokens, 5)),
            (floor, lambda: engine_run(engine, max_tokens)),
        ]
        # Interleaved and rotated, so drift in the machine's speed hits all alike; round 0 warms up.
        for round_number in range(rounds + 1):
            for bucket, run in runs[round_number % 4 :] + runs[: round_number % 4]:
                # llama.cpp's idle threads spin for a while after a run: let them settle, so one
                # run's spinning threads do not slow the next one's first token.
                await asyncio.sleep(0.2)
                sample = run()
                if asyncio.iscoroutine(sample):
                    sample = await sample
                if round_number:
                    bucket.append(sample)
        server_rss = rss_mib(server.pid)
        await client.close()
    finally:
        await server.stop()

    rate = {
        k: _median(v, "tokens_per_s") for k, v in {"in": local, "srv": plain, "lp": with_lp}.items()
    }
    ttft = {
        k: _median(v, "ttft_s") * 1000
        for k, v in {"in": local, "srv": plain, "floor": floor}.items()
    }
    print(
        f"threads: generation {described.get('threads')}, batch {described.get('batch_threads')}"
        f" (--threads {threads}); median of {rounds} rounds"
    )
    print(
        f"tokens per answer (median): in-process {_median(local, 'tokens'):.0f}, "
        f"server {_median(plain, 'tokens'):.0f}, with logprobs {_median(with_lp, 'tokens'):.0f}"
    )
    print(
        f"tokens/s  in-process {rate['in']:.1f} | server {rate['srv']:.1f} | "
        f"server+top_logprobs=5 {rate['lp']:.1f}"
    )
    print(f"ratio server/in-process tokens/s: {rate['srv'] / rate['in']:.3f}   (goal >= 0.9)")
    print(f"ratio logprobs on/off tokens/s:   {rate['lp'] / rate['srv']:.3f}   (goal >= 0.8)")
    print(
        f"TTFT in-process {ttft['in']:.1f} ms, server {ttft['srv']:.1f} ms, "
        f"added {ttft['srv'] - ttft['in']:.1f} ms   (goal <= 10 ms)"
    )
    print(
        f"TTFT engine in-process {ttft['floor']:.1f} ms: the server adds "
        f"{ttft['srv'] - ttft['floor']:.1f} ms (HTTP, request checks, threads, SSE)"
    )
    print(f"server start to READY: {ready_s:.2f} s; server RSS {server_rss:.0f} MiB")
    print(f"app peak RSS (window + screenshot, no model): {app_peak_rss_mib():.0f} MiB")


# ------------------------------------------------------------------ thread settings under load

# A new question each round about a page of text: the page is read anew (batch threads), then the
# answer is generated (generation threads), as after a paste into the composer.
PAGE = " ".join(
    f"Line {i}: the dragon stirred the soup, tasted it and added a pinch of salt."
    for i in range(12)
)


def _fresh_prompt(round_number: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Question {round_number}. {PAGE}\nRetell this story."}]


@contextlib.contextmanager
def busy_processes(count: int):
    """`count` processes that spin on the CPU until the block ends."""
    spin = [sys.executable, "-c", "while True: pass"]
    processes = [subprocess.Popen(spin) for _ in range(count)]
    try:
        time.sleep(0.3 if count else 0)  # let them get going
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


async def _start_with(option: str) -> LocalServer:
    threads, _, spin = option.partition("@")
    server = LocalServer(threads=None if threads == "auto" else int(threads))
    saved = os.environ.get(SPIN_ENV)
    if spin:
        os.environ[SPIN_ENV] = spin
    try:
        await server.start()
    finally:
        os.environ.pop(SPIN_ENV, None)
        if saved is not None:
            os.environ[SPIN_ENV] = saved
    return server


async def threads_under_load(
    loads: list[int], options: list[str], max_tokens: int, rounds: int
) -> None:
    servers = {option: await _start_with(option) for option in options}
    results: dict[tuple[str, int], list[Sample]] = {}
    try:
        clients = {
            o: openai.AsyncOpenAI(base_url=s.base_url, api_key=s.token, max_retries=0)
            for o, s in servers.items()
        }
        model = (await clients[options[0]].models.list()).data[0].id
        described = {}
        for option, client in clients.items():
            meta = (await client.models.list()).data[0].model_dump()
            described[option] = f"{meta.get('threads')}/{meta.get('batch_threads')}"
        asked = 0
        for load in loads:
            with busy_processes(load):
                # Interleaved, so drift in the machine's speed hits every setting alike.
                for round_number in range(rounds + 1):
                    for option, client in clients.items():
                        asked += 1
                        messages = _fresh_prompt(asked)
                        sample = await server_run(client, model, max_tokens, None, messages)
                        if round_number:  # round 0 warms up
                            results.setdefault((option, load), []).append(sample)
        for client in clients.values():
            await client.close()
    finally:
        for server in servers.values():
            await server.stop()

    print(f"cores {os.cpu_count()}; {max_tokens} tokens per answer, median of {rounds} rounds")
    print("setting: --threads value (@GOMP_SPINCOUNT), then generation/batch threads it became")
    header = "".join(f" | load {n}: tok/s  TTFT ms" for n in loads)
    print(f"{'setting':<20}{header}")
    for option in options:
        row = "".join(
            f" | {_median(results[option, n], 'tokens_per_s'):13.1f} "
            f"{_median(results[option, n], 'ttft_s') * 1000:8.0f}"
            for n in loads
        )
        print(f"{option + ' (' + described[option] + ')':<20}{row}")
    base = options[-1]
    print(f"tokens/s ratio against {base!r} at the same load (higher is better):")
    rate = {key: _median(samples, "tokens_per_s") for key, samples in results.items()}
    for option in options[:-1]:
        ratios = "  ".join(f"load {n}: {rate[option, n] / rate[base, n]:.2f}" for n in loads)
        print(f"  {option:<12} {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--load",
        help="compare thread settings with this many busy processes beside the server, "
        "comma-separated (e.g. 0,1,2)",
    )
    parser.add_argument(
        "--threads",
        help="the server's --threads (default auto; in-process uses the same); with --load, the "
        "settings to compare, comma-separated, the last the baseline of the ratios "
        "(default 1,2,auto,2@300000)",
    )
    args = parser.parse_args()
    if args.load is not None:
        loads = [int(n) for n in args.load.split(",")]
        given = args.threads or "1,2,auto,2@300000"
        options = [o.strip() for o in given.split(",") if o.strip()]
        asyncio.run(threads_under_load(loads, options, args.tokens, args.rounds))
    else:
        asyncio.run(main_async(args.tokens, args.rounds, args.threads or "auto"))


if __name__ == "__main__":
    main()
