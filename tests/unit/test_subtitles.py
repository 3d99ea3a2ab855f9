"""Subtitle files made from a transcript's segments read back per the SubRip and WebVTT specs."""

from __future__ import annotations

import re

from workbench.core.subtitles import Segment, milliseconds, srt_timestamp, to_srt, to_vtt

SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})"
VTT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
SEGMENTS = (
    Segment(0.0, 2.5, " The quick brown fox"),
    Segment(2.5, 3661.0005, "jumps over <the> lazy dog & cat --> away"),
    Segment(3661.25, 3662.0, "line one\n\nline two"),
)


def _seconds(match: tuple[str, ...]) -> float:
    hours, minutes, secs, millis = (int(p) for p in match)
    return hours * 3600 + minutes * 60 + secs + millis / 1000


def parse_srt(text: str) -> list[tuple[int, float, float, str]]:
    """Cues as a SubRip reader sees them: number, times, text up to the blank line."""
    cues = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        number, times, *lines = block.strip("\n").split("\n")
        found = re.fullmatch(rf"{SRT_TIME} --> {SRT_TIME}", times)
        assert found, times
        start, end = _seconds(found.groups()[:4]), _seconds(found.groups()[4:])
        cues.append((int(number), start, end, "\n".join(lines)))
    return cues


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    header, _, body = text.partition("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        times, *lines = block.strip("\n").split("\n")
        found = re.fullmatch(rf"{VTT_TIME} --> {VTT_TIME}", times)
        assert found, times
        assert all("-->" not in line for line in lines)
        cues.append((_seconds(found.groups()[:4]), _seconds(found.groups()[4:]), "\n".join(lines)))
    return cues


def test_srt_reads_back_with_its_numbers_times_and_text() -> None:
    cues = parse_srt(to_srt(SEGMENTS))
    assert [c[0] for c in cues] == [1, 2, 3]
    assert [(c[1], c[2]) for c in cues] == [(0.0, 2.5), (2.5, 3661.001), (3661.25, 3662.0)]
    assert cues[0][3] == "The quick brown fox"
    assert cues[2][3] == "line one\nline two"  # a blank line would have ended the cue


def test_vtt_reads_back_with_text_escaped() -> None:
    text = to_vtt(SEGMENTS)
    assert text.startswith("WEBVTT\n\n")
    cues = parse_vtt(text)
    assert [(c[0], c[1]) for c in cues] == [(0.0, 2.5), (2.5, 3661.001), (3661.25, 3662.0)]
    assert cues[1][2] == "jumps over &lt;the&gt; lazy dog &amp; cat --&gt; away"


def test_hours_past_one_and_past_ninety_nine() -> None:
    assert srt_timestamp(3661.25) == "01:01:01,250"
    assert srt_timestamp(100 * 3600 + 0.5) == "100:00:00,500"
    assert to_vtt([Segment(7322.0, 7323.0, "x")]).splitlines()[2] == (
        "02:02:02.000 --> 02:02:03.000"
    )


def test_milliseconds_round_half_up_not_to_float_noise() -> None:
    assert milliseconds(1.0005) == 1001  # 1.0005 * 1000 is 1000.4999… in binary floats
    assert milliseconds(0.0025) == 3  # round() would give 2 (half to even)
    assert milliseconds(2.0004) == 2000
    assert milliseconds(59.9999) == 60_000
    assert srt_timestamp(59.9996) == "00:01:00,000"  # carries into the minutes
    assert milliseconds(-0.2) == 0


def test_a_cue_never_ends_before_it_starts_and_empty_input_is_a_bare_file() -> None:
    cues = parse_srt(to_srt([Segment(5.0, 4.0, "late")]))
    assert cues[0][1] == cues[0][2] == 5.0
    assert to_srt([]) == ""
    assert to_vtt([]) == "WEBVTT\n\n"
