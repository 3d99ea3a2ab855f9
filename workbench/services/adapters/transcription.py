"""Speech to text: `audio.transcriptions` (and `audio.translations`, to English) from one AudioPart.

The stored body names the audio (its file name and size) instead of carrying it; `send` adds the
bytes. verbose_json is asked for because it says how long the audio was, which is what
per-minute models (whisper-1) are priced by.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint
from workbench.core.runs import (
    AudioPart,
    ResponseOpened,
    RunFinished,
    RunKind,
    RunRequest,
    TextDelta,
    Usage,
    UsageReported,
)
from workbench.core.transcripts import Transcript, TranscriptReceived, from_verbose_json
from workbench.services.adapters.base import Emit
from workbench.services.adapters.failures import reported_failures

if TYPE_CHECKING:
    import openai

# Knobs the API takes beside the model and the file; anything else in `options` is ignored.
_OPTIONS = ("language", "prompt", "response_format")


class Transcription:
    def __init__(self, kind: RunKind = RunKind.TRANSCRIPTION) -> None:
        self.kind = kind

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        audio = audio_part(request)
        body: dict[str, Any] = {
            "model": request.model,
            "file": f"<{file_name(audio)}: {len(audio.data):,} bytes of {audio.format} audio>",
            "response_format": "verbose_json",
        }
        if request.params.temperature is not None:
            body["temperature"] = request.params.temperature
        body.update({k: v for k, v in request.options.items() if k in _OPTIONS and v})
        if self.kind is RunKind.TRANSLATION:
            body.pop("language", None)  # translations always come out in English
        elif body.get("response_format") == "verbose_json":
            # Times for every word as well as every segment (translations take neither).
            body["timestamp_granularities"] = ["word", "segment"]
        return body

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        audio = audio_part(request)
        arguments = {k: v for k, v in body.items() if k != "file"}
        resource = (
            client.audio.translations
            if self.kind is RunKind.TRANSLATION
            else client.audio.transcriptions
        )
        with reported_failures(client, emit):
            raw = await resource.with_raw_response.create(
                file=(file_name(audio), audio.data), **arguments
            )
            headers = dict(raw.headers.items())
            emit(ResponseOpened(headers, headers.get("x-request-id")))
            body_text = raw.http_response.text
            answer = _answer(body_text, str(body.get("response_format", "")))
            transcript = from_verbose_json(answer) if isinstance(answer, dict) else None
            text = transcript.text if transcript is not None else body_text
            if text:
                emit(TextDelta(text))
            # Not yet one of core.runs.RunEvent: the pipeline hands it on to the listener as is.
            received = TranscriptReceived(transcript or Transcript(text), body_text)
            emit(received)
            emit(UsageReported(transcription_usage(answer)))
            emit(RunFinished("stop", request.model))


def _answer(body_text: str, response_format: str) -> object:
    """JSON for json and verbose_json; text, srt and vtt come back as the file itself."""
    if response_format in ("text", "srt", "vtt"):
        return body_text
    try:
        return json.loads(body_text)
    except ValueError:
        return body_text


def audio_part(request: RunRequest) -> AudioPart:
    audio = next((p for p in request.inputs if isinstance(p, AudioPart)), None)
    if audio is None:
        raise ValueError(f"A {request.kind} request needs an audio part.")
    return audio


def file_name(audio: AudioPart) -> str:
    return audio.filename or f"audio.{audio.format}"


def transcription_usage(answer: object) -> Usage:
    """The API reports tokens (gpt-4o-transcribe) or seconds (whisper-1); verbose_json always
    gives the audio's duration."""
    if not isinstance(answer, dict):
        return Usage()
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    seconds = float(usage.get("seconds") or answer.get("duration") or 0.0)
    details = usage.get("input_token_details") or {}
    return Usage(
        prompt_tokens=int(usage.get("input_tokens") or 0),
        completion_tokens=int(usage.get("output_tokens") or 0),
        input_audio_tokens=int(details.get("audio_tokens") or 0),
        audio_seconds=seconds,
    )
