"""One-click fixes for strict-mode findings: pure functions from a schema to a new schema.

Each fix answers one rule of `schema_rules` (its `fix` field names the fix here) and leaves the
input untouched. `make_strict` applies them all in the order openai-python's
`_ensure_strict_json_schema` does: unravel `$ref`s that have siblings, then close every object
and require every property.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from workbench.core.schema_lint import resolve_ref

Schema = dict[str, Any]

# Keywords whose values are schemas or maps/lists of schemas: where a fix walks.
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "not", "if", "then", "else", "contains", "propertyNames")


def _subschemas(node: Schema) -> Iterator[Schema]:
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            yield from (v for v in node[key].values() if isinstance(v, dict))
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            yield from (v for v in node[key] if isinstance(v, dict))
    for key in _SCHEMA_ONE:
        if isinstance(node.get(key), dict):
            yield node[key]


def _every_schema(node: Schema) -> Iterator[Schema]:
    yield node
    for sub in _subschemas(node):
        yield from _every_schema(sub)


def _is_object(node: Schema) -> bool:
    declared = node.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    return "object" in types or (not types and "properties" in node and "$ref" not in node)


def add_additional_properties_false(schema: Schema) -> Schema:
    """Every object gets `additionalProperties: false` (a schema or `true` there is replaced)."""
    fixed = copy.deepcopy(schema)
    for node in _every_schema(fixed):
        if _is_object(node):
            node["additionalProperties"] = False
    return fixed


def require_all_properties(schema: Schema) -> Schema:
    """Every property is listed in `required`; one that was optional becomes "or null"."""
    fixed = copy.deepcopy(schema)
    for node in _every_schema(fixed):
        properties = node.get("properties")
        if not isinstance(properties, dict):
            continue
        required = node.get("required") if isinstance(node.get("required"), list) else []
        for name, prop in properties.items():
            if name not in required:
                properties[name] = nullable(prop)
        node["required"] = list(properties)
    return fixed


def nullable(prop: Any) -> Any:
    """The same schema, also accepting null: `"type": [..., "null"]` where the type is plain,
    else a `{"type": "null"}` branch in an anyOf."""
    if not isinstance(prop, dict):
        return {"anyOf": [prop, {"type": "null"}]}
    prop = dict(prop)
    declared = prop.get("type")
    plain = "$ref" not in prop and "anyOf" not in prop and "const" not in prop
    if plain and isinstance(declared, str | list):
        types = [declared] if isinstance(declared, str) else list(declared)
        if "null" not in types:
            prop["type"] = [*types, "null"]
        if isinstance(prop.get("enum"), list) and None not in prop["enum"]:
            prop["enum"] = [*prop["enum"], None]
        return prop
    if isinstance(prop.get("anyOf"), list) and "$ref" not in prop:
        if {"type": "null"} not in prop["anyOf"]:
            prop["anyOf"] = [*prop["anyOf"], {"type": "null"}]
        return prop
    return {"anyOf": [prop, {"type": "null"}]}


def inline_ref_siblings(schema: Schema) -> Schema:
    """A `$ref` with sibling keywords is replaced by its target merged with the siblings (the
    siblings win), as openai-python does. A ref back into itself keeps the `$ref` and drops the
    siblings, since inlining it would never end."""
    fixed = copy.deepcopy(schema)
    _inline(fixed, fixed, ())
    return fixed


def _inline(node: Schema, root: Schema, expanding: tuple[str, ...]) -> None:
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        target = resolve_ref(root, ref)
        if ref in expanding or not isinstance(target, dict):
            siblings = [k for k in node if k not in ("$ref", "$defs", "definitions")]
            for key in siblings:
                del node[key]
        else:
            inlined = {k: v for k, v in target.items() if k not in ("$defs", "definitions")}
            merged = {**copy.deepcopy(inlined), **node}
            del merged["$ref"]
            node.clear()
            node.update(merged)
            _inline(node, root, (*expanding, ref))
            return
    for sub in list(_subschemas(node)):
        _inline(sub, root, expanding)


def make_strict(schema: Schema) -> Schema:
    """All the fixes, in the order that lets each see the others' work."""
    return require_all_properties(add_additional_properties_false(inline_ref_siblings(schema)))


FIXES: dict[str, Callable[[Schema], Schema]] = {
    "additional-properties-false": add_additional_properties_false,
    "require-all-properties": require_all_properties,
    "inline-ref-siblings": inline_ref_siblings,
}
