"""Audio files a user picks or drops: which kinds are taken, whether a file really is audio, and
its samples. PyAV (FFmpeg) decodes; every function here is slow on a big file, so callers run it
in a worker thread, never on the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

AUDIO_SUFFIXES = ("wav", "mp3", "m4a", "webm", "ogg", "flac")
SAMPLE_RATE = 16_000  # what Whisper models take
API_LIMIT_BYTES = 25 * 1024 * 1024  # the OpenAI audio endpoints refuse larger uploads


class NotAudio(ValueError):
    """The file cannot be sent: its message says why, in words for the user."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    path: Path
    format: str  # the suffix, as the API names the format ("wav", "mp3", …)
    duration_s: float
    size_bytes: int


def audio_format(path: Path) -> str:
    """The file's format by its suffix; NotAudio for a kind the API does not take."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in AUDIO_SUFFIXES:
        kinds = ", ".join(AUDIO_SUFFIXES)
        raise NotAudio(f"{path.name} is not an audio file Whisper takes ({kinds}).")
    return suffix


def probe(path: Path) -> AudioInfo:
    """What the file holds, having decoded it through: a corrupt file is caught here, before
    anything is sent."""
    fmt = audio_format(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise NotAudio(f"{path.name} cannot be read: {error.strerror or error}.") from None
    if size == 0:
        raise NotAudio(f"{path.name} is empty.")
    samples = decode_mono(path)
    if samples.size == 0:
        raise NotAudio(f"{path.name} holds no audio.")
    return AudioInfo(path, fmt, samples.size / SAMPLE_RATE, size)


def decode_mono(path: Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The file's sound as mono 16-bit samples at `rate`; NotAudio if FFmpeg cannot read it."""
    import av

    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise NotAudio(f"{path.name} has no sound in it.")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            for frame in container.decode(stream):
                chunks.extend(_samples(f) for f in resampler.resample(frame))
            chunks.extend(_samples(f) for f in resampler.resample(None))
    except NotAudio:
        raise
    except (av.FFmpegError, OSError, ValueError) as error:
        raise NotAudio(f"{path.name} could not be decoded as audio ({error}).") from None
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def _samples(frame: object) -> np.ndarray:
    return np.asarray(frame.to_ndarray()).reshape(-1).astype(np.int16)  # type: ignore[attr-defined]
