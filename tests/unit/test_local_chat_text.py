"""TextAssembler: stop sequences, UTF-8 split across tokens, logprob entries that match text."""

from __future__ import annotations

from workbench.local_server.chat.text import Piece, TextAssembler, piece_text
from workbench.local_server.engine import Step


def run(pieces: list[bytes], stop: list[str], logprobs: bool = True) -> tuple[list[Piece], bool]:
    assembler = TextAssembler(stop, logprobs)
    out = []
    for i, raw in enumerate(pieces):
        step = Step(i, raw, -0.5, [(raw, -0.5), (b"x", -1.0)])
        piece = assembler.feed(step)
        if piece:
            out.append(piece)
        if assembler.stopped:
            break
    tail = assembler.finish()
    if tail:
        out.append(tail)
    return out, assembler.stopped


def joined(pieces: list[Piece]) -> str:
    return "".join(p.text for p in pieces)


def test_plain_tokens_pass_through_one_by_one() -> None:
    pieces, stopped = run([b"Hello", b" world", b"!"], [])
    assert [p.text for p in pieces] == ["Hello", " world", "!"]
    assert not stopped
    assert pieces[1].logprobs[0]["bytes"] == list(b" world")
    assert pieces[1].logprobs[0]["top_logprobs"][1] == {
        "token": "x",
        "logprob": -1.0,
        "bytes": [120],
    }


def test_stop_sequence_split_across_tokens_is_held_then_dropped() -> None:
    pieces, stopped = run([b"one", b" tw", b"o thr", b"ee"], ["two"])
    assert stopped
    assert joined(pieces) == "one "
    entries = [e for p in pieces for e in p.logprobs]
    assert "".join(e["token"] for e in entries) == "one "
    assert entries[-1]["bytes"] == list(b" ")  # the token the stop began in, cut short


def test_held_text_is_released_when_the_stop_does_not_complete() -> None:
    pieces, stopped = run([b"a", b" tw", b"in", b"s"], ["two"])
    assert not stopped
    assert joined(pieces) == "a twins"
    assert [p.text for p in pieces][:1] == ["a"]  # " tw" waited: it could have begun "two"


def test_multibyte_character_split_over_tokens() -> None:
    dragon = "🐉".encode()
    pieces, _ = run([b"A ", dragon[:2], dragon[2:], b"!"], [])
    assert joined(pieces) == "A 🐉!"
    entries = [e for p in pieces for e in p.logprobs]
    assert [e["token"] for e in entries] == ["A ", "", "🐉", "!"]
    assert entries[1]["bytes"] == list(dragon[:2])
    # The unfinished token travels with the one that completes it.
    assert [p.text for p in pieces] == ["A ", "🐉", "!"]


def test_stop_at_the_very_start_gives_nothing() -> None:
    pieces, stopped = run([b"END", b"more"], ["END"])
    assert stopped and joined(pieces) == ""


def test_no_logprobs_means_no_entries() -> None:
    pieces, _ = run([b"a", b"b"], [], logprobs=False)
    assert all(not p.logprobs for p in pieces)


def test_piece_text_escapes_partial_utf8() -> None:
    assert piece_text("é".encode()) == "é"
    assert piece_text(b"\xf0\x9f") == "\\xf0\\x9f"
