"""Speech samples in OpenAI's response formats: wav and pcm always, the rest through PyAV.

Which compressed formats work depends on the FFmpeg that PyAV bundles, so each one is tried once
(on a few milliseconds of silence) before it is offered.
"""

from __future__ import annotations

import io
import logging
import wave
from functools import cache

import numpy as np

log = logging.getLogger(__name__)

# OpenAI's order, and the Content-Type OpenAI sends with each.
CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
# Format -> (container, encoders to try in order). OpenAI's opus is Ogg Opus, its aac raw ADTS.
_FFMPEG: dict[str, tuple[str, tuple[str, ...]]] = {
    "mp3": ("mp3", ("libmp3lame", "mp3")),
    "opus": ("ogg", ("libopus", "opus")),
    "aac": ("adts", ("aac",)),
    "flac": ("flac", ("flac",)),
}


def encode(samples: np.ndarray, rate: int, response_format: str) -> bytes:
    """int16 mono `samples` at `rate` Hz in `response_format` (one of `available_formats()`)."""
    pcm = np.ascontiguousarray(samples, dtype="<i2")
    if response_format == "pcm":
        return pcm.tobytes()  # raw little-endian 16-bit, no header, as OpenAI sends it
    if response_format == "wav":
        return _wav(pcm, rate)
    container, _ = _FFMPEG[response_format]
    codec = _encoder(response_format)
    if codec is None:
        raise ValueError(f"no encoder for {response_format}")
    return _ffmpeg(pcm, rate, container, codec)


@cache
def available_formats() -> tuple[str, ...]:
    """The formats this server can make, in OpenAI's order."""
    return tuple(f for f in CONTENT_TYPES if f in ("wav", "pcm") or _encoder(f) is not None)


@cache
def _encoder(response_format: str) -> str | None:
    container, codecs = _FFMPEG[response_format]
    silence = np.zeros(240, dtype="<i2")
    for codec in codecs:
        try:
            _ffmpeg(silence, 24_000, container, codec)
        except Exception as exc:  # missing encoder or muxer: this FFmpeg cannot make it
            log.info("cannot encode %s with %s: %s", response_format, codec, exc)
            continue
        return codec
    return None


def _wav(pcm: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _ffmpeg(pcm: np.ndarray, rate: int, container: str, codec: str) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        context = stream.codec_context
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        # Encoders want their own sample format and (most) a fixed number of samples per frame.
        resampler = av.AudioResampler(
            format=context.format, layout="mono", rate=rate, frame_size=context.frame_size or None
        )
        parts = resampler.resample(frame) if pcm.size else []
        for part in [*parts, *resampler.resample(None)]:
            output.mux(stream.encode(part))
        output.mux(stream.encode(None))
    return buffer.getvalue()
