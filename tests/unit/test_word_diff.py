"""The word diff gives back both answers exactly, marks only what changed, and stays fast."""

from __future__ import annotations

import itertools
import random
import re
from difflib import SequenceMatcher

import pytest

from workbench.core.word_diff import DiffSegment, compare, similarity, word_diff

WORDS = ["the", "model", "answer", "is", "42", "Paris", "naïve", "café", "über", "x_1", "don't"]
PUNCT = [",", ".", "!", "?", ";", ":", "—", "(", ")", '"', "`", "*", "#", "-", "->", "..."]
OTHER = ["我", "喜欢", "猫", "🙂", "<b>", "&amp;", "\\n", "1.5e-3", "{", "}", "[", "]"]
SPACES = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", " \n ", "\u00a0", ""]

ANSWER = """## Steps

1. Install the package: `pip install workbench`.
2. Run it, then open **Settings → Endpoints**.

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

The result is {"ok": true, "items": [1, 2, 3]} — done.
"""


def a_side(segments: list[DiffSegment]) -> str:
    return "".join(s.text for s in segments if s.op != "insert")


def b_side(segments: list[DiffSegment]) -> str:
    return "".join(s.text for s in segments if s.op != "delete")


def assert_well_formed(a: str, b: str, segments: list[DiffSegment]) -> None:
    assert a_side(segments) == a
    assert b_side(segments) == b
    assert all(s.text for s in segments), "no empty segments"
    for left, right in itertools.pairwise(segments):
        assert left.op != right.op, "neighbours with the same op are merged"
        assert (left.op, right.op) != ("insert", "delete"), "a change shows its deletion first"


def random_text(rng: random.Random, n: int) -> str:
    pool = WORDS * 4 + PUNCT * 2 + OTHER
    parts = [rng.choice(SPACES[:4]) if rng.random() < 0.2 else ""]
    for _ in range(n):
        parts.append(rng.choice(pool))
        parts.append(rng.choice(SPACES))
    return "".join(parts)


def mutate(rng: random.Random, text: str, rate: float) -> str:
    pieces = re.findall(r"\S+|\s+", text)
    out: list[str] = []
    for piece in pieces:
        roll = rng.random()
        if roll < rate / 3:
            continue
        if roll < 2 * rate / 3:
            out.append(rng.choice(WORDS + PUNCT) if piece.strip() else rng.choice(SPACES))
        elif roll < rate:
            out.extend([piece, rng.choice(SPACES[:5]), rng.choice(WORDS)])
        else:
            out.append(piece)
    return "".join(out)


@pytest.mark.parametrize("seed", range(60))
def test_both_answers_are_rebuilt_exactly_from_random_text(seed: int) -> None:
    rng = random.Random(seed)
    a = random_text(rng, rng.choice([0, 1, 5, 40, 300]))
    b = mutate(rng, a, rng.choice([0.0, 0.05, 0.3, 1.0])) if rng.random() < 0.7 else ""
    if rng.random() < 0.3:
        b = random_text(rng, rng.choice([0, 3, 200]))
    segments = word_diff(a, b)
    assert_well_formed(a, b, segments)
    assert 0.0 <= similarity(a, b) <= 1.0


def repetitive_texts() -> list[tuple[str, str]]:
    """Inputs heavy enough in repeated words to take the anchored path, not plain difflib."""
    code = "\n".join(f"    x{i % 50} = foo(a, b[{i % 7}], c) + bar(d)  # {i}" for i in range(500))
    table = "\n".join(f"| {i} | {i % 3} | ok | - |" for i in range(600))
    rng = random.Random(7)
    tiny_vocabulary = " ".join(rng.choice("abcde") for _ in range(4000))
    return [
        (code, code.replace("bar", "baz").replace("x3 ", "y3 ")),
        (code, code.replace("# 17\n", "# seventeen\n")),
        (table, table.replace("| 1 |", "| one |")),
        ("the " * 4000, "the " * 3900 + "a " * 100),
        ("x y " * 2000, "y x " * 2000),
        (tiny_vocabulary, mutate(rng, tiny_vocabulary, 0.1)),
        (ANSWER * 60, (ANSWER * 60).replace("Paris", "Lyon").replace("done", "finished", 7)),
    ]


@pytest.mark.parametrize("case", range(len(repetitive_texts())))
def test_repetitive_answers_are_rebuilt_exactly(case: int) -> None:
    a, b = repetitive_texts()[case]
    assert_well_formed(a, b, word_diff(a, b))


def test_one_changed_line_in_long_repetitive_code_is_the_only_change() -> None:
    code = "\n".join(f"    x{i % 50} = foo(a, b[{i % 7}], c) + bar(d)  # {i}" for i in range(500))
    changed = code.replace("# 17\n", "# seventeen\n")
    changes = [s for s in word_diff(code, changed) if s.op != "equal"]
    assert changes == [DiffSegment("delete", "17"), DiffSegment("insert", "seventeen")]


def test_realistic_answer_edits_are_rebuilt_exactly() -> None:
    rng = random.Random(3)
    for rate in (0.02, 0.1, 0.4):
        edited = mutate(rng, ANSWER, rate)
        assert_well_formed(ANSWER, edited, word_diff(ANSWER, edited))


def test_a_replaced_word_is_deleted_then_inserted_with_the_rest_unchanged() -> None:
    assert word_diff("The cat sat on the mat.", "The dog sat on the mat.") == [
        DiffSegment("equal", "The "),
        DiffSegment("delete", "cat"),
        DiffSegment("insert", "dog"),
        DiffSegment("equal", " sat on the mat."),
    ]


