"""The real embedded model server, started once per test session as the app would start it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import openai
import pytest

READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    token: str
    process: subprocess.Popen[str]

    def client(self, **kwargs: object) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=self.token, max_retries=0, **kwargs)

    def async_client(self, **kwargs: object) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self.token, max_retries=0, **kwargs
        )


def start_local_server(*extra: str) -> RunningServer:
    token = secrets.token_urlsafe(24)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench.local_server",
            "--port",
            "0",
            "--parent-pid",
            str(os.getpid()),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env={**os.environ, "WORKBENCH_LOCAL_TOKEN": token},
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY ") or time.monotonic() > deadline:
        process.kill()
        raise RuntimeError(f"local server did not become ready: {line!r}")
    return RunningServer(line.split(" ", 1)[1].strip(), token, process)


def stop_local_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def local_server() -> Iterator[RunningServer]:
    server = start_local_server()
    yield server
    stop_local_server(server)
