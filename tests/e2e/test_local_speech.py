"""Text to speech on the real built-in server: eSpeak NG speaks, the server's Whisper listens."""

from __future__ import annotations

import io
import re
import threading
import time
import wave
from typing import Any

import av
import numpy as np
import openai
import pytest

from tests.e2e.conftest import SENTENCE, RunningServer
from tests.support.openapi import assert_valid
from workbench.local_server.audio.encoding import available_formats

pytestmark = pytest.mark.timeout(120)

OPENAI_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
OPENAI_VOICES = (
    *("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx"),
    *("nova", "sage", "shimmer", "verse", "marin", "cedar"),
)


def _say(server: RunningServer, **overrides: object) -> Any:
    """The SDK's HTTP response (httpx's or httpx2's, by SDK version)."""
    request: dict[str, object] = {"model": "tts-1", "voice": "alloy", "input": SENTENCE}
    request.update(overrides)
    raw = server.client().audio.speech.with_raw_response.create(**request)  # type: ignore[arg-type]
    return raw.http_response


def _wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as clip:
        assert clip.getnchannels() == 1 and clip.getsampwidth() == 2
        frames = clip.readframes(clip.getnframes())
        return np.frombuffer(frames, dtype="<i2"), clip.getframerate()


def _seconds(data: bytes) -> float:
    samples, rate = _wav(data)
    return len(samples) / rate


def _decoded_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = 0
        rate = 0
        for frame in container.decode(stream):
            samples += frame.samples
            rate = frame.sample_rate
    assert rate > 0
    return samples / rate


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _word_edits(a: list[str], b: list[str]) -> int:
    """Word-level Levenshtein distance: substitutions, insertions and deletions."""
    row = list(range(len(b) + 1))
    for i, word in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def test_the_sdk_gets_a_wav_of_the_sentence(local_server: RunningServer) -> None:
    started = time.monotonic()
    spoken = local_server.client().audio.speech.create(
        model="tts-1", voice="alloy", input=SENTENCE, response_format="wav"
    )
    elapsed = time.monotonic() - started
    samples, rate = _wav(spoken.content)
    assert rate == 24_000  # as OpenAI's speech
    assert 1.5 < len(samples) / rate < 5.0
    assert np.abs(samples.astype(np.int32)).max() > 3000  # speech, not silence
    print(f"spoke {len(samples) / rate:.2f} s of audio in {elapsed:.2f} s")


def test_whisper_on_the_same_server_hears_the_words(local_server: RunningServer) -> None:
    client = local_server.client()
    spoken = client.audio.speech.create(
        model="tts-1", voice="alloy", input=SENTENCE, response_format="wav"
    )
    # The prompt keeps Whisper tiny on its greedy pass, as in test_local_audio.py: its sampled
    # fallback makes up words, and this test is about what was spoken.
    heard = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", spoken.content, "audio/wav"),
        prompt="Foxes and dogs.",
    )
    assert _word_edits(_words(SENTENCE), _words(heard.text)) <= 1, heard.text


def test_every_format_decodes_to_the_same_length(local_server: RunningServer) -> None:
    makeable = available_formats()
    assert {"wav", "pcm"} <= set(makeable)
    reference = _seconds(_say(local_server, response_format="wav").content)
    for response_format in OPENAI_FORMATS:
        if response_format not in makeable:
            with pytest.raises(openai.BadRequestError) as refused:
                _say(local_server, response_format=response_format)
            assert refused.value.param == "response_format"
            assert "wav, pcm" in refused.value.message
            continue
        response = _say(local_server, response_format=response_format)
        assert response.headers["content-type"] == CONTENT_TYPES[response_format]
        if response_format == "pcm":  # raw 24 kHz 16-bit mono, no header
            seconds = len(response.content) / 2 / 24_000
        else:
            seconds = _decoded_seconds(response.content)
        # Lossy codecs pad a frame or two at the start and end.
        assert abs(seconds - reference) < 0.15, (response_format, seconds, reference)


