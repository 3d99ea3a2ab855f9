"""One-click fixes: each turns the case it targets into a schema the strict lint accepts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from workbench.core import schema_rules as R
from workbench.core.schema_fixes import (
    FIXES,
    add_additional_properties_false,
    inline_ref_siblings,
    make_strict,
    require_all_properties,
)
from workbench.core.schema_lint import lint_schema, unwrap

CORPUS = Path(__file__).resolve().parents[1] / "data" / "schema-lint"


def corpus_schema(name: str) -> dict[str, Any]:
    return unwrap(json.loads((CORPUS / "rejected" / name).read_text())).schema


def rules(schema: dict[str, Any]) -> list[str]:
    return [f.rule for f in lint_schema(schema) if f.severity == "error"]


def test_every_fix_the_rule_table_offers_exists() -> None:
    offered = {rule.fix for rule in R.RULES if rule.fix}
    assert offered == set(FIXES)


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("nested-object-open.json", "additional-properties"),
        ("empty-object-parameters.json", "additional-properties"),
        ("optional-field-not-required.json", "required-all"),
        ("extra-required-key.json", "required-all"),
        ("ref-with-description.json", "ref-alone"),
    ],
)
def test_the_rules_fix_makes_its_case_acceptable(case: str, rule: str) -> None:
    schema = corpus_schema(case)
    assert rule in rules(schema)
    fix = FIXES[R.RULES_BY_ID[rule].fix]  # type: ignore[index]
    before = copy.deepcopy(schema)
    assert rules(fix(schema)) == []
    assert schema == before  # the fix returns a new schema


def test_make_strict_repairs_what_pydantic_generates() -> None:
    schema = corpus_schema("pydantic-default-schema.json")
    fixed = make_strict(schema)
    assert rules(fixed) == []
    validator = Draft202012Validator(fixed)
    assert validator.is_valid({"street": "Main St", "zip": None})
    assert not validator.is_valid({"street": "Main St"})  # every key is now sent
    assert not validator.is_valid({"street": "Main St", "zip": None, "extra": 1})


def test_an_optional_property_becomes_a_union_with_null() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "unit": {"type": "string", "enum": ["F", "C"]},
            "ratio": {"type": ["number", "integer"]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "step": {"$ref": "#/$defs/Step"},
            "kind": {"const": "x"},
        },
        "required": ["name"],
        "additionalProperties": False,
        "$defs": {"Step": {"type": "string"}},
    }
    props = require_all_properties(schema)["properties"]
    assert props["name"] == {"type": "string"}
    assert props["unit"] == {"type": ["string", "null"], "enum": ["F", "C", None]}
    assert props["ratio"] == {"type": ["number", "integer", "null"]}
    assert props["either"]["anyOf"][-1] == {"type": "null"}
    assert props["step"] == {"anyOf": [{"$ref": "#/$defs/Step"}, {"type": "null"}]}
    assert props["kind"] == {"anyOf": [{"const": "x"}, {"type": "null"}]}
    assert rules(require_all_properties(schema)) == []


def test_closing_objects_reaches_items_anyof_and_definitions() -> None:
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": {"type": "object", "properties": {}}},
            "choice": {"anyOf": [{"type": "object", "additionalProperties": True}]},
        },
        "required": ["list", "choice"],
        "$defs": {"D": {"type": "object", "additionalProperties": {"type": "string"}}},
    }
    fixed = add_additional_properties_false(schema)
    assert "additional-properties" not in rules(fixed)
    assert fixed["$defs"]["D"]["additionalProperties"] is False


def test_inlining_keeps_the_siblings_over_the_definition() -> None:
    schema = {
        "type": "object",
        "properties": {"hero": {"$ref": "#/$defs/Hero", "description": "the hero chart"}},
        "required": ["hero"],
        "additionalProperties": False,
        "$defs": {
            "Hero": {
                "type": "object",
                "description": "a chart",
                "properties": {"title": {"type": "string"}},
                "required": ["title"],
                "additionalProperties": False,
            }
        },
    }
    hero = inline_ref_siblings(schema)["properties"]["hero"]
    assert "$ref" not in hero
    assert hero["description"] == "the hero chart"
    assert hero["properties"] == {"title": {"type": "string"}}


def test_a_recursive_ref_with_siblings_keeps_the_ref_alone() -> None:
    schema = {
        "type": "object",
        "properties": {
            "children": {"type": "array", "items": {"$ref": "#", "description": "a child"}}
        },
        "required": ["children"],
        "additionalProperties": False,
    }
    fixed = inline_ref_siblings(schema)
    assert rules(fixed) == []
    inner = fixed["properties"]["children"]["items"]["properties"]["children"]["items"]
    assert inner == {"$ref": "#"}
