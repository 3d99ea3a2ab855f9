"""POST /v1/audio/speech with eSpeak NG: OpenAI's CreateSpeechRequest, answered with audio bytes.

eSpeak cannot follow `instructions` (tone, accent): they are accepted, so that a request written
for gpt-4o-mini-tts works here, but they do not change the voice.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from workbench.local_server.audio.encoding import CONTENT_TYPES, available_formats, encode
from workbench.local_server.audio.speech import (
    MAX_INPUT_CHARS,
    MAX_SPEED,
    MIN_SPEED,
    MODEL_IDS,
    SAMPLE_RATE,
    VOICES,
    speak,
)
from workbench.local_server.body import read_json
from workbench.local_server.errors import ApiError, bad_field, unsupported
from workbench.local_server.model_files import speech_available
from workbench.local_server.state import ServerState

KNOWN_FIELDS = frozenset(
    {"model", "input", "voice", "response_format", "speed", "instructions", "stream_format"}
)
# The request is at most 4,096 characters of text plus a few short fields.
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    text: str
    voice: str
    speed: float
    response_format: str


async def handle_speech(request: Request, _state: ServerState) -> Response:
    body = await read_json(request, MAX_BODY_BYTES)
    # The first call tries each encoder (tens of milliseconds): not on the event loop.
    await asyncio.to_thread(available_formats)
    wanted = parse(body)
    # eSpeak and the encoders block: a worker thread keeps the loop free for other requests
    # (the eSpeak wrapper takes its own lock, since the library is not thread-safe).
    audio = await asyncio.to_thread(_render, wanted)
    return Response(audio, media_type=CONTENT_TYPES[wanted.response_format])


def _render(wanted: SpeechRequest) -> bytes:
    samples = speak(wanted.text, wanted.voice, wanted.speed)
    return encode(samples, SAMPLE_RATE, wanted.response_format)


def parse(body: dict[str, Any]) -> SpeechRequest:
    for key in body:
        if key not in KNOWN_FIELDS:
            raise ApiError(
                400,
                f"Unrecognized request argument supplied: {key}",
                param=key,
                code="unknown_parameter",
            )
    _check_model(body.get("model"))
    _check_instructions(body.get("instructions"))
    _check_stream_format(body.get("stream_format"))
    return SpeechRequest(
        text=_input(body.get("input")),
        voice=_voice(body.get("voice")),
        speed=_speed(body.get("speed")),
        response_format=_response_format(body.get("response_format")),
    )


def _check_model(model: Any) -> None:
    if model is None or model == "":
        raise bad_field("model", "You must provide a model parameter (e.g. `tts-1`).")
    if not isinstance(model, str):
        raise bad_field("model", f"Invalid 'model': {model!r}. Expected a string.")
    if model not in MODEL_IDS:
        raise ApiError(
            404,
            f"The model `{model}` does not exist. The built-in server speaks with "
            f"{', '.join(MODEL_IDS)}.",
            param="model",
            code="model_not_found",
        )
    if not speech_available():
        raise ApiError(
            404,
            f"The model `{model}` does not exist: no text-to-speech engine is installed "
            "(the espeakng-loader package provides one).",
            param="model",
            code="model_not_found",
        )


def _input(text: Any) -> str:
    if text is None:
        raise bad_field("input", "You must provide an input parameter: the text to speak.")
    if not isinstance(text, str):
        raise bad_field("input", f"Invalid 'input': {_short(text)}. Expected a string.")
    if not text.strip():
        raise ApiError(
            400,
            "Invalid 'input': empty string. Expected the text to speak.",
            param="input",
            code="empty_string",
        )
    if len(text) > MAX_INPUT_CHARS:
        raise ApiError(
            400,
            f"Invalid 'input': string too long. Expected a string with maximum length "
            f"{MAX_INPUT_CHARS}, but got a string with length {len(text)} instead.",
            param="input",
            code="string_above_max_length",
        )
    return text


def _voice(voice: Any) -> str:
    allowed = ", ".join(VOICES)
    if voice is None or voice == "":
        raise bad_field("voice", f"You must provide a voice parameter, one of: {allowed}.")
    if isinstance(voice, dict):
        raise bad_field(
            "voice",
            f"Custom voices ({_short(voice)}) are not supported by Workbench's built-in model "
            f"server. Supported voices: {allowed}.",
        )
    if not isinstance(voice, str) or voice not in VOICES:
        raise bad_field("voice", f"Invalid 'voice': {_short(voice)}. Supported voices: {allowed}.")
    return voice


def _speed(speed: Any) -> float:
    if speed is None:
        return 1.0
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise bad_field("speed", f"Invalid 'speed': {_short(speed)}. Expected a number.")
    if math.isnan(speed) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise bad_field(
            "speed",
            f"Invalid 'speed': {speed}. Expected a number from {MIN_SPEED} to {MAX_SPEED}.",
        )
    return float(speed)


def _response_format(value: Any) -> str:
    if value is None:
        value = "mp3"
    can_make = available_formats()
    if value in can_make:
        return str(value)
    if value in CONTENT_TYPES:
        message = f"response_format {value!r} cannot be encoded by this server's FFmpeg"
    else:
        message = f"Invalid 'response_format': {_short(value)}"
    raise bad_field("response_format", f"{message}. This server can make: {', '.join(can_make)}.")


def _check_instructions(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise bad_field("instructions", "Invalid 'instructions': expected a string.")
    if len(value) > MAX_INPUT_CHARS:
        raise bad_field(
            "instructions", f"'instructions' may be at most {MAX_INPUT_CHARS} characters."
        )


def _check_stream_format(value: Any) -> None:
    if value is None or value == "audio":
        return  # the whole clip in one body is a valid "audio" stream
    if value == "sse":
        raise unsupported("Speech as server-sent events (`stream_format: sse`)", "stream_format")
    raise bad_field(
        "stream_format", f"Invalid 'stream_format': {_short(value)}. Expected 'audio' or 'sse'."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
