"""Every assertion kind, passing and failing, with the reason a person reads; and the judge."""

from __future__ import annotations

import json

import pytest

from workbench.core.prompt_lab.assertions import assertion_problem, check, describe
from workbench.core.prompt_lab.judge import JUDGE_SCHEMA, judge_params, judge_turns, read_verdict
from workbench.core.prompt_lab.model import Assertion, AssertionKind, CheckResult

K = AssertionKind
SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
        "required": ["city", "temp"],
    }
)


def run(kind: K, value: str, output: str, latency: float | None = 100.0, cost=0.001):
    return check(Assertion(kind, value), 3, output, latency, cost)


@pytest.mark.parametrize(
    ("kind", "value", "good", "bad", "why"),
    [
        (K.CONTAINS, "Paris", "It is Paris.", "It is Lyon.", "“Paris” not found in “It is Lyon.”"),
        (K.NOT_CONTAINS, "sorry", "Here you go.", "I'm sorry.", "contains “sorry” at character 5"),
        (K.REGEX, r"^\d{3}-\d{4}$", "555-1234", "call 555-1234", "did not match"),
        (K.EQUALS, "yes", "  yes\n", "yes!", "expected “yes”, got “yes!”"),
        (K.VALID_JSON, "", '{"a": [1, 2]}', '{"a": [1, 2]', "not JSON"),
        (
            K.JSON_SCHEMA,
            SCHEMA,
            '{"city": "Oslo", "temp": 3}',
            '{"city": "Oslo"}',
            "$: 'temp' is a required property",
        ),
        (K.MAX_LENGTH, "5", "short", "longer", "6 characters (over 5)"),
    ],
)
def test_each_text_kind_passes_and_fails_with_a_reason(kind, value, good, bad, why) -> None:
    passed = run(kind, value, good)
    assert passed.passed and passed.index == 3
    failed = run(kind, value, bad)
    assert not failed.passed and why in failed.reason


def test_json_in_a_code_fence_is_read_as_json() -> None:
    fenced = '```json\n{"city": "Oslo", "temp": 3}\n```'
    assert run(K.VALID_JSON, "", fenced).passed
    assert run(K.JSON_SCHEMA, SCHEMA, fenced).passed
    assert not run(K.JSON_SCHEMA, SCHEMA, "Sure! {}").passed


def test_latency_is_the_models_time_and_has_to_be_known() -> None:
    assert run(K.MAX_LATENCY_MS, "500", "", latency=499.0).passed
    slow = run(K.MAX_LATENCY_MS, "500", "", latency=1234.0)
    assert not slow.passed and slow.reason == "1,234 ms (over 500 ms)"
    assert not run(K.MAX_LATENCY_MS, "500", "", latency=None).passed


def test_cost_is_checked_only_when_the_price_is_known() -> None:
    assert run(K.MAX_COST_USD, "0.01", "", cost=0.002).passed
    assert run(K.MAX_COST_USD, "0.01", "", cost=0.0).passed  # free
    assert not run(K.MAX_COST_USD, "0.01", "", cost=0.02).passed
    unknown = run(K.MAX_COST_USD, "0.01", "", cost=None)
    assert not unknown.passed and "unknown" in unknown.reason


@pytest.mark.parametrize(
    ("assertion", "problem"),
    [
        (Assertion(K.REGEX, "(unclosed"), "The regex /(unclosed/ is not valid"),
        (Assertion(K.JSON_SCHEMA, "{not json"), "The JSON schema is not valid JSON"),
        (Assertion(K.JSON_SCHEMA, '{"type": "thing"}'), "The JSON schema is not valid"),
        (Assertion(K.JSON_SCHEMA, "[1]"), "The JSON schema must be an object"),
        (Assertion(K.MAX_LENGTH, "ten"), "“ten” is not a number"),
        (Assertion(K.MAX_COST_USD, "-1"), "A limit can't be negative"),
        (Assertion(K.CONTAINS, ""), "Give the text"),
        (Assertion(K.JUDGE, "  "), "Give the judge a rubric"),
    ],
)
def test_a_bad_assertion_is_said_before_and_fails_if_run(assertion, problem) -> None:
    said = assertion_problem(assertion)
    assert said is not None and said.startswith(problem)
    if assertion.kind is not K.JUDGE:
        result = check(assertion, 0, "anything", 1.0, 0.0)
        assert not result.passed and result.reason == said


def test_good_assertions_have_no_problem_and_describe_themselves() -> None:
    for kind in K:
        value = {K.JSON_SCHEMA: SCHEMA, K.REGEX: "a+", K.VALID_JSON: ""}.get(kind, "5")
        assert assertion_problem(Assertion(kind, value)) is None
        assert describe(Assertion(kind, value))


def test_the_judge_is_given_the_rubric_task_and_answer_and_held_to_a_verdict_schema() -> None:
    system, user = judge_turns("Mentions a colour.", "Describe the sky.", "It is blue.")
    assert system.role == "system" and "JSON" in system.content
    assert "Mentions a colour." in user.content
    assert "<task>\nDescribe the sky.\n</task>" in user.content
    assert "<answer>\nIt is blue.\n</answer>" in user.content
    params = judge_params("gpt-4o-mini")
    assert params.temperature == 0.0 and params.response_format == "json_schema"
    assert json.loads(params.json_schema) == JUDGE_SCHEMA


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"pass": true, "reason": "Says blue."}', CheckResult(2, True, "judge: Says blue.")),
        (
            '```json\n{"pass": false, "reason": "No colour."}\n```',
            CheckResult(2, False, "judge: No colour."),
        ),
        ('{"pass": true}', CheckResult(2, True, "judge: (no reason given)")),
    ],
)
def test_the_judges_verdict_is_read(answer, expected) -> None:
    assert read_verdict(2, answer) == expected


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("Looks fine to me!", "did not answer in JSON"),
        ('{"pass": "yes", "reason": "x"}', "no pass/fail verdict"),
        ("[true]", "no pass/fail verdict"),
    ],
)
def test_an_answer_that_is_not_a_verdict_fails_saying_so(answer, why) -> None:
    result = read_verdict(0, answer)
    assert not result.passed and why in result.reason