def test_a_replaced_phrase_is_one_deletion_and_one_insertion() -> None:
    assert word_diff("It is very big today.", "It is quite small today.") == [
        DiffSegment("equal", "It is "),
        DiffSegment("delete", "very big"),
        DiffSegment("insert", "quite small"),
        DiffSegment("equal", " today."),
    ]


def test_pure_insertion_and_deletion() -> None:
    assert word_diff("foo baz", "foo bar baz") == [
        DiffSegment("equal", "foo "),
        DiffSegment("insert", "bar "),
        DiffSegment("equal", "baz"),
    ]
    assert word_diff("foo bar baz", "foo baz") == [
        DiffSegment("equal", "foo "),
        DiffSegment("delete", "bar "),
        DiffSegment("equal", "baz"),
    ]


def test_punctuation_is_its_own_word() -> None:
    assert word_diff("Hello, world!", "Hello world?") == [
        DiffSegment("equal", "Hello"),
        DiffSegment("delete", ", "),
        DiffSegment("insert", " "),
        DiffSegment("equal", "world"),
        DiffSegment("delete", "!"),
        DiffSegment("insert", "?"),
    ]


def test_whitespace_changes_are_kept_apart_from_equal_words() -> None:
    segments = word_diff("one  two\nthree", "one two three\n")
    assert segments == [
        DiffSegment("equal", "one"),
        DiffSegment("delete", "  "),
        DiffSegment("insert", " "),
        DiffSegment("equal", "two"),
        DiffSegment("delete", "\n"),
        DiffSegment("insert", " "),
        DiffSegment("equal", "three"),
        DiffSegment("insert", "\n"),
    ]
    result = compare("one  two\nthree", "one two three\n")
    assert (result.similarity, result.added, result.removed) == (1.0, 0, 0)
    assert not result.identical


def test_leading_whitespace_and_line_breaks() -> None:
    a, b = "\n\n  Answer:\nyes\r\n", "Answer:\n\nyes"
    segments = word_diff(a, b)
    assert_well_formed(a, b, segments)
    assert segments[0] == DiffSegment("delete", "\n\n  ")


def test_cjk_characters_are_words() -> None:
    assert word_diff("我喜欢猫", "我喜欢狗") == [
        DiffSegment("equal", "我喜欢"),
        DiffSegment("delete", "猫"),
        DiffSegment("insert", "狗"),
    ]


def test_identical_texts_are_one_equal_segment() -> None:
    result = compare(ANSWER, ANSWER)
    assert list(result.segments) == [DiffSegment("equal", ANSWER)]
    assert (result.similarity, result.added, result.removed, result.identical) == (1.0, 0, 0, True)


def test_empty_texts() -> None:
    assert word_diff("", "") == []
    assert similarity("", "") == 1.0
    assert compare("", "").identical
    assert word_diff("", "new words") == [DiffSegment("insert", "new words")]
    assert word_diff("old words", "") == [DiffSegment("delete", "old words")]
    assert similarity("old words", "") == 0.0
    assert word_diff("   ", "") == [DiffSegment("delete", "   ")]


def test_counts_and_similarity_for_a_known_edit() -> None:
    result = compare("The cat sat on the mat.", "The dog sat on a mat!")
    # 7 words each (the full stop is one); The, sat, on, mat match.
    assert (result.added, result.removed) == (3, 3)
    assert result.similarity == pytest.approx(2 * 4 / 14)


def test_similarity_matches_difflib_over_words_for_small_texts() -> None:
    rng = random.Random(11)
    for _ in range(30):
        a = " ".join(rng.choice(WORDS + PUNCT) for _ in range(40))
        b = mutate(rng, a, 0.3)
        words_a, words_b = re.findall(r"\w+|[^\w\s]", a), re.findall(r"\w+|[^\w\s]", b)
        expected = SequenceMatcher(None, words_a, words_b, autojunk=False).ratio()
        assert similarity(a, b) == pytest.approx(expected)


def test_similarity_stays_within_bounds() -> None:
    assert similarity("a b c", "x y z") == 0.0
    assert similarity("a b c", "a b c") == 1.0
    assert 0.0 < similarity("a b c d", "a b x y") < 1.0


def test_two_long_repetitive_answers_mark_only_the_changed_word() -> None:
    # Repetitive code is difflib's worst case (bench.word_diff times it); the anchored diff must
    # still pair every line with its own copy.
    code = "\n".join(f"    x{i % 50} = foo(a, b[{i % 7}], c) + bar(d)  # {i}" for i in range(500))
    changed = code.replace("bar", "baz")
    diff = compare(code, changed)
    assert_well_formed(code, changed, list(diff.segments))
    changes = [s.text for s in diff.segments if s.op != "equal"]
    assert changes == ["bar", "baz"] * 500


@pytest.mark.parametrize("seed", range(8))
def test_long_random_answers_are_rebuilt_exactly(seed: int) -> None:
    rng = random.Random(100 + seed)
    a = random_text(rng, 3000)
    b = mutate(rng, a, rng.choice([0.01, 0.1, 0.5])) if seed % 4 else random_text(rng, 3000)
    assert_well_formed(a, b, word_diff(a, b))


def test_one_change_in_an_answer_that_loops_is_the_only_change() -> None:
    looped = ANSWER * 60
    copies = [ANSWER] * 60
    copies[30] = ANSWER.replace("Install", "Build")
    changes = [s for s in word_diff(looped, "".join(copies)) if s.op != "equal"]
    assert changes == [DiffSegment("delete", "Install"), DiffSegment("insert", "Build")]
