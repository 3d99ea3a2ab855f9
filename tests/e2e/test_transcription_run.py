"""A second kind of request through the one run pipeline: speech to text on the built-in server.

The run is stored like a chat run (its kind, endpoint id and the URL it went to), its text is the
transcript, and its price comes from the audio's length.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import openai
import pytest

from tests.e2e.conftest import RunningServer
from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.runs import AudioPart, RunKind, RunParams, RunRequest, RunStatus
from workbench.services.run_pipeline import NoMessageSink, Run, RunOrigin
from workbench.services.store import Store

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("kind", [RunKind.TRANSCRIPTION, RunKind.TRANSLATION])
def test_speech_to_text_runs_through_the_pipeline(
    local_server: RunningServer, speech: Path, tmp_path: Path, kind: RunKind
) -> None:
    store = Store.open(tmp_path / "t.db")
    endpoint = Endpoint("local-id", "Local", EndpointKind.LOCAL, "")
    request = RunRequest(
        kind,
        endpoint.id,
        RunParams(model="whisper-1"),
        inputs=(AudioPart(speech.read_bytes(), "wav", "fox.wav"),),
    )
    session = store.sessions.create("speech")
    answers: list[str] = []

    class Sink(NoMessageSink):
        def settle(self, content, status, run_id, calls=()):  # type: ignore[no-untyped-def]
            answers.append(content)
            return super().settle(content, status, run_id, calls)

    async def client() -> openai.AsyncOpenAI:
        return local_server.async_client()

    run = Run(store, request, endpoint, RunOrigin(session, None), sink=Sink())
    record = asyncio.run(run.execute(client))

    assert record.status is RunStatus.COMPLETE, record.error
    words = set(re.findall(r"[a-z]+", answers[0].lower()))
    assert {"quick", "brown", "fox", "lazy", "dog"} <= words
    assert record.usage.audio_seconds > 1.0  # espeak's sentence lasts about 2.5 s
    assert (record.cost_usd, record.price_status) == (0.0, "free")
    stored = store.runs.get(record.run_id)
    assert stored is not None
    assert (stored.kind, stored.endpoint_id) == (kind, "local-id")
    assert stored.base_url == local_server.base_url.rstrip("/")
    sent = store.runs.request(record.run_id)
    assert sent is not None and sent["file"].startswith("<fox.wav: ")  # named, not stored
    store.close()


def test_view_code_for_a_transcription_runs_and_hears_the_same(
    local_server: RunningServer, speech: Path, tmp_path: Path
) -> None:
    """The inspector's Python for a stored transcription run, run as a user would run it."""
    import os
    import sys

    from workbench.core.request_code import python_code

    store = Store.open(tmp_path / "t.db")
    endpoint = Endpoint("local-id", "Local", EndpointKind.LOCAL, "")
    request = RunRequest(
        RunKind.TRANSCRIPTION,
        endpoint.id,
        RunParams(model="whisper-1"),
        inputs=(AudioPart(speech.read_bytes(), "wav", "fox.wav"),),
        options={"language": "en"},
    )
    run = Run(store, request, endpoint, RunOrigin(None, None), sink=NoMessageSink())

    async def client() -> openai.AsyncOpenAI:
        return local_server.async_client()

    record = asyncio.run(run.execute(client))
    body = store.runs.request(record.run_id)
    assert body is not None and body["language"] == "en"
    (tmp_path / "fox.wav").write_bytes(speech.read_bytes())
    script = tmp_path / "view_code.py"
    script.write_text(python_code(record.base_url, body, kind=record.kind), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "OPENAI_API_KEY": local_server.token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert {"quick", "fox", "dog"} <= set(re.findall(r"[a-z]+", done.stdout.lower()))
    store.close()
