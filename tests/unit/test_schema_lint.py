"""Strict-mode lint: what a person sees for schemas OpenAI accepts and refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core import schema_rules as R
from workbench.core.schema_lint import (
    SchemaDocumentError,
    has_lookaround,
    json_path,
    lint_document,
    lint_schema,
    value_spans,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "schema-lint"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())


def strict_object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }


def errors(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in lint_schema(schema) if f.severity == "error"]


def test_the_corpus_covers_every_file_and_both_outcomes() -> None:
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.json")}
    assert on_disk == set(EXPECTED)
    assert sum(name.startswith("accepted/") for name in EXPECTED) >= 8
    assert sum(name.startswith("rejected/") for name in EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_case_gives_exactly_the_expected_findings(name: str) -> None:
    report = lint_document((CORPUS / name).read_text(encoding="utf-8"))
    found = sorted((f.rule, f.path) for f in report.findings)
    assert found == sorted(tuple(pair) for pair in EXPECTED[name]["findings"])
    assert report.accepted is name.startswith("accepted/")
    assert EXPECTED[name]["source"]


def test_every_rejected_case_names_a_rule_in_the_table() -> None:
    used = {rule for case in EXPECTED.values() for rule, _ in case["findings"]}
    assert used <= set(R.RULES_BY_ID)
    assert {"additional-properties", "required-all", "ref-alone", "array-items"} <= used


def test_every_rule_has_a_source_and_a_quote() -> None:
    assert len({rule.id for rule in R.RULES}) == len(R.RULES)
    for rule in R.RULES:
        assert rule.source and rule.quote and rule.title, rule.id
        assert rule.severity in ("error", "warning")


def test_a_finding_marks_the_offending_text() -> None:
    text = (CORPUS / "rejected/pattern-lookahead.json").read_text()
    [finding] = lint_document(text).findings
    assert finding.offset is not None and finding.end is not None
    assert json.loads(text[finding.offset : finding.end]) == "^(?=.*[A-Za-z])[A-Za-z0-9]{22}$"
    line = text.splitlines()[finding.line - 1]  # type: ignore[operator]
    assert line[finding.column - 1 :].startswith('"^(?=')  # type: ignore[operator]


def test_a_missing_keyword_is_marked_on_its_object() -> None:
    text = '{\n  "type": "object",\n  "properties": {\n    "a": {"type": "object"}\n  },\n  "required": ["a"],\n  "additionalProperties": false\n}'  # noqa: E501
    [closed] = lint_document(text).findings
    assert (closed.rule, closed.path, closed.line, closed.column) == (
        "additional-properties",
        "$.properties.a",
        4,
        10,
    )


def test_value_spans_cover_nested_values_and_escaped_keys() -> None:
    text = '{"a\\"b": [1, {"c": "}"}], "d": null}'
    spans = value_spans(text)
    assert text[slice(*spans[('a"b', 1, "c")])] == '"}"'
    assert text[slice(*spans[('a"b',)])] == '[1, {"c": "}"}]'
    assert text[slice(*spans[("d",)])] == "null"


def test_not_json_names_line_and_column() -> None:
    with pytest.raises(SchemaDocumentError) as caught:
        lint_document('{\n  "type": "object",\n  "properties": {,}\n}')
    assert (caught.value.kind, caught.value.line, caught.value.column) == ("not-json", 3, 18)


@pytest.mark.parametrize(
    ("text", "line"),
    [('{\n  "type": "object",\n  "minItems": -1\n}', 3), ("[1, 2]", 1), ('{"type": 12}', 1)],
)
def test_not_a_schema_is_another_kind_of_error(text: str, line: int) -> None:
    with pytest.raises(SchemaDocumentError) as caught:
        lint_document(text)
    assert caught.value.kind == "not-schema"
    assert caught.value.line == line


def test_a_pattern_python_cannot_compile_is_a_finding_not_a_broken_schema() -> None:
    schema = strict_object({"a": {"type": "string", "pattern": "(?<name>x)"}})
    assert errors(schema) == [("pattern-syntax", "$.properties.a.pattern")]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^(?=x)", True),
        ("a(?<!b)", True),
        ("(?<=a)b", True),
        ("[(?=]", False),
        ("\\(?=x", False),
        ("[]](?!x)", True),
        ("(?:a|b)+", False),
        ("(?P<n>a)(?P=n)", False),
    ],
)
def test_lookaround_is_found_outside_escapes_and_classes(pattern: str, expected: bool) -> None:
    assert has_lookaround(pattern) is expected


def test_paths_quote_keys_that_are_not_names() -> None:
    assert json_path(("properties", "my key", "anyOf", 1)) == '$.properties["my key"].anyOf[1]'
    assert json_path(("$defs", "Step", "items")) == "$.$defs.Step.items"


def test_definitions_are_linted_under_their_own_path() -> None:
    schema = strict_object(
        {"s": {"$ref": "#/$defs/Step"}}, **{"$defs": {"Step": {"type": "object"}}}
    )
    assert errors(schema) == [("additional-properties", "$.$defs.Step")]


def test_an_undocumented_keyword_warns_without_refusing() -> None:
    schema = strict_object({"tags": {"type": "array", "items": {"type": "string"}}})
    schema["properties"]["tags"]["uniqueItems"] = True
    [finding] = lint_schema(schema)
    assert (finding.rule, finding.severity) == ("undocumented-keyword", "warning")
    assert finding.path == "$.properties.tags.uniqueItems"


# ------------------------------------------------------------------ size limits, one each side


def test_object_properties_limit() -> None:
    under = strict_object({f"p{i}": {"type": "string"} for i in range(R.MAX_PROPERTIES)})
    over = strict_object({f"p{i}": {"type": "string"} for i in range(R.MAX_PROPERTIES + 1)})
    assert errors(under) == []
    assert errors(over) == [("max-properties", "$")]


def nested(levels: int) -> dict[str, Any]:
    schema = strict_object({"leaf": {"type": "string"}})
    for _ in range(levels - 1):
        schema = strict_object({"child": schema})
    return schema


def test_nesting_limit() -> None:
    assert errors(nested(R.MAX_NESTING)) == []
    deepest = "$" + ".properties.child" * R.MAX_NESTING
    assert errors(nested(R.MAX_NESTING + 1)) == [("max-nesting", deepest)]


def enums(total: int) -> dict[str, Any]:
    first = total // 2
    return strict_object(
        {
            "a": {"type": "string", "enum": [f"a{i}" for i in range(first)]},
            "b": {"type": "string", "enum": [f"b{i}" for i in range(total - first)]},
        }
    )


def test_enum_values_limit() -> None:
    assert errors(enums(R.MAX_ENUM_VALUES)) == []
    assert errors(enums(R.MAX_ENUM_VALUES + 1)) == [("max-enum-values", "$")]


def large_enum(last: str, count: int = R.LARGE_ENUM_THRESHOLD) -> dict[str, Any]:
    width = R.MAX_LARGE_ENUM_CHARS // count
    values = [f"{i:04d}".ljust(width, "x") for i in range(count)]
    return strict_object({"e": {"type": "string", "enum": [*values, last]}})


def test_large_string_enum_limit() -> None:
    assert sum(len(v) for v in large_enum("")["properties"]["e"]["enum"]) == 15_000
    assert errors(large_enum("")) == []
    assert errors(large_enum("y")) == [("max-enum-string-length", "$.properties.e.enum")]


def test_small_enums_may_be_long() -> None:
    schema = large_enum("", count=R.LARGE_ENUM_THRESHOLD - 1)
    schema["properties"]["e"]["enum"][0] = "z" * 20_000
    assert errors(schema) == []


def long_names(total: int) -> dict[str, Any]:
    width = 10_000
    names = [chr(ord("a") + i) * width for i in range(total // width)]
    names.append("_" * (total % width))
    return strict_object({n: {"type": "string"} for n in names if n})


def test_total_string_length_limit() -> None:
    assert errors(long_names(R.MAX_STRING_CHARS)) == []
    assert errors(long_names(R.MAX_STRING_CHARS + 1)) == [("max-string-length", "$")]


def test_enum_const_and_definition_names_count_towards_the_string_limit() -> None:
    half = R.MAX_STRING_CHARS // 2
    schema = strict_object(
        {"k": {"type": "string", "const": "c" * half}},
        **{"$defs": {"D" * (half - 2): {"type": "string", "enum": ["e"]}}},
    )
    assert errors(schema) == []  # "k", the const, the definition's name and "e": 120,000
    schema["properties"]["k"]["const"] += "c"
    assert errors(schema) == [("max-string-length", "$")]


def test_a_schema_deeper_than_jsonschema_follows_is_still_over_the_nesting_limit() -> None:
    text = json.dumps(nested(250))
    assert [(f.rule, f.severity) for f in lint_document(text).findings] == [
        ("max-nesting", "error")
    ]
    with pytest.raises(SchemaDocumentError) as caught:
        lint_document(json.dumps(nested(250)).replace('"leaf": {', '"leaf": ' + "[" * 3000, 1))
    assert caught.value.kind == "not-json"
