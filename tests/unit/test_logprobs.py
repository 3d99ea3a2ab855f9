import math

import pytest

from workbench.core.logprobs import (
    FieldConfidence,
    Metric,
    TokenInfo,
    confidence,
    confidences,
    fork_prefix,
    json_field_confidence,
    metric_value,
    summarize,
    token_infos,
)

LN = math.log


def item(token: str, prob: float, top: list[tuple[str, float]] | None = None) -> dict:
    """A stored logprob item, written with probabilities for readability."""
    out: dict = {"token": token, "logprob": LN(prob)}
    if top is not None:
        out["top"] = [[t, LN(p)] for t, p in top]
    return out


def tokens_of(pieces: list[str], prob: float = 0.9, low: dict[str, float] | None = None) -> list:
    low = low or {}
    return token_infos([item(t, low.get(t, prob)) for t in pieces])


# --- per token -----------------------------------------------------------------------------------


def test_offsets_prob_and_sorted_alternatives() -> None:
    infos = token_infos(
        [
            item("Hello", 0.5, [("Hi", 0.3), ("Hello", 0.5), ("Hey", 0.1)]),
            item(" world", 0.8),
        ]
    )
    hello, world = infos
    assert (hello.index, hello.start, hello.end) == (0, 0, 5)
    assert (world.index, world.start, world.end) == (1, 5, 11)
    assert hello.prob == pytest.approx(0.5)
    assert hello.logprob == pytest.approx(LN(0.5))
    assert [t for t, _ in hello.alternatives] == ["Hello", "Hi", "Hey"]
    assert [p for _, p in hello.alternatives] == pytest.approx([0.5, 0.3, 0.1])


def test_missing_or_empty_top_means_no_alternatives_and_zero_entropy() -> None:
    for stored in ({"token": "a", "logprob": LN(0.7)}, {"token": "a", "logprob": -0.1, "top": []}):
        (info,) = token_infos([stored])
        assert info.alternatives == ()
        assert info.entropy == 0.0
        assert info.margin == pytest.approx(info.prob)


def test_entropy_of_uniform_top4_is_log4_nats_even_if_unnormalised() -> None:
    top = [("a", 0.1), ("b", 0.1), ("c", 0.1), ("d", 0.1)]  # renormalised: 0.25 each
    (info,) = token_infos([item("a", 0.1, top)])
    assert info.entropy == pytest.approx(LN(4))
    assert confidence(info, Metric.ENTROPY) == pytest.approx(0.0)


def test_entropy_of_a_certain_token_is_zero() -> None:
    for top in ([("a", 1.0)], [("a", 1.0), ("b", 1e-300)]):
        (info,) = token_infos([item("a", 1.0, top)])
        assert info.entropy == pytest.approx(0.0)
        assert confidence(info, Metric.ENTROPY) == pytest.approx(1.0)


def test_entropy_ignores_impossible_alternatives() -> None:
    stored = {"token": "a", "logprob": LN(0.5), "top": [["a", LN(0.5)], ["b", -math.inf]]}
    (info,) = token_infos([stored])
    assert info.entropy == pytest.approx(0.0)
    assert info.margin == pytest.approx(0.5)


def test_entropy_exact_value_for_a_skewed_top2() -> None:
    (info,) = token_infos([item("a", 0.6, [("a", 0.6), ("b", 0.2)])])
    q = [0.75, 0.25]
    assert info.entropy == pytest.approx(-sum(x * LN(x) for x in q))


def test_margin_positive_when_chosen_is_favourite_negative_when_not() -> None:
    favourite, underdog = token_infos(
        [
            item("yes", 0.7, [("yes", 0.7), ("no", 0.2), ("maybe", 0.05)]),
            item("no", 0.2, [("yes", 0.7), ("no", 0.2)]),
        ]
    )
    assert favourite.margin == pytest.approx(0.5)
    assert underdog.margin == pytest.approx(-0.5)
    assert confidence(favourite, Metric.MARGIN) == pytest.approx(0.75)
    assert confidence(underdog, Metric.MARGIN) == pytest.approx(0.25)


def test_chosen_token_missing_from_top_is_added_to_alternatives() -> None:
    (info,) = token_infos([item("z", 0.05, [("a", 0.5), ("b", 0.3)])])
    assert [t for t, _ in info.alternatives] == ["a", "b", "z"]
    assert info.margin == pytest.approx(0.05 - 0.5)


