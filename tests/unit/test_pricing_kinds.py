"""Runs of every kind are priced from genai-prices' data: audio, images, characters, tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.core.budget import estimate_request
from workbench.core.pricing import FREE, PRICED, UNKNOWN, price_usage
from workbench.core.runs import AudioPart, RunKind, RunParams, RunRequest, TextPart, Usage

AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_transcription_minutes_are_priced_per_second_of_audio() -> None:
    one_minute = price_usage("whisper-1", "openai", Usage(audio_seconds=60), at=AT)
    two_minutes = price_usage("whisper-1", "openai", Usage(audio_seconds=120), at=AT)
    assert one_minute.status == PRICED and one_minute.usd is not None
    assert one_minute.usd > 0
    assert two_minutes.usd == pytest.approx(2 * one_minute.usd)


def test_speech_is_priced_per_input_character() -> None:
    short = price_usage("tts-1", "openai", Usage(input_characters=1_000), at=AT)
    long = price_usage("tts-1", "openai", Usage(input_characters=4_000), at=AT)
    assert short.status == PRICED and short.usd is not None and long.usd is not None
    assert long.usd == pytest.approx(4 * short.usd)


def test_image_output_tokens_cost_more_than_text_ones() -> None:
    text = price_usage("gpt-image-1", "openai", Usage(prompt_tokens=50, completion_tokens=0), at=AT)
    image = price_usage(
        "gpt-image-1",
        "openai",
        Usage(prompt_tokens=50, completion_tokens=4160, output_image_tokens=4160),
        at=AT,
    )
    assert image.status == PRICED and image.usd is not None and text.usd is not None
    assert image.usd > text.usd


def test_local_runs_of_any_kind_are_free_and_unknown_models_unknown() -> None:
    assert price_usage("whisper-1", "local", Usage(audio_seconds=30)).status == FREE
    assert price_usage("my-whisper", "custom", Usage(audio_seconds=30)).status == UNKNOWN


def test_estimates_before_a_run_say_unknown_where_the_output_decides_the_price() -> None:
    audio = (AudioPart(b"RIFF", "wav"),)
    transcription = RunRequest(
        RunKind.TRANSCRIPTION, "e", RunParams(model="whisper-1"), inputs=audio
    )
    assert estimate_request(transcription, "openai", "", 0).price.status == UNKNOWN
    assert estimate_request(transcription, "local", "", 0).price.status == FREE
    speech = RunRequest(
        RunKind.SPEECH, "e", RunParams(model="tts-1"), inputs=(TextPart("x" * 2_000),)
    )
    priced = estimate_request(speech, "openai", "", 0)
    assert priced.price.status == PRICED and priced.price.usd is not None
    assert priced.price.usd > 0
    embeddings = RunRequest(
        RunKind.EMBEDDINGS,
        "e",
        RunParams(model="text-embedding-3-small"),
        inputs=(TextPart("hello"),),
    )
    assert estimate_request(embeddings, "openai", "", 1_000).price.status == PRICED


def test_ollama_or_lm_studio_elsewhere_is_not_called_free() -> None:
    usage = Usage(1000, 1000)
    for url in ("http://127.0.0.1:11434/v1", "http://localhost:1234/v1", None):
        assert price_usage("llama3.2", "ollama", usage, url).status == FREE
    for url in ("https://ollama.com/v1", "http://gpu-box.lan:11434/v1"):
        assert price_usage("llama3.2", "ollama", usage, url).status == UNKNOWN
        assert price_usage("some-model", "lmstudio", usage, url).label == "unknown price"
