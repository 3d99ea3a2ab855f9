"""Speech to text on the real built-in server: espeak-ng speaks a sentence, Whisper writes it down.

The clip is synthesised at test time, so nothing binary lives in the repository.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import openai
import pytest

from tests.e2e.conftest import SENTENCE, RunningServer
from tests.support.openapi import assert_valid
from workbench.local_server.audio.formats import timestamp
from workbench.local_server.model_files import DEFAULT_WHISPER_MODEL_ID

pytestmark = pytest.mark.timeout(300)

SRT_TIME = r"\d{2}:\d{2}:\d{2},\d{3}"
VTT_TIME = r"\d{2}:\d{2}:\d{2}\.\d{3}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _heard(text: str) -> int:
    """How many of SENTENCE's words appear in `text` (tiny.en often says "jump" for "jumps")."""
    expected, got = Counter(_words(SENTENCE)), Counter(_words(text))
    return sum((expected & got).values())


def test_the_sdk_transcribes_spoken_english(local_server: RunningServer, speech: Path) -> None:
    client = local_server.client()
    with speech.open("rb") as audio:
        client.audio.transcriptions.create(model="whisper-1", file=audio)  # loads Whisper once
    started = time.monotonic()
    with speech.open("rb") as audio:
        raw = client.audio.transcriptions.with_raw_response.create(model="whisper-1", file=audio)
    elapsed = time.monotonic() - started
    body = raw.http_response.json()
    assert_valid("CreateTranscriptionResponseJson", body)
    assert _heard(body["text"]) >= 7, body["text"]
    print(f"transcribed a {body['usage']['seconds']:.2f} s clip in {elapsed:.2f} s")
    assert elapsed < 30


def test_the_default_model_id_also_works(local_server: RunningServer, speech: Path) -> None:
    with speech.open("rb") as audio:
        result = local_server.client().audio.transcriptions.create(
            model=DEFAULT_WHISPER_MODEL_ID, file=audio, language="en", prompt="Foxes and dogs."
        )
    assert _heard(result.text) >= 7, result.text


def test_compressed_formats_decode(
    local_server: RunningServer, speech: Path, tmp_path: Path
) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (the install script installs it with apt-get)")
    flac = tmp_path / "fox.flac"
    subprocess.run(["sox", str(speech), "-r", "16000", str(flac)], check=True, timeout=60)
    with flac.open("rb") as audio:
        # The prompt keeps Whisper tiny on its greedy pass: when that pass fails its checks it
        # samples (OpenAI's temperature-0 fallback), and a sampled "groundhog stump" failed
        # one CI run. This test is about the FLAC decoding, not the sampling.
        result = local_server.client().audio.transcriptions.create(
            model="whisper-1", file=audio, prompt="Foxes and dogs."
        )
    assert _heard(result.text) >= 7, result.text


def test_text_srt_and_vtt_formats(local_server: RunningServer, speech: Path) -> None:
    client = local_server.client()

    def ask(response_format: str) -> str:
        with speech.open("rb") as audio:
            text = client.audio.transcriptions.create(
                model="whisper-1",
                file=audio,
                response_format=response_format,  # type: ignore[call-overload]
            )
        assert isinstance(text, str)
        return text

    plain = ask("text")
    assert plain.endswith("\n") and _heard(plain) >= 7, plain

    srt = ask("srt")
    cue = re.match(rf"1\n({SRT_TIME}) --> ({SRT_TIME})\n(.+)\n\n", srt)
    assert cue, srt
    assert cue.group(1) == "00:00:00,000" and cue.group(1) < cue.group(2)
    assert _heard(srt) >= 7

    vtt = ask("vtt")
    assert vtt.startswith("WEBVTT\n\n"), vtt
    assert re.search(rf"^{VTT_TIME} --> {VTT_TIME}\n.+\n", vtt, re.MULTILINE), vtt
    assert _heard(vtt) >= 7


