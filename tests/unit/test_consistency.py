"""Repeating one column k times: how many different answers, how far they agree, how they spread."""

from __future__ import annotations

import statistics

import pytest

from workbench.core.consistency import Answer, consistency, normalise


def texts(*answers: str) -> list[Answer]:
    return [Answer(text) for text in answers]


def test_whitespace_and_case_do_not_make_answers_distinct() -> None:
    result = consistency(
        texts("Paris.", "  paris.\n", "PARIS.", "Paris.\t", "The capital is Paris.")
    )
    assert result.distinct == 2
    assert result.group_sizes == (4, 1)


def test_inner_whitespace_runs_count_as_one_space() -> None:
    result = consistency(texts("It is\n\nParis", "it   is paris", "It is Paris"))
    assert result.distinct == 1
    assert result.agreement == 1.0


def test_json_answers_compare_regardless_of_key_order_and_spacing() -> None:
    result = consistency(
        texts(
            '{"city": "Paris", "country": "France"}',
            '{\n  "country": "France",\n  "city": "Paris"\n}',
            '```json\n{"country":"France","city":"Paris"}\n```',
            '{"city": "Lyon", "country": "France"}',
        )
    )
    assert result.distinct == 2
    assert result.group_sizes == (3, 1)
    assert result.most_common == '{"city": "Paris", "country": "France"}'


def test_json_values_compare_exactly() -> None:
    # In structured output an enum's "Yes" and "yes" may be different values.
    result = consistency(texts('{"answer": "Yes"}', '{"answer": "yes"}', "[1, 2]", "[1,2]"))
    assert result.distinct == 3


def test_normalised_forms() -> None:
    assert normalise("  Hello\n  World ") == "hello world"
    assert normalise('{"b": 1, "a": [1, 2]}') == '{"a":[1,2],"b":1}'
    assert normalise('```\n{"b": 1, "a": 2}\n```') == '{"a":2,"b":1}'
    assert normalise('{"b": 1,') == '{"b": 1,'  # not JSON: whitespace and case rules only
    assert normalise("42 is the answer") == "42 is the answer"
    assert normalise('{"ü": "é"}') == '{"ü":"é"}'


def test_agreement_is_the_share_equal_to_the_most_common_answer() -> None:
    result = consistency(texts("A", "B", "a", "C", "a "))
    assert result.answers == 5
    assert result.distinct == 3
    assert result.agreement == pytest.approx(3 / 5)
    assert (result.most_common, result.most_common_count) == ("A", 3)
    assert result.group_sizes == (3, 1, 1)
    assert result.groups == (0, 1, 0, 2, 0)


def test_a_tie_goes_to_the_answer_seen_first() -> None:
    result = consistency(texts("no", "yes", "yes", "no"))
    assert (result.most_common, result.most_common_count, result.agreement) == ("no", 2, 0.5)
    assert result.groups == (0, 1, 1, 0)


def test_failed_answers_are_counted_apart_and_left_out_of_agreement_and_spreads() -> None:
    answers = [
        Answer("yes", ttft=0.2, total=1.0, completion_tokens=10),
        Answer("Error: 429 rate limited", ttft=None, total=0.05, failed=True),
        Answer("yes", ttft=0.4, total=2.0, completion_tokens=12),
        Answer("", ttft=None, total=30.0, failed=True),
    ]
    result = consistency(answers)
    assert (result.answers, result.failed, result.distinct) == (2, 2, 1)
    assert result.agreement == 1.0
    assert result.groups == (0, None, 0, None)
    assert result.total_time is not None
    assert (result.total_time.minimum, result.total_time.maximum) == (1.0, 2.0)
    assert result.characters is not None and result.characters.minimum == 3


def test_only_failures() -> None:
    result = consistency([Answer("boom", failed=True), Answer("boom", failed=True)])
    assert (result.answers, result.failed, result.distinct) == (0, 2, 0)
    assert (result.agreement, result.most_common, result.most_common_count) == (0.0, None, 0)
    assert (result.ttft, result.total_time, result.tokens, result.characters) == (None,) * 4
    assert result.summary_text() == "0 answers · 2 failed"


def test_no_answers_at_all() -> None:
    result = consistency([])
    assert (result.answers, result.failed, result.distinct, result.agreement) == (0, 0, 0, 0.0)
    assert result.summary_text() == "0 answers"