def test_metric_values_and_confidence_range() -> None:
    (info,) = token_infos([item("a", 0.4, [("a", 0.4), ("b", 0.4), ("c", 0.2)])])
    assert metric_value(info, Metric.PROBABILITY) == pytest.approx(0.4)
    assert metric_value(info, Metric.LOGPROB) == pytest.approx(LN(0.4))
    assert metric_value(info, Metric.ENTROPY) == pytest.approx(info.entropy)
    assert metric_value(info, Metric.MARGIN) == pytest.approx(0.0)
    assert confidence(info, Metric.PROBABILITY) == pytest.approx(0.4)
    assert confidence(info, Metric.LOGPROB) == pytest.approx(0.4)
    assert confidence(info, Metric.MARGIN) == pytest.approx(0.5)
    expected = 1 - info.entropy / LN(3)
    assert confidence(info, Metric.ENTROPY) == pytest.approx(expected)
    for metric in Metric:
        assert 0.0 <= confidence(info, metric) <= 1.0


def test_metric_names_are_stable_strings() -> None:
    assert [str(m) for m in Metric] == ["probability", "logprob", "entropy", "margin"]
    assert Metric("entropy") is Metric.ENTROPY


# --- summary -------------------------------------------------------------------------------------


def test_summary_perplexity_mean_min_and_threshold() -> None:
    infos = token_infos([item("a", 0.5), item("b", 0.25), item("c", 1.0), item("d", 0.125)])
    s = summarize(infos, threshold=0.3)
    assert s.tokens == 4
    mean_logprob = (LN(0.5) + LN(0.25) + LN(1.0) + LN(0.125)) / 4
    assert s.perplexity == pytest.approx(math.exp(-mean_logprob))
    assert s.perplexity == pytest.approx(2 ** (6 / 4))
    assert s.mean_prob == pytest.approx((0.5 + 0.25 + 1.0 + 0.125) / 4)
    assert s.min_prob == pytest.approx(0.125)
    assert s.min_index == 3
    assert s.below_threshold == 2  # 0.25 and 0.125; 0.5 and 1.0 are not
    assert summarize(infos, threshold=0.5).below_threshold == 2  # strictly below


def test_summary_of_no_tokens() -> None:
    s = summarize([], threshold=0.5)
    assert (s.tokens, s.min_index, s.below_threshold) == (0, -1, 0)
    assert math.isnan(s.perplexity)


def test_summary_of_an_impossible_token_has_infinite_perplexity() -> None:
    infos = token_infos([{"token": "a", "logprob": -1e6}])
    assert summarize(infos, threshold=0.1).perplexity == math.inf


# --- fork -----------------------------------------------------------------------------------------


def test_fork_prefix_is_text_before_the_token_plus_the_alternative() -> None:
    infos = tokens_of(["The", " cat", " sat", "."])
    assert fork_prefix(infos, 2, " slept") == "The cat slept"
    assert fork_prefix(infos, 0, "A") == "A"
    assert fork_prefix(infos, 4, "!") == "The cat sat.!"
    with pytest.raises(IndexError):
        fork_prefix(infos, 5, "x")


# --- JSON fields --------------------------------------------------------------------------------

ADA = ['{"', "name", '":', ' "', "Ada", '",', ' "', "age", '":', " ", "36", ",", ' "', "tags"]
ADA += ['":', ' ["', "x", '",', ' "', "y", '"]', "}"]


def by_path(fields: list[FieldConfidence]) -> dict[str, FieldConfidence]:
    return {f.path: f for f in fields}


def test_realistic_tokenisation_maps_each_leaf_to_its_tokens() -> None:
    text = "".join(ADA)
    assert text == '{"name": "Ada", "age": 36, "tags": ["x", "y"]}'
    infos = tokens_of(ADA, low={"Ada": 0.3, "36": 0.6, "y": 0.45})
    fields = json_field_confidence(text, infos)
    assert fields is not None
    got = by_path(fields)
    assert set(got) == {"$.name", "$.age", "$.tags[0]", "$.tags[1]"}

    def tokens(path: str) -> list[str]:
        return [infos[i].token for i in got[path].token_indexes]

    assert tokens("$.name") == [' "', "Ada", '",']  # the quotes' tokens count
    assert tokens("$.age") == ["36"]
    assert tokens("$.tags[0]") == [' ["', "x", '",']
    assert tokens("$.tags[1]") == [' "', "y", '"]']
    assert got["$.name"].min_prob == pytest.approx(0.3)
    assert got["$.name"].mean_prob == pytest.approx((0.9 + 0.3 + 0.9) / 3)
    assert got["$.name"].value_preview == '"Ada"'
    assert got["$.age"].value_preview == "36"
    # least sure first
    assert [f.path for f in fields] == ["$.name", "$.tags[1]", "$.age", "$.tags[0]"]


