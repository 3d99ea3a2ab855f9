"""Pieces of a long recording joined into one transcript whose times only go forward."""

from __future__ import annotations

import itertools

from workbench.core.subtitles import Segment
from workbench.core.transcripts import Transcript, from_verbose_json, joined, rendered


def _piece(*spans: tuple[float, float, str], duration: float = 10.0) -> Transcript:
    segments = tuple(Segment(s, e, t) for s, e, t in spans)
    return Transcript(" ".join(t for *_, t in spans), segments, duration)


def test_each_piece_is_shifted_by_its_offset() -> None:
    whole = joined(
        [
            (0.0, _piece((0.0, 4.0, "one"), (4.0, 9.5, "two"), duration=9.8)),
            (9.8, _piece((0.0, 3.0, "three"), duration=5.0)),
            (14.8, _piece((0.5, 2.0, "four"), duration=2.0)),
        ]
    )
    assert [(s.start, s.end) for s in whole.segments] == [
        (0.0, 4.0),
        (4.0, 9.5),
        (9.8, 12.8),
        (15.3, 16.8),
    ]
    assert whole.text == "one two three four"
    assert whole.duration == 16.8


def test_times_never_go_backwards_when_a_piece_overhangs_its_end() -> None:
    whole = joined(
        [
            (5.0, _piece((0.0, 1.0, "b"), duration=3.0)),  # given out of order
            (0.0, _piece((0.0, 5.4, "a"), duration=5.0)),  # Whisper ran past the cut
        ]
    )
    starts = [s.start for s in whole.segments]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(whole.segments))
    assert [s.text for s in whole.segments] == ["a", "b"]


def test_verbose_json_reads_into_segments_and_renders_subtitles() -> None:
    answer = {
        "text": "Hello there.",
        "duration": 2.0,
        "language": "english",
        "segments": [{"id": 0, "start": 0.0, "end": 1.96, "text": " Hello there."}],
    }
    transcript = from_verbose_json(answer)
    assert transcript.segments == (Segment(0.0, 1.96, " Hello there."),)
    assert rendered(transcript, "srt") == "1\n00:00:00,000 --> 00:00:01,960\nHello there.\n"
    assert rendered(transcript, "text") == "Hello there."


def test_word_times_are_read_and_shifted_with_their_piece() -> None:
    from workbench.core.transcripts import Word, from_verbose_json, joined

    first = from_verbose_json(
        {
            "text": "Hello there",
            "segments": [{"start": 0.0, "end": 1.0, "text": "Hello there"}],
            "words": [
                {"start": 0.0, "end": 0.4, "word": "Hello"},
                {"start": 0.5, "end": 0.9, "word": "there"},
            ],
        }
    )
    second = from_verbose_json(
        {"text": "Again", "words": [{"start": 0.1, "end": 0.5, "word": "Again"}]}
    )
    whole = joined([(0.0, first), (30.0, second)])
    assert whole.words == (
        Word(0.0, 0.4, "Hello"),
        Word(0.5, 0.9, "there"),
        Word(30.1, 30.5, "Again"),
    )
    assert first.words_in(first.segments[0]) == first.words
