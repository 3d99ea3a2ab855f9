"""The embedded server against llama-cpp-python in-process, on the same prompt and settings.

Prints tokens/s ratios (server / in-process, logprobs on / off), added time to first token,
server start-to-ready time and the RSS of the server and of the app (which holds no model).
Run: .venv/bin/python -m bench.local_server [--tokens 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import openai

from workbench.local_server.model_files import default_chat_model
from workbench.services.local import LocalServer

PROMPT = [{"role": "user", "content": "Write a long story about a dragon who learns to cook."}]
THREADS = 2
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


def load_in_process():
    import llama_cpp

    return llama_cpp.Llama(
        str(default_chat_model()), n_ctx=CONTEXT, n_threads=THREADS, verbose=False
    )


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
    client: openai.AsyncOpenAI, model: str, max_tokens: int, top_logprobs: int | None
) -> Sample:
    extra = {"logprobs": True, "top_logprobs": top_logprobs} if top_logprobs else {}
    started, first, tokens = time.perf_counter(), None, 0
    stream = await client.chat.completions.create(
        model=model,
        messages=PROMPT,
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


async def main_async(max_tokens: int, rounds: int) -> None:
    server = LocalServer()
    started = time.perf_counter()
    await server.start()
    ready_s = time.perf_counter() - started
    try:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.token, max_retries=0)
        model = (await client.models.list()).data[0].id
        in_process = load_in_process()
        local, plain, with_lp = [], [], []
        # Interleaved, so drift in the machine's speed hits all three alike; round 0 warms up.
        for round_number in range(rounds + 1):
            samples = (
                in_process_run(in_process, max_tokens),
                await server_run(client, model, max_tokens, None),
                await server_run(client, model, max_tokens, 5),
            )
            if round_number:
                for bucket, sample in zip((local, plain, with_lp), samples, strict=True):
                    bucket.append(sample)
        server_rss = rss_mib(server.pid)
        await client.close()
    finally:
        await server.stop()

    rate = {
        k: _median(v, "tokens_per_s") for k, v in {"in": local, "srv": plain, "lp": with_lp}.items()
    }
    ttft = {k: _median(v, "ttft_s") * 1000 for k, v in {"in": local, "srv": plain}.items()}
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
    print(f"server start to READY: {ready_s:.2f} s; server RSS {server_rss:.0f} MiB")
    print(f"app peak RSS (window + screenshot, no model): {app_peak_rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.tokens, args.rounds))


if __name__ == "__main__":
    main()