def test_nested_paths_literals_and_odd_keys() -> None:
    text = '{"a": {"b": [1, {"c": null}], "d": true}, "my key": false, "e": [[2.5e3, -1]], "f": {}}'
    infos = tokens_of(list(text))  # one character per token
    fields = json_field_confidence(text, infos)
    assert fields is not None
    got = by_path(fields)
    assert list(got) == [
        "$.a.b[0]",
        "$.a.b[1].c",
        "$.a.d",
        '$["my key"]',
        "$.e[0][0]",
        "$.e[0][1]",
    ]
    assert got["$.a.b[1].c"].value_preview == "null"
    assert got["$.e[0][0]"].value_preview == "2.5e3"
    span = got['$["my key"]'].token_indexes
    assert text[span[0] : span[-1] + 1] == "false"


def test_strings_with_escapes_and_structural_characters() -> None:
    text = '{"q": "say \\"hi\\", [ok]: {no}", "n": 1}'
    infos = tokens_of(list(text))
    got = by_path(json_field_confidence(text, infos) or [])
    assert set(got) == {"$.q", "$.n"}
    assert got["$.q"].value_preview == '"say \\"hi\\", [ok]: {no}"'


def test_top_level_scalar_and_array() -> None:
    assert [f.path for f in json_field_confidence("42", tokens_of(["42"])) or []] == ["$"]
    text = '["a", 3]'
    assert [f.path for f in json_field_confidence(text, tokens_of(list(text))) or []] == [
        "$[0]",
        "$[1]",
    ]


def test_invalid_json_is_none() -> None:
    for text in ['{"name": "Ada",', "Sure! Here it is.", "", "   ", '{"x": NaN}', "[1] [2]"]:
        assert json_field_confidence(text, tokens_of(list(text))) is None


def test_fenced_json_with_surrounding_whitespace_maps_to_answer_offsets() -> None:
    pieces = ["\n", "```", "json", "\n", *ADA, "\n", "```", "\n"]
    infos = tokens_of(pieces, low={"Ada": 0.2})
    fields = json_field_confidence("".join(pieces), infos)
    assert fields is not None
    assert fields[0].path == "$.name"
    assert [infos[i].token for i in fields[0].token_indexes] == [' "', "Ada", '",']
    bare = "```\n[true]\n```"
    assert [f.path for f in json_field_confidence(bare, tokens_of(list(bare))) or []] == ["$[0]"]


def test_long_values_are_previewed_short() -> None:
    text = '{"essay": "' + "word " * 100 + '"}'
    (field,) = json_field_confidence(text, tokens_of(list(text))) or []
    assert len(field.value_preview) == 60
    assert field.value_preview.endswith("…")


def test_token_info_is_frozen() -> None:
    (info,) = tokens_of(["a"])
    assert isinstance(info, TokenInfo)
    with pytest.raises(AttributeError):
        info.prob = 0.0  # type: ignore[misc]


def test_confidences_match_confidence_for_every_metric() -> None:
    infos = token_infos(
        [
            item("a", 0.4, [("a", 0.4), ("b", 0.4), ("c", 0.2)]),
            item("b", 0.9, [("b", 0.9), ("c", 0.05)]),
            item("c", 0.1, [("x", 0.6), ("c", 0.1)]),
            item("d", 0.7, [("d", 0.7)]),
            item("e", 0.5),
            {"token": "f", "logprob": 0.01},  # malformed: above 0
        ]
    )
    for metric in Metric:
        expected = [confidence(i, metric) for i in infos]
        assert confidences(infos, metric) == pytest.approx(expected), metric
        assert all(0.0 <= c <= 1.0 for c in confidences(infos, metric))
    assert confidences([], Metric.ENTROPY) == []


def test_built_infos_are_ordinary_frozen_token_infos() -> None:
    (info,) = token_infos([item("a", 0.5, [("a", 0.5), ("b", 0.25)])])
    assert type(info) is TokenInfo
    rebuilt = TokenInfo(
        index=0,
        token="a",
        start=0,
        end=1,
        logprob=info.logprob,
        prob=info.prob,
        entropy=info.entropy,
        margin=info.margin,
        alternatives=info.alternatives,
    )
    assert info == rebuilt
    assert hash(info) == hash(rebuilt)
