"""JSON Schema checks and grammars for structured output (response_format and tool arguments)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

from workbench.local_server.errors import bad_field

# Any JSON object (response_format json_object).
JSON_OBJECT_GRAMMAR = JSON_GBNF


def check_json_schema(schema: Any, param: str) -> None:
    if not isinstance(schema, dict):
        raise bad_field(param, f"{param} must be a JSON Schema object.")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        detail = f" (at {where})" if where else ""
        message = f"{param} is not a valid JSON Schema: {exc.message}{detail}"
        raise bad_field(param, message) from exc


def schema_grammar(schema: dict[str, Any], param: str) -> str:
    """GBNF for documents valid against `schema`; a 400 naming `param` if it cannot be built."""
    check_json_schema(schema, param)
    try:
        return json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # the converter asserts and raises freely on what it cannot do
        raise bad_field(
            param, f"{param} uses JSON Schema features the local model cannot follow: {exc}"
        ) from exc
