"""Text to speech: `audio.speech` from one text part; the audio comes back whole, as a file.

The stored body is the request as sent (the text is in it, as the API takes it); the audio
is handed on as an AudioReceived event, and kept by whoever asked (the chat's read-aloud cache).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint
from workbench.core.runs import (
    AudioReceived,
    ResponseOpened,
    RunFinished,
    RunKind,
    RunRequest,
    TextPart,
    Usage,
    UsageReported,
)
from workbench.services.adapters.base import Emit
from workbench.services.adapters.failures import reported_failures

if TYPE_CHECKING:
    import openai

MAX_INPUT = 4096  # characters the API takes in one request
_OPTIONS = ("voice", "speed", "response_format", "instructions")


class Speech:
    kind = RunKind.SPEECH

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "input": speech_text(request),
            "voice": "alloy",
            "response_format": "mp3",
        }
        body.update({k: v for k, v in request.options.items() if k in _OPTIONS and v})
        return body

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        with reported_failures(client, emit):
            raw = await client.audio.speech.with_raw_response.create(**body)
            headers = dict(raw.headers.items())
            emit(ResponseOpened(headers, headers.get("x-request-id")))
            emit(AudioReceived(raw.http_response.content, str(body["response_format"])))
            emit(UsageReported(Usage(input_characters=len(body["input"]))))
            emit(RunFinished("stop", request.model))


def speech_text(request: RunRequest) -> str:
    text = "".join(p.text for p in request.inputs if isinstance(p, TextPart))
    if not text.strip():
        raise ValueError("A speech request needs text.")
    return text
