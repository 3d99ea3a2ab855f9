"""A recording too big for one upload, cut at its quiet moments into pieces that each fit.

The audio is decoded to mono 16 kHz (what Whisper hears anyway) and each piece written as a
16-bit WAV, whose size is exact, so every piece is under the limit by construction. A cut lands
on the quietest stretch (lowest RMS energy over 20 ms) in the last part of each piece's allowed
length, so words are not cut in half where a pause exists.
"""

from __future__ import annotations

import io
import itertools
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.services.audio_files import SAMPLE_RATE, decode_mono

WAV_HEADER_BYTES = 44
FRAME_S = 0.02  # the stretch whose energy is measured
SEARCH_SHARE = 0.3  # a cut is looked for in this last share of a piece's longest length


@dataclass(frozen=True, slots=True)
class Piece:
    offset_s: float  # where the piece starts in the whole recording
    duration_s: float
    data: bytes  # a complete 16 kHz mono 16-bit WAV file
    format: str = "wav"


def max_piece_samples(limit_bytes: int) -> int:
    """The most 16-bit samples a WAV file strictly under `limit_bytes` holds."""
    samples = (limit_bytes - WAV_HEADER_BYTES - 1) // 2
    if samples < SAMPLE_RATE // 10:
        raise ValueError(f"A limit of {limit_bytes} bytes leaves no room for audio.")
    return samples


def frame_energy(samples: np.ndarray, frame: int) -> np.ndarray:
    """RMS of each whole `frame`-long stretch of `samples`."""
    count = len(samples) // frame
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame)
    return np.sqrt(np.mean(frames**2, axis=1))


def quietest_point(samples: np.ndarray, frame: int) -> int:
    """The middle of the quietest frame; of equally quiet ones, the last (longer pieces)."""
    energy = frame_energy(samples, frame)
    if energy.size == 0:
        return len(samples)
    last = energy.size - 1 - int(np.argmin(energy[::-1]))
    return last * frame + frame // 2


def cut_points(samples: np.ndarray, max_samples: int, rate: int = SAMPLE_RATE) -> list[int]:
    """Sample indices where the recording is cut, so no piece is longer than `max_samples`."""
    frame = max(1, int(rate * FRAME_S))
    window = max(frame, int(max_samples * SEARCH_SHARE))
    cuts: list[int] = []
    start = 0
    while len(samples) - start > max_samples:
        low = start + max_samples - window
        cut = low + quietest_point(samples[low : start + max_samples], frame)
        cuts.append(cut)
        start = cut
    return cuts


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def split_samples(samples: np.ndarray, limit_bytes: int, rate: int = SAMPLE_RATE) -> list[Piece]:
    bounds = [0, *cut_points(samples, max_piece_samples(limit_bytes), rate), len(samples)]
    return [
        Piece(start / rate, (end - start) / rate, wav_bytes(samples[start:end], rate))
        for start, end in itertools.pairwise(bounds)
        if end > start
    ]


def split_file(
    path: Path, limit_bytes: int, decode: Callable[[Path], np.ndarray] = decode_mono
) -> list[Piece]:
    """The file as pieces each under `limit_bytes`, in order. Slow: run it in a worker thread."""
    return split_samples(decode(path), limit_bytes)