def test_spreads_of_latency_and_length() -> None:
    ttfts = [0.21, 0.35, 0.25, 0.30, 0.22]
    totals = [1.5, 1.1, 1.2, 1.9, 1.3]
    tokens = [41, 57, 45, 50, 48]
    words = ["one", "three", "eleven", "twenty", "a"]
    answers = [
        Answer(w, ttft=t, total=s, completion_tokens=n)
        for w, t, s, n in zip(words, ttfts, totals, tokens, strict=True)
    ]
    result = consistency(answers)
    assert result.ttft is not None and result.total_time is not None
    assert (result.ttft.minimum, result.ttft.median, result.ttft.maximum) == (0.21, 0.25, 0.35)
    assert result.ttft.stdev == pytest.approx(statistics.stdev(ttfts))
    assert (result.total_time.minimum, result.total_time.maximum) == (1.1, 1.9)
    assert result.total_time.median == 1.3
    assert result.tokens is not None and result.characters is not None
    assert (result.tokens.minimum, result.tokens.median, result.tokens.maximum) == (41, 48, 57)
    assert result.tokens.count == 5
    assert (result.characters.minimum, result.characters.maximum) == (1, 6)
    assert result.characters.median == 5


def test_an_even_number_of_answers_has_a_midpoint_median() -> None:
    answers = [Answer("x", completion_tokens=n) for n in (41, 42)]
    result = consistency(answers)
    assert result.tokens is not None and result.tokens.median == 41.5


def test_missing_timings_are_left_out_of_their_spread_only() -> None:
    answers = [
        Answer("a", ttft=0.5, total=2.0, completion_tokens=None),
        Answer("a", ttft=None, total=3.0, completion_tokens=7),
    ]
    result = consistency(answers)
    assert result.ttft is not None and result.ttft.count == 1
    assert result.total_time is not None and result.total_time.count == 2
    assert result.tokens is not None and result.tokens.count == 1


def test_one_answer_has_a_spread_without_deviation() -> None:
    result = consistency([Answer("only", ttft=0.3, total=1.0, completion_tokens=5)])
    assert (result.answers, result.distinct, result.agreement) == (1, 1, 1.0)
    assert result.ttft is not None
    assert (result.ttft.minimum, result.ttft.median, result.ttft.maximum) == (0.3, 0.3, 0.3)
    assert result.ttft.stdev is None
    assert result.summary_text() == "1 answer · 1 distinct · 100% agree · TTFT 0.30 s · 5 tokens"


def test_summary_line() -> None:
    answers = [
        Answer("The answer is 42.", ttft=0.21, total=1.1, completion_tokens=41),
        Answer("the answer  is 42.", ttft=0.25, total=1.3, completion_tokens=45),
        Answer("The answer is 42.\n", ttft=0.35, total=1.2, completion_tokens=57),
        Answer("It is 41.", ttft=0.23, total=1.0, completion_tokens=50),
        Answer("The Answer is 42.", ttft=0.30, total=1.5, completion_tokens=48),
    ]
    assert consistency(answers).summary_text() == (
        "5 answers · 2 distinct · 80% agree · TTFT 0.21–0.35 s (median 0.25) · 41–57 tokens"
    )
    with_failure = [*answers, Answer("timeout", failed=True)]
    assert consistency(with_failure).summary_text().startswith("5 answers · 1 failed · 2 distinct")


def test_summary_falls_back_to_total_time_and_characters() -> None:
    # An endpoint that neither streams nor reports usage still gets a latency and a length.
    answers = [Answer("yes", total=1.25), Answer("no", total=12.5), Answer("yes", total=2.0)]
    assert consistency(answers).summary_text() == (
        "3 answers · 2 distinct · 67% agree · total 1.25–12.5 s (median 2.00) · 2–3 chars"
    )


def test_detail_text_lists_every_spread() -> None:
    answers = [
        Answer("a", ttft=0.2, total=1.0, completion_tokens=10),
        Answer("a", ttft=0.4, total=3.0, completion_tokens=20),
    ]
    lines = consistency(answers).detail_text().splitlines()
    assert lines[1] == "most common answer: 2 of 2"
    assert "TTFT: 0.20–0.40 s, median 0.30, stdev 0.14" in lines
    assert "total time: 1.00–3.00 s, median 2.00, stdev 1.41" in lines
    assert "completion tokens: 10–20, median 15, stdev 7.1" in lines
    assert "characters: 1, median 1, stdev 0.0" in lines
