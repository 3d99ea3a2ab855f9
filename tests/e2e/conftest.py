"""The real embedded model server, started once per test session as the app would start it."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

READY_TIMEOUT_S = 120
SENTENCE = "The quick brown fox jumps over the lazy dog"


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


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SENTENCE spoken by espeak-ng, as a WAV file: synthesised here, so nothing binary lives in
    the repository."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (the install script installs it with apt-get)")
    path = tmp_path_factory.mktemp("speech") / "fox.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, timeout=60)
    return path


@pytest.fixture
def local_chat(ctx, qtbot):
    """A shown chat on the built-in model (the default endpoint, no key), greedy and short:
    `local_chat(max_tokens)`."""
    from workbench.app.panels import build_chat

    def make(max_tokens: int):
        chat = build_chat(ctx)
        qtbot.addWidget(chat)
        chat.resize(1000, 700)
        chat.show()
        chat.params.temperature.setValue(0)
        chat.params.max_tokens.setValue(max_tokens)
        return chat

    return make
