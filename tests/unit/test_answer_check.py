"""An answer asked for as JSON schema output, checked against the schema it was sent with."""

from __future__ import annotations

import json

from workbench.core.answer_check import (
    REFUSAL_MARK,
    check_answer,
    finding_lines,
    json_path,
    schema_sent,
    summary,
)

CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "population": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "required": ["name"]}},
    },
    "required": ["city", "population"],
    "additionalProperties": False,
}


def test_a_valid_answer_matches() -> None:
    check = check_answer('{"city": "Lyon", "population": 522000}', CITY)
    assert check.matches and check.count == 0
    assert summary(check) == "Matches the schema" and finding_lines(check) == []


def test_violations_give_their_json_paths_sorted() -> None:
    answer = {"population": "many", "city": 3, "items": [{}, {}, {"x": 1}] * 4}
    check = check_answer(json.dumps(answer), CITY)
    paths = [f.path for f in check.findings]
    assert paths[0] == "$.city" and "$.population" in paths
    assert "$.items[2]" in paths and paths.index("$.items[2]") < paths.index("$.items[10]")
    population = next(f for f in check.findings if f.path == "$.population")
    assert population.message == "'many' is not of type 'integer'"
    assert summary(check) == f"{check.count} problems with the schema:"
    assert "$.population: 'many' is not of type 'integer'" in finding_lines(check)


def test_a_missing_property_is_reported_at_its_object() -> None:
    check = check_answer('{"city": "Lyon"}', CITY)
    assert [(f.path, f.message) for f in check.findings] == [
        ("$", "'population' is a required property")
    ]
    assert summary(check) == "1 problem with the schema:"


def test_text_that_is_not_json_is_one_finding() -> None:
    check = check_answer('{"city": "Lyon",\n  population: 3}', CITY)
    assert check.not_json and len(check.findings) == 1
    assert check.findings[0].message.startswith("not JSON: line 2, column 3")
    assert summary(check).startswith("Not JSON: line 2, column 3")


def test_a_refusal_is_a_refusal_not_a_json_error() -> None:
    check = check_answer(REFUSAL_MARK + "I can't help with that.", CITY)
    assert check.refused and not check.not_json and not check.findings
    assert summary(check).startswith("Refused")


def test_the_refusal_mark_is_the_pipelines() -> None:
    from workbench.services.run_pipeline import REFUSAL_MARK as STORED

    assert REFUSAL_MARK == STORED


def test_many_violations_are_capped() -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    check = check_answer(json.dumps(["x"] * 120), schema)
    assert len(check.findings) == 50 and check.more == 70 and check.count == 120
    assert finding_lines(check)[-1] == "… and 70 more"
    assert check.findings[1].path == "$[1]"  # numeric order, not text order


def test_the_schema_is_taken_from_the_stored_request() -> None:
    body = {
        "model": "gpt-4o",
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": CITY, "strict": True},
        },
    }
    assert schema_sent(body) == CITY
    assert schema_sent({"response_format": {"type": "json_object"}}) is None
    assert schema_sent({"model": "gpt-4o"}) is None and schema_sent(None) is None


def test_json_paths_quote_odd_keys() -> None:
    assert json_path(["items", 2, "name"]) == "$.items[2].name"
    assert json_path(["a b"]) == '$["a b"]'
