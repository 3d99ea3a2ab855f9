"""A recording over the upload limit, cut at its silences into pieces that each fit."""

from __future__ import annotations

import io
import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from workbench.services.audio_files import SAMPLE_RATE, NotAudio, probe
from workbench.services.audio_split import split_file, split_samples

RATE = SAMPLE_RATE


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return path


# Tones of 1.5 s with 0.5 s of silence between them: silences at 1.5–2.0, 3.5–4.0, 5.5–6.0 …
TONES = np.concatenate([np.concatenate([tone(1.5), silence(0.5)]) for _ in range(5)])
SILENCES = [(2.0 * k + 1.5, 2.0 * k + 2.0) for k in range(5)]
LIMIT = 44 + 2 * int(2.4 * RATE)  # a WAV of at most 2.4 s


def test_cuts_land_in_the_silences_and_every_piece_fits() -> None:
    pieces = split_samples(TONES, LIMIT)
    assert len(pieces) >= 4
    assert all(len(p.data) < LIMIT for p in pieces)
    for piece in pieces[1:]:
        assert any(a <= piece.offset_s <= b for a, b in SILENCES), piece.offset_s


def test_offsets_add_up_to_the_whole_recording() -> None:
    pieces = split_samples(TONES, LIMIT)
    assert pieces[0].offset_s == 0.0
    for before, after in itertools.pairwise(pieces):
        assert after.offset_s == pytest.approx(before.offset_s + before.duration_s)
    assert sum(p.duration_s for p in pieces) == pytest.approx(len(TONES) / RATE)
    with wave.open(io.BytesIO(pieces[1].data)) as wav:  # each piece a whole WAV file
        assert (wav.getframerate(), wav.getnchannels()) == (RATE, 1)
        assert wav.getnframes() / RATE == pytest.approx(pieces[1].duration_s)


def test_without_silence_it_still_cuts_under_the_limit() -> None:
    pieces = split_samples(tone(7.0), LIMIT)
    assert all(len(p.data) < LIMIT for p in pieces)
    assert sum(p.duration_s for p in pieces) == pytest.approx(7.0)


def test_a_file_is_decoded_and_split(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tones.wav", TONES)
    assert probe(path).duration_s == pytest.approx(10.0, abs=0.05)
    pieces = split_file(path, LIMIT)
    assert all(len(p.data) < LIMIT for p in pieces)
    assert sum(p.duration_s for p in pieces) == pytest.approx(10.0, abs=0.05)


def test_text_and_corrupt_files_are_not_audio(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(NotAudio, match="not an audio file"):
        probe(notes)
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"this is no mp3 at all" * 20)
    with pytest.raises(NotAudio, match="could not be decoded"):
        probe(broken)
