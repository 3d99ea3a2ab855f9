"""Text to speech with eSpeak NG: OpenAI's voices and speeds, as 24 kHz 16-bit mono samples.

OpenAI's speech comes at 24 kHz whatever the format, so eSpeak's output (22,050 Hz) is resampled
to that once, and every format is encoded from the same samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from workbench.local_server.audio.espeak import Espeak
from workbench.local_server.model_files import SPEECH_MODEL_ID

SAMPLE_RATE = 24_000
# OpenAI's speech model names are accepted too, so a client written for OpenAI works unchanged.
MODEL_IDS = (SPEECH_MODEL_ID, "tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")
MAX_INPUT_CHARS = 4096
MIN_SPEED, MAX_SPEED = 0.25, 4.0

# OpenAI's voices as eSpeak's English voices and variants: a male or female variant after how
# OpenAI's voice sounds (onyx the deepest), British or American English so neighbours sound apart.
# alloy, the one most clients ask for, is the one Whisper tiny.en heard best here: eSpeak's
# pitch flutter runs on from one request to the next, so no two clips are quite alike.
VOICES: dict[str, str] = {
    "alloy": "en-GB-x-rp+m2",
    "ash": "en+m6",
    "ballad": "en+m2",
    "coral": "en+f2",
    "echo": "en-GB-x-rp",
    "fable": "en",
    "onyx": "en+m4",
    "nova": "en-us+f4",
    "sage": "en+f1",
    "shimmer": "en+f3",
    "verse": "en-us+m2",
    "marin": "en-GB-x-rp+f2",
    "cedar": "en+m3",
}

# eSpeak's default rate, taken as OpenAI's speed 1.0.
NORMAL_WPM = 175
# eSpeak will not speak slower than this: slower speeds are spoken at it, then stretched (keeping
# the pitch) with FFmpeg's atempo filter.
SLOWEST_WPM = 80


@dataclass(frozen=True, slots=True)
class Pace:
    words_per_minute: int
    stretch: float  # atempo's factor on eSpeak's output; 1.0 = none, below 1 = slower


def pace(speed: float) -> Pace:
    wpm = NORMAL_WPM * speed
    if wpm >= SLOWEST_WPM:
        return Pace(round(wpm), 1.0)
    return Pace(SLOWEST_WPM, wpm / SLOWEST_WPM)


_engine: Espeak | None = None
_engine_lock = threading.Lock()


def engine() -> Espeak:
    """The process's one eSpeak, loaded on the first speech request."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Espeak.load()
        return _engine


def speak(text: str, voice: str, speed: float) -> np.ndarray:
    """`text` in OpenAI voice `voice` at `speed`, as int16 samples at SAMPLE_RATE.

    Blocks for the synthesis: call it from a worker thread.
    """
    espeak = engine()
    step = pace(speed)
    samples = espeak.synthesize(text, VOICES[voice], step.words_per_minute)
    return to_output_rate(samples, espeak.sample_rate, step.stretch)


def to_output_rate(samples: np.ndarray, rate: int, stretch: float = 1.0) -> np.ndarray:
    """Resampled to SAMPLE_RATE (and slowed by `stretch`) with FFmpeg's filters, through PyAV."""
    if samples.size == 0:
        return samples.astype(np.int16)
    import av

    graph = av.filter.Graph()
    nodes = [graph.add_abuffer(format="s16", sample_rate=rate, layout="mono")]
    if stretch != 1.0:
        nodes.append(graph.add("atempo", f"{stretch:.6f}"))
    nodes.append(graph.add("aresample", str(SAMPLE_RATE)))
    nodes.append(graph.add("aformat", "sample_fmts=s16:channel_layouts=mono"))
    nodes.append(graph.add("abuffersink"))
    graph.link_nodes(*nodes).configure()

    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    frame.sample_rate = rate
    graph.push(frame)
    graph.push(None)
    out: list[np.ndarray] = []
    while True:
        try:
            out.append(graph.pull().to_ndarray().reshape(-1))
        except (av.error.EOFError, av.error.BlockingIOError):
            break
    return np.concatenate(out).astype(np.int16) if out else np.zeros(0, dtype=np.int16)