def test_verbose_json_with_word_and_segment_timestamps(
    local_server: RunningServer, speech: Path
) -> None:
    with speech.open("rb") as audio:
        raw = local_server.client().audio.transcriptions.with_raw_response.create(
            model="whisper-1",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    body = raw.http_response.json()
    assert_valid("CreateTranscriptionResponseVerboseJson", body)
    assert body["task"] == "transcribe" and body["language"] == "english"
    assert 2.0 < body["duration"] < 4.0
    assert _heard(body["text"]) >= 7
    segments = body["segments"]
    assert [s["id"] for s in segments] == list(range(len(segments)))
    assert all(0 <= s["start"] < s["end"] <= body["duration"] + 0.5 for s in segments)
    words = body["words"]
    assert _heard(" ".join(w["word"] for w in words)) >= 7
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["start"] <= w["end"] for w in words)

    parsed = raw.parse()  # the SDK's own typed object reads the same body
    assert parsed.words is not None and len(parsed.words) == len(words)


def test_only_word_timestamps_leaves_out_segments(
    local_server: RunningServer, speech: Path
) -> None:
    with speech.open("rb") as audio:
        result = local_server.client().audio.transcriptions.create(
            model="whisper-1",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word"],
        )
    assert result.words and not result.segments


# The SDK marks the translations endpoint deprecated; the server still serves it, as OpenAI does.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_translating_english_speech_gives_english(
    local_server: RunningServer, speech: Path
) -> None:
    with speech.open("rb") as audio:
        raw = local_server.client().audio.translations.with_raw_response.create(
            model="whisper-1", file=audio, response_format="verbose_json"
        )
    body = raw.http_response.json()
    assert_valid("CreateTranslationResponseVerboseJson", body)
    assert body["task"] == "translate" and body["language"] == "english"
    assert _heard(body["text"]) >= 7


def test_other_languages_are_refused_honestly(local_server: RunningServer, speech: Path) -> None:
    with speech.open("rb") as audio, pytest.raises(openai.BadRequestError) as caught:
        local_server.client().audio.transcriptions.create(
            model="whisper-1", file=audio, language="fr"
        )
    assert caught.value.param == "language"
    assert "only understands English" in caught.value.message


def test_a_file_that_is_not_audio_is_a_400_naming_file(
    local_server: RunningServer, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("This is a text file, not a recording.\n")
    with notes.open("rb") as upload, pytest.raises(openai.BadRequestError) as caught:
        local_server.client().audio.transcriptions.create(model="whisper-1", file=upload)
    assert caught.value.param == "file"
    assert "could not be decoded as audio" in caught.value.message

    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with empty.open("rb") as upload, pytest.raises(openai.BadRequestError) as caught:
        local_server.client().audio.transcriptions.create(model="whisper-1", file=upload)
    assert caught.value.param == "file"


def test_unknown_model_is_a_404(local_server: RunningServer, speech: Path) -> None:
    with speech.open("rb") as audio, pytest.raises(openai.NotFoundError) as caught:
        local_server.client().audio.transcriptions.create(model="gpt-4o-transcribe", file=audio)
    assert caught.value.code == "model_not_found"


def test_concurrent_requests_take_turns(local_server: RunningServer, speech: Path) -> None:
    data = speech.read_bytes()

    async def both() -> list[str]:
        client = local_server.async_client()
        try:
            results = await asyncio.gather(
                *(
                    client.audio.transcriptions.create(model="whisper-1", file=("fox.wav", data))
                    for _ in range(2)
                )
            )
        finally:
            await client.close()
        return [r.text for r in results]

    texts = asyncio.run(both())
    assert all(_heard(text) >= 7 for text in texts), texts


def test_multipart_upload_keeps_binary_content_exactly(local_server: RunningServer) -> None:
    # Bytes that look like line ends and near-boundaries must reach the decoder untouched: a
    # corrupted WAV would fail to decode, a text file with them is refused as not audio.
    payload = b"\r\n--not-it\r\n\x00\xff--bound\r\n\r\n\n"
    with pytest.raises(openai.BadRequestError) as refused:
        local_server.client().audio.transcriptions.create(
            model="whisper-1", file=("a b.wav", payload, "audio/wav")
        )
    assert refused.value.body["param"] == "file"
    assert "a b.wav" in refused.value.body["message"]


def test_subtitle_timestamps() -> None:
    assert timestamp(0, ",") == "00:00:00,000"
    assert timestamp(3661.2345, ",") == "01:01:01,234"
    assert timestamp(59.9996, ".") == "00:01:00.000"
