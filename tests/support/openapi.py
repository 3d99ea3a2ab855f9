"""Validate JSON bodies against the OpenAI OpenAPI description with jsonschema.

The spec claims ``openapi: 3.1.0`` (whose schemas are JSON Schema 2020-12, so ``{"type":
"null"}`` inside ``anyOf`` is used ~850 times), yet it still carries OpenAPI 3.0 idioms that
2020-12 silently ignores or rejects. Without conversion those would make validation too lax
(``nullable`` would be ignored, so a null value fails ``type: string``) or wrong:

* ``nullable: true`` -> ``"null"`` added to ``type`` (and ``None`` to ``enum``), or the schema
  wrapped in ``anyOf: [schema, {"type": "null"}]`` when it is a ``$ref``/composition;
* ``allOf: [{$ref: X}, {nullable: true}]`` (3.0's way to make a ref nullable) -> nullable X;
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (3.0) -> numeric form (2020-12);
* ``$recursiveRef``/``$recursiveAnchor`` (2019-09) -> a plain ``$ref`` to the enclosing
  component, since it only ever points at the component itself;
* duplicate names in ``required`` are removed (the meta-schema wants them unique);
* ``x-*``, ``discriminator``, ``example``, ``xml``, ``externalDocs`` are dropped.

``$ref``s stay as they are and resolve through a ``referencing`` registry holding the
converted components, so validators are cheap to build and recursive schemas work.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["SPEC_PATH", "assert_valid", "load_spec", "schema_validator", "to_json_schema"]


def _spec_path() -> Path:
    override = os.environ.get("WORKBENCH_OPENAPI")
    if override:
        path = Path(override)
        return path / "openapi.json" if path.is_dir() else path
    # A copy kept in the repository (with its licence), so a bare clone runs its tests.
    return Path(__file__).resolve().parents[1] / "data" / "openai-openapi" / "openapi.json"


SPEC_PATH: Path = _spec_path()
_SPEC_URI = "urn:workbench:openai-openapi"

# Keywords whose value is one schema, a list of schemas, or a name -> schema map.
_SCHEMA_KEYWORDS = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
    }
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_DROPPED_KEYWORDS = frozenset(
    {"discriminator", "example", "xml", "externalDocs", "nullable", "$recursiveAnchor"}
)
# Keywords that do not constrain anything, so {nullable: true, description: ...} is "just null".
_ANNOTATIONS = frozenset({"description", "title", "default", "deprecated", "nullable"})
_COMPOSITIONS = frozenset({"$ref", "anyOf", "oneOf", "allOf", "const", "not"})


@cache
def load_spec() -> dict[str, Any]:
    """The raw OpenAPI document (cached; do not mutate)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


# --------------------------------------------------------------------------- conversion


def to_json_schema(node: Any, component: str) -> Any:
    """Convert one OpenAPI schema (inside ``#/components/schemas/<component>``) to 2020-12."""
    if isinstance(node, list):
        return [to_json_schema(item, component) for item in node]
    if not isinstance(node, dict):
        return node  # booleans are valid schemas in 2020-12
    node = _lift_nullable_from_all_of(node)
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _DROPPED_KEYWORDS:
            continue
        if key == "$recursiveRef":
            converted["$ref"] = f"#/components/schemas/{component}"
        elif key in _SCHEMA_KEYWORDS or key in _SCHEMA_LIST_KEYWORDS:
            converted[key] = to_json_schema(value, component)
        elif key in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            converted[key] = {name: to_json_schema(s, component) for name, s in value.items()}
        elif key == "required" and isinstance(value, list):
            # A few schemas list a name twice, which the 2020-12 meta-schema forbids.
            converted[key] = list(dict.fromkeys(value))
        else:
            converted[key] = value  # a keyword's value (enum, required, default...), verbatim
    _fix_exclusive_bounds(converted)
    if node.get("nullable") is True:
        return _make_nullable(converted)
    return converted


def _is_bare_nullable(node: Any) -> bool:
    return isinstance(node, dict) and node.get("nullable") is True and set(node) <= _ANNOTATIONS


def _lift_nullable_from_all_of(node: dict[str, Any]) -> dict[str, Any]:
    # allOf: [{$ref: X}, {nullable: true}] means "X or null" in 3.0; as 2020-12 it would mean
    # "X and anything", which rejects null. Move the nullability up to the parent.
    members = node.get("allOf")
    if not isinstance(members, list) or not any(_is_bare_nullable(m) for m in members):
        return node
    kept = [m for m in members if not _is_bare_nullable(m)]
    return {**node, "allOf": kept, "nullable": True}


def _fix_exclusive_bounds(schema: dict[str, Any]) -> None:
    # 3.0: {minimum: 0, exclusiveMinimum: true}; 2020-12: {exclusiveMinimum: 0}.
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = schema.get(exclusive)
        if not isinstance(flag, bool):
            continue
        del schema[exclusive]
        if flag and inclusive in schema:
            schema[exclusive] = schema.pop(inclusive)


def _make_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    type_ = schema.get("type")
    if isinstance(type_, str | list) and not (_COMPOSITIONS & set(schema)):
        types = [type_] if isinstance(type_, str) else list(type_)
        result = {**schema, "type": [*types, "null"] if "null" not in types else types}
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            result["enum"] = [*schema["enum"], None]
        return result
    if not (set(schema) - _ANNOTATIONS):
        return schema  # unconstrained already admits null
    return {"anyOf": [schema, {"type": "null"}]}


# --------------------------------------------------------------------------- validators


@cache
def _registry() -> Registry[Any]:
    schemas = load_spec()["components"]["schemas"]
    converted = {name: to_json_schema(schema, name) for name, schema in schemas.items()}
    document = {"components": {"schemas": converted}}
    resource = Resource(contents=document, specification=DRAFT202012)
    return Registry().with_resource(_SPEC_URI, resource)


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """A cached validator for ``#/components/schemas/<name>``."""
    if name not in load_spec()["components"]["schemas"]:
        raise KeyError(f"no schema {name!r} in {SPEC_PATH}")
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=_registry())


def _describe(error: ValidationError, limit: int = 300) -> str:
    # For anyOf/oneOf failures the top message repeats the whole instance; the best
    # sub-error usually says what is actually wrong.
    detail = best_match(error.context) if error.context else None
    message = error.message if detail is None else f"{error.message} ({detail.message})"
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"  at {error.json_path}: {message}"


def assert_valid(name: str, instance: Any, max_errors: int = 20) -> None:
    """Raise AssertionError listing every way ``instance`` violates schema ``name``."""
    errors = sorted(schema_validator(name).iter_errors(instance), key=lambda e: e.json_path)
    if not errors:
        return
    lines = [f"{name}: {len(errors)} validation error(s)"]
    lines += [_describe(error) for error in errors[:max_errors]]
    if len(errors) > max_errors:
        lines.append(f"  ... and {len(errors) - max_errors} more")
    raise AssertionError("\n".join(lines))
