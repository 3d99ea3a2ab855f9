"""The schema editor's workers: a strict schema from an example, fixes that keep the wrapper, the
text the chat takes, and the Pydantic model a schema describes."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest

from workbench.core.schema_lint import lint_document
from workbench.services.schema_tools import (
    ExampleError,
    PreviewError,
    chat_schema_text,
    fixed_text,
    infer_in_worker,
    lint_in_worker,
    pretty_json,
    python_model,
    schema_from_example,
)

OPEN = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


def test_schema_from_an_example_fits_it_and_is_strict() -> None:
    example = {"id": 3, "tags": ["x"], "items": [{"sku": "a", "note": "n"}, {"sku": "b"}]}
    schema = schema_from_example(json.dumps(example))
    assert lint_document(json.dumps(schema)).accepted
    # Strict mode requires every field: one missing from some items becomes required but
    # nullable, so the example fits with null written where it had nothing.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(example, schema)
    example["items"][1]["note"] = None
    jsonschema.validate(example, schema)


@pytest.mark.parametrize(
    ("text", "start"), [('{"a": ', "Not JSON: "), ("[1, 2]", "The example must be a JSON object")]
)
def test_an_example_that_cannot_be_a_schema_is_named(text: str, start: str) -> None:
    with pytest.raises(ExampleError) as error:
        schema_from_example(text)
    assert str(error.value).startswith(start)


def test_a_fix_inside_a_wrapper_keeps_the_wrapper() -> None:
    wrapped = {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": OPEN}}
    out = json.loads(fixed_text(json.dumps(wrapped), "additional-properties-false"))
    assert out["json_schema"]["name"] == "x"
    assert out["json_schema"]["schema"]["additionalProperties"] is False
    assert lint_document(json.dumps(out)).accepted


def test_pretty_json_keeps_short_lists_on_a_line() -> None:
    value = {"type": ["string", "null"], "items": [{"a": 1}], "e": [], "o": {}}
    text = pretty_json(value)
    assert json.loads(text) == value
    assert '  "type": ["string", "null"],' in text.splitlines()
    assert text.splitlines()[2] == '  "items": ['


def test_the_chat_gets_the_bare_schema() -> None:
    wrapped = {"name": "x", "strict": True, "schema": OPEN}
    assert json.loads(chat_schema_text(json.dumps(wrapped))) == OPEN
    assert chat_schema_text("{nope") == "{nope"


def test_python_model_names_the_class_and_fields() -> None:
    schema = {**OPEN, "title": "Thing", "additionalProperties": False}
    code = python_model(json.dumps(schema))
    assert "class Thing(BaseModel)" in code and "    a: str" in code
    compile(code, "<preview>", "exec")


def test_python_model_failure_is_a_preview_error() -> None:
    with pytest.raises(PreviewError):
        python_model("{not json")


def test_workers_answer_on_the_loop() -> None:
    async def both() -> tuple[object, object]:
        report = await lint_in_worker(json.dumps(OPEN))
        schema = await infer_in_worker('{"a": 1}')
        return report, schema

    report, schema = asyncio.run(both())
    assert not report.accepted  # type: ignore[union-attr]
    assert schema["properties"]["a"] == {"type": "integer"}  # type: ignore[index]