def test_the_voices_sound_different(local_server: RunningServer) -> None:
    clips = {
        voice: _say(local_server, voice=voice, response_format="pcm").content
        for voice in OPENAI_VOICES
    }
    assert all(len(clip) > 24_000 for clip in clips.values())  # each over half a second
    assert len(set(clips.values())) == len(OPENAI_VOICES)
    # A deep male voice and a female one: the female one is pitched far higher.
    onyx, shimmer = (_pitch(clips[voice]) for voice in ("onyx", "shimmer"))
    assert 60 < onyx < 140 and shimmer > 1.5 * onyx, (onyx, shimmer)


def _pitch(pcm: bytes, rate: int = 24_000) -> float:
    """Median fundamental frequency (Hz) over the loud 40 ms frames, by autocorrelation."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    size, shortest, longest = 960, rate // 400, rate // 60
    found = []
    for start in range(0, len(samples) - size, size // 2):
        frame = samples[start : start + size] - samples[start : start + size].mean()
        if np.sqrt(np.mean(frame**2)) < 1000:
            continue
        correlation = np.correlate(frame, frame, "full")[size - 1 :]
        found.append(rate / (shortest + int(np.argmax(correlation[shortest:longest]))))
    return float(np.median(found))


def test_speed_changes_the_length(local_server: RunningServer) -> None:
    fast = _seconds(_say(local_server, speed=2.0, response_format="wav").content)
    normal = _seconds(_say(local_server, response_format="wav").content)
    slow = _seconds(_say(local_server, speed=0.5, response_format="wav").content)
    slowest = _seconds(_say(local_server, speed=0.25, response_format="wav").content)
    assert fast < 0.6 * normal < 0.6 * slow, (fast, normal, slow)
    assert slowest > 1.5 * slow, (slowest, slow)


def test_speech_is_a_listed_model_and_any_tts_name_works(local_server: RunningServer) -> None:
    listed = [m.id for m in local_server.client().models.list().data]
    assert "espeak-ng" in listed
    for model in ("espeak-ng", "gpt-4o-mini-tts"):
        response = _say(local_server, model=model, response_format="wav", instructions="Calmly.")
        assert _seconds(response.content) > 1.0


@pytest.mark.parametrize(
    ("overrides", "param", "says"),
    [
        ({"input": ""}, "input", "empty"),
        ({"input": "a" * 4097}, "input", "4096"),
        ({"voice": "bogus"}, "voice", "alloy, ash, ballad"),
        ({"speed": 5}, "speed", "0.25"),
        ({"speed": 0.1}, "speed", "0.25"),
        ({"response_format": "ogg"}, "response_format", "wav, pcm"),
        ({"stream_format": "sse"}, "stream_format", "not supported"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(
    local_server: RunningServer, overrides: dict[str, object], param: str, says: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _say(local_server, **overrides)
    assert_valid("ErrorResponse", caught.value.response.json())
    assert caught.value.param == param
    assert says in caught.value.message


def test_an_unknown_model_is_a_404(local_server: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        _say(local_server, model="gpt-9-tts")
    assert_valid("ErrorResponse", caught.value.response.json())
    assert caught.value.code == "model_not_found"


def test_a_wrong_token_is_a_401(local_server: RunningServer) -> None:
    client = openai.OpenAI(base_url=local_server.base_url, api_key="wrong-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.audio.speech.create(model="tts-1", voice="alloy", input=SENTENCE)


def test_a_long_synthesis_does_not_hold_up_other_requests(local_server: RunningServer) -> None:
    long_text = (SENTENCE + ". ") * (4096 // (len(SENTENCE) + 2))
    done: dict[str, float] = {}

    def speak_long() -> None:
        started = time.monotonic()
        _say(local_server, input=long_text, response_format="mp3")
        done["speech"] = time.monotonic() - started

    worker = threading.Thread(target=speak_long)
    worker.start()
    time.sleep(0.3)  # the synthesis is under way
    client = local_server.client()
    waits = []
    for _ in range(3):
        started = time.monotonic()
        client.models.list()
        waits.append(time.monotonic() - started)
    listed_while_busy = "speech" not in done
    worker.join(timeout=60)
    print(f"long speech took {done.get('speech', -1):.2f} s; /v1/models answered in {waits}")
    assert listed_while_busy, done  # otherwise the test proved nothing
    assert max(waits) < 0.5, waits
