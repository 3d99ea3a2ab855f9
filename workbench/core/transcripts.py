"""A transcription's answer as data: its text and timed segments, read from the API's
verbose_json, and the pieces of a long recording joined back into one transcript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.subtitles import Segment, to_srt, to_vtt

RESPONSE_FORMATS = ("verbose_json", "text", "srt", "vtt")
TIMED_FORMATS = ("verbose_json",)  # the ones whose answer carries segments


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    word: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] = ()
    duration: float = 0.0
    language: str = ""
    words: tuple[Word, ...] = ()  # word timestamps, when they were asked for

    def words_in(self, segment: Segment) -> tuple[Word, ...]:
        return tuple(w for w in self.words if segment.start <= w.start < segment.end)


@dataclass(frozen=True, slots=True)
class TranscriptReceived:
    """A run event: the whole answer of a transcription, with its segments.

    Emitted by the transcription adapter beside its TextDelta; the run pipeline passes events it
    does not know on to the run's listener unchanged. It belongs in core.runs.RunEvent."""

    transcript: Transcript
    body: str  # the answer as the server sent it (JSON, or the srt/vtt/text file)


def from_verbose_json(answer: object) -> Transcript:
    if not isinstance(answer, dict):
        return Transcript(str(answer))
    segments = tuple(_segment(s) for s in answer.get("segments") or () if isinstance(s, dict))
    words = tuple(
        Word(float(w.get("start", 0.0)), float(w.get("end", 0.0)), str(w.get("word", "")))
        for w in answer.get("words") or ()
        if isinstance(w, dict)
    )
    return Transcript(
        text=str(answer.get("text", "")),
        segments=segments,
        duration=float(answer.get("duration") or 0.0),
        language=str(answer.get("language") or ""),
        words=words,
    )


def _segment(raw: dict[str, Any]) -> Segment:
    return Segment(float(raw.get("start", 0.0)), float(raw.get("end", 0.0)), str(raw.get("text")))


def shifted(segments: Sequence[Segment], offset: float) -> tuple[Segment, ...]:
    return tuple(replace(s, start=s.start + offset, end=s.end + offset) for s in segments)


def joined(pieces: Sequence[tuple[float, Transcript]]) -> Transcript:
    """Pieces of one recording, each with its start in the whole, as one transcript.

    Each piece's times are shifted by its offset; a segment that would begin before the previous
    one ended (Whisper may let a segment run a little past its piece's end) starts where that one
    ends, so the joined times never go backwards."""
    segments: list[Segment] = []
    for offset, piece in sorted(pieces, key=lambda p: p[0]):
        for segment in shifted(piece.segments, offset):
            floor = segments[-1].end if segments else 0.0
            start = max(segment.start, floor)
            segments.append(replace(segment, start=start, end=max(segment.end, start)))
    text = " ".join(p.text.strip() for _, p in sorted(pieces, key=lambda p: p[0]) if p.text.strip())
    duration = max((offset + p.duration for offset, p in pieces), default=0.0)
    language = next((p.language for _, p in pieces if p.language), "")
    words = tuple(
        replace(w, start=w.start + offset, end=w.end + offset)
        for offset, piece in sorted(pieces, key=lambda p: p[0])
        for w in piece.words
    )
    return Transcript(text, tuple(segments), duration, language, words)


def rendered(transcript: Transcript, response_format: str) -> str:
    """The transcript in an API response format, made here (for a recording sent in pieces)."""
    if response_format == "srt":
        return to_srt(transcript.segments)
    if response_format == "vtt":
        return to_vtt(transcript.segments)
    return transcript.text
