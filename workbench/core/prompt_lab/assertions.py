"""Checking a cell's answer against its prompt's assertions, each with a reason a person reads.

The judge is not here: it needs a model's answer (see `judge`). A bad assertion (a regex that
does not compile, a schema that is not JSON, a limit that is not a number) is said before any
request is sent by `assertion_problem`, and fails its check with the same words if run anyway.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workbench.core.answer_check import check_answer, finding_lines
from workbench.core.prompt_lab.model import Assertion, AssertionKind, CheckResult

_FENCE = re.compile(r"\A```[A-Za-z0-9_-]*\n(?P<body>.*)\n```\Z", re.DOTALL)
_LIMITS = (AssertionKind.MAX_LENGTH, AssertionKind.MAX_LATENCY_MS, AssertionKind.MAX_COST_USD)
_SHOWN = 60  # characters of the answer quoted in a reason


def describe(a: Assertion) -> str:
    """The assertion in a few words, for lists and tooltips."""
    v = a.value
    return {
        AssertionKind.CONTAINS: f"contains “{v}”",
        AssertionKind.NOT_CONTAINS: f"does not contain “{v}”",
        AssertionKind.REGEX: f"matches /{v}/",
        AssertionKind.EQUALS: f"equals “{v}”",
        AssertionKind.VALID_JSON: "is valid JSON",
        AssertionKind.JSON_SCHEMA: "matches the JSON schema",
        AssertionKind.MAX_LENGTH: f"at most {v} characters",
        AssertionKind.MAX_LATENCY_MS: f"answers within {v} ms",
        AssertionKind.MAX_COST_USD: f"costs at most ${v}",
        AssertionKind.JUDGE: f"judged by {a.rubric_model or 'the same model'}: {v}",
    }[a.kind]


def assertion_problem(a: Assertion) -> str | None:
    """Why this assertion can't be checked, or None when it can."""
    if a.kind in (AssertionKind.CONTAINS, AssertionKind.NOT_CONTAINS) and not a.value:
        return "Give the text to look for."
    if a.kind is AssertionKind.JUDGE and not a.value.strip():
        return "Give the judge a rubric: what makes an answer pass."
    if a.kind is AssertionKind.REGEX:
        try:
            _regex(a.value)
        except re.error as exc:
            return f"The regex /{a.value}/ is not valid: {exc}."
    if a.kind is AssertionKind.JSON_SCHEMA:
        try:
            _schema(a.value)
        except ValueError as exc:
            return str(exc)
    if a.kind in _LIMITS:
        try:
            limit = float(a.value)
        except ValueError:
            return f"“{a.value}” is not a number."
        if limit < 0:
            return "A limit can't be negative."
    return None


def check(
    a: Assertion, index: int, output: str, latency_ms: float | None, cost_usd: float | None
) -> CheckResult:
    """One assertion (not a judge) against a finished cell."""
    problem = assertion_problem(a)
    if problem is not None:
        return CheckResult(index, False, problem)
    passed, reason = _CHECKS[a.kind](a.value, output, latency_ms, cost_usd)
    return CheckResult(index, passed, reason)


def unfenced(output: str) -> str:
    """The answer without one surrounding ``` fence, which models often add around JSON."""
    text = output.strip()
    match = _FENCE.match(text)
    return match.group("body") if match else text


def _contains(value: str, output: str, *_: Any) -> tuple[bool, str]:
    if value in output:
        return True, f"contains “{value}”"
    return False, f"“{value}” not found in {_quote(output)}"


def _not_contains(value: str, output: str, *_: Any) -> tuple[bool, str]:
    at = output.find(value)
    if at < 0:
        return True, f"does not contain “{value}”"
    return False, f"contains “{value}” at character {at + 1}"


def _matches(value: str, output: str, *_: Any) -> tuple[bool, str]:
    found = _regex(value).search(output)
    if found:
        return True, f"/{value}/ matched “{found.group(0)[:_SHOWN]}”"
    return False, f"/{value}/ did not match {_quote(output)}"


def _equals(value: str, output: str, *_: Any) -> tuple[bool, str]:
    # Surrounding whitespace and a final newline are never what a prompt is testing.
    if output.strip() == value.strip():
        return True, "equal"
    return False, f"expected “{value.strip()[:_SHOWN]}”, got {_quote(output.strip())}"


def _valid_json(_value: str, output: str, *_: Any) -> tuple[bool, str]:
    try:
        json.loads(unfenced(output))
    except ValueError as exc:
        return False, f"not JSON: {exc}"
    return True, "valid JSON"


def _matches_schema(value: str, output: str, *_: Any) -> tuple[bool, str]:
    result = check_answer(unfenced(output), _schema(value))
    if result.refused:
        return False, "the model refused"
    if result.not_json:
        return False, result.findings[0].message
    if result.matches:
        return True, "matches the schema"
    return False, "; ".join(finding_lines(result)[:3])


def _max_length(value: str, output: str, *_: Any) -> tuple[bool, str]:
    limit = float(value)
    size = len(output)
    verdict = size <= limit
    return verdict, f"{size:,} characters ({'within' if verdict else 'over'} {limit:g})"


def _max_latency(
    value: str, _output: str, latency_ms: float | None, _cost: Any
) -> tuple[bool, str]:
    if latency_ms is None:
        return False, "no latency was measured"
    limit = float(value)
    verdict = latency_ms <= limit
    return verdict, f"{latency_ms:,.0f} ms ({'within' if verdict else 'over'} {limit:g} ms)"


def _max_cost(value: str, _output: str, _latency: Any, cost_usd: float | None) -> tuple[bool, str]:
    if cost_usd is None:
        return False, "the price is unknown, so the cost can't be checked"
    limit = float(value)
    verdict = cost_usd <= limit
    return verdict, f"${cost_usd:.6f} ({'within' if verdict else 'over'} ${limit:g})"


_CHECKS = {
    AssertionKind.CONTAINS: _contains,
    AssertionKind.NOT_CONTAINS: _not_contains,
    AssertionKind.REGEX: _matches,
    AssertionKind.EQUALS: _equals,
    AssertionKind.VALID_JSON: _valid_json,
    AssertionKind.JSON_SCHEMA: _matches_schema,
    AssertionKind.MAX_LENGTH: _max_length,
    AssertionKind.MAX_LATENCY_MS: _max_latency,
    AssertionKind.MAX_COST_USD: _max_cost,
}


def _quote(text: str) -> str:
    if not text:
        return "an empty answer"
    short = text[:_SHOWN].replace("\n", " ")
    return f"“{short}…”" if len(text) > _SHOWN else f"“{short}”"


@lru_cache(maxsize=128)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=32)
def _schema(text: str) -> dict[str, Any]:
    # Cached: the same schema checks every cell of a matrix. Callers never mutate it.
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"The JSON schema is not valid JSON: {exc}.") from exc
    if not isinstance(schema, dict):
        raise ValueError("The JSON schema must be an object.")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"The JSON schema is not valid: {exc.message}.") from exc
    return schema
