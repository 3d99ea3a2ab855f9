"""Subtitle files from timed segments: SubRip (.srt) and WebVTT (.vtt), written to their specs.

SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line after each cue's text.
WebVTT (W3C): a `WEBVTT` header line and a blank line, then cues `HH:MM:SS.mmm --> HH:MM:SS.mmm`;
a cue's text may not hold a blank line or "-->", and `&`, `<`, `>` are written as character
references because `<` opens a cue tag there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class Segment:
    start: float  # seconds from the start of the audio
    end: float
    text: str


def milliseconds(seconds: float) -> int:
    """Whole milliseconds, halves rounded up: 1.0005 s is 1001 ms (binary floats and Python's
    round-half-even would give 1000); never negative."""
    exact = Decimal(repr(float(seconds))) * 1000
    return max(0, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def timestamp(seconds: float, decimal_mark: str) -> str:
    """HH:MM:SS followed by the mark and mmm; hours grow past two digits rather than wrap."""
    millis = milliseconds(seconds)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_mark}{millis:03d}"


def srt_timestamp(seconds: float) -> str:
    return timestamp(seconds, ",")


def vtt_timestamp(seconds: float) -> str:
    return timestamp(seconds, ".")


def _cue_lines(text: str) -> str:
    """The text's non-blank lines: a blank line would end the cue early in both formats."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _times(segment: Segment) -> tuple[float, float]:
    start = max(0.0, segment.start)
    return start, max(start, segment.end)  # a cue never ends before it starts


def to_srt(segments: Iterable[Segment]) -> str:
    cues = []
    for number, segment in enumerate(segments, start=1):
        start, end = _times(segment)
        text = _cue_lines(segment.text)
        cues.append(f"{number}\n{srt_timestamp(start)} --> {srt_timestamp(end)}\n{text}\n")
    return "\n".join(cues)


def _vtt_text(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _cue_lines(escaped)  # "-->" cannot survive: its ">" is now "&gt;"


def to_vtt(segments: Iterable[Segment]) -> str:
    cues = []
    for segment in segments:
        start, end = _times(segment)
        text = _vtt_text(segment.text)
        cues.append(f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}\n{text}\n")
    return "WEBVTT\n\n" + "\n".join(cues)
