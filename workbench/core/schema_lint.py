"""Strict-mode lint of a JSON Schema, as OpenAI checks `response_format` json_schema and strict
function tools: which rule each part breaks, where (a JSONPath like the API's own
`$.properties.email.pattern`), and the line and column in the source text.

The rules themselves live in `schema_rules`; this module only walks the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator

from workbench.core import schema_rules as R

Pointer = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # JSONPath from the schema's root ("$"); a wrapper's name is e.g. "function.name"
    rule: str
    message: str
    severity: R.Severity = "error"
    line: int | None = None  # 1-based, in the source text, where known
    column: int | None = None
    offset: int | None = None  # character offsets of the marked value in the source text
    end: int | None = None


@dataclass(frozen=True, slots=True)
class LintReport:
    findings: tuple[Finding, ...]
    form: str  # "schema", "json_schema", "response_format", "function" or "tool"

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


class SchemaDocumentError(ValueError):
    """The text is not JSON ("not-json") or not a JSON Schema at all ("not-schema")."""

    def __init__(
        self,
        kind: Literal["not-json", "not-schema"],
        message: str,
        line: int | None = None,
        column: int | None = None,
        pointer: Pointer = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.pointer = pointer


# ---------------------------------------------------------------- where things are in the text

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def value_spans(text: str) -> dict[Pointer, tuple[int, int]]:
    """Map the JSON pointer of every value in `text` (valid JSON) to its (start, end) offsets.

    A scan of tokens, not a parser: `json.loads` has already decided the text is JSON."""
    spans: dict[Pointer, tuple[int, int]] = {}
    # One frame per open container: [its pointer, its start, the current key or index,
    # whether the next string is a key].
    frames: list[list[Any]] = []

    def here() -> Pointer:
        return (*frames[-1][0], frames[-1][2]) if frames else ()

    pos = _skip_ws(text, 0)
    while pos < len(text):
        ch = text[pos]
        end = pos + 1
        if ch in "{[":
            frames.append([here(), pos, 0 if ch == "[" else None, ch == "{"])
        elif ch in "}]":
            pointer, start, _, _ = frames.pop()
            spans[pointer] = (start, end)
        elif ch == ",":
            frame = frames[-1]
            if isinstance(frame[2], int):
                frame[2] += 1
            else:
                frame[3] = True
        elif ch == ":":
            frames[-1][3] = False
        else:
            match = (_STRING if ch == '"' else _SCALAR).match(text, pos)
            end = match.end() if match else len(text)
            if ch == '"' and frames and frames[-1][3]:
                frames[-1][2] = json.loads(text[pos:end])
            else:
                spans[here()] = (pos, end)
        pos = _skip_ws(text, end)
    return spans


def line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def json_path(pointer: Pointer) -> str:
    parts = ["$"]
    for key in pointer:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", key):
            parts.append(f".{key}")
        else:
            parts.append(f"[{json.dumps(key)}]")
    return "".join(parts)


# ---------------------------------------------------------------- the document and its wrapper


@dataclass(frozen=True, slots=True)
class Unwrapped:
    schema: Any
    base: Pointer  # where the schema sits in the document
    form: str
    name: Any = None
    name_at: Pointer | None = None
    strict: Any = True


def unwrap(document: Any) -> Unwrapped:
    """Find the schema in a bare schema or in one of the API's wrappers around it."""
    if not isinstance(document, dict):
        return Unwrapped(document, (), "schema")
    fn = document.get("function")
    if document.get("type") == "function" and isinstance(fn, dict) and "parameters" in fn:
        return Unwrapped(fn["parameters"], ("function", "parameters"), "tool", fn.get("name"),
                         ("function", "name"), fn.get("strict"))  # fmt: skip
    js = document.get("json_schema")
    if document.get("type") == "json_schema" and isinstance(js, dict) and "schema" in js:
        return Unwrapped(js["schema"], ("json_schema", "schema"), "response_format",
                         js.get("name"), ("json_schema", "name"), js.get("strict"))  # fmt: skip
    for key, form in (("schema", "json_schema"), ("parameters", "function")):
        if key in document and ("name" in document or "strict" in document):
            return Unwrapped(document[key], (key,), form, document.get("name"), ("name",),
                             document.get("strict"))  # fmt: skip
    return Unwrapped(document, (), "schema")


def check_is_schema(schema: Any) -> None:
    """Raise SchemaDocumentError(not-schema) unless Draft 2020-12's meta-schema accepts it.

    A regex Python cannot compile is left to the lint (`pattern-syntax`): it is a valid
    ECMAScript pattern in a valid schema, which the API still refuses."""
    meta = Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    for error in meta.iter_errors(schema):
        if error.validator == "format" and error.validator_value == "regex":
            continue
        pointer = tuple(error.absolute_path)
        message = f"not a JSON Schema: {json_path(pointer)}: {error.message}"
        raise SchemaDocumentError("not-schema", message, pointer=pointer)


def lint_document(text: str) -> LintReport:
    """Lint a schema (bare or wrapped) given as JSON text; findings carry line and column.

    Raises SchemaDocumentError when the text is not JSON or what it holds is not a schema."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not JSON: {error.msg}"
        raise SchemaDocumentError("not-json", message, error.lineno, error.colno) from None
    except RecursionError:
        raise SchemaDocumentError("not-json", "not JSON this reader can follow: nested too "
                                  "deeply", 1, 1) from None  # fmt: skip
    found = unwrap(document)
    spans = value_spans(text)
    try:
        check_is_schema(found.schema)
    except SchemaDocumentError as error:
        span = _nearest_span(spans, (*found.base, *error.pointer))
        line, column = line_column(text, span[0]) if span else (None, None)
        raise SchemaDocumentError("not-schema", error.message, line, column) from None
    except RecursionError:
        pass  # deeper than jsonschema follows; far past the nesting limit, which says so
    try:
        linted = _lint(found.schema)
    except RecursionError:
        raise SchemaDocumentError("not-schema", "nested too deeply to check", 1, 1) from None
    raw: list[tuple[Pointer, Finding]] = []
    if found.form != "schema":
        if not (isinstance(found.name, str) and re.fullmatch(R.NAME_PATTERN, found.name)):
            raw.append((found.name_at or (), _finding("name", "", name=found.name)))
        if found.strict is not True:
            raw.append(((*found.base[:-1], "strict"), _finding("strict-flag", "")))
    raw += [((*found.base, *ptr), f) for ptr, f in linted]
    findings = []
    for pointer, f in raw:
        span = _nearest_span(spans, pointer)
        line, column = line_column(text, span[0]) if span else (None, None)
        path = f.path or ".".join(map(str, pointer))
        start, end = span or (None, None)
        findings.append(Finding(path, f.rule, f.message, f.severity, line, column, start, end))
    return LintReport(tuple(findings), found.form)


def _nearest_span(
    spans: Mapping[Pointer, tuple[int, int]], pointer: Pointer
) -> tuple[int, int] | None:
    while pointer not in spans and pointer:
        pointer = pointer[:-1]
    return spans.get(pointer)


def lint_schema(schema: Mapping[str, Any]) -> list[Finding]:
    """Lint a bare schema already parsed; findings have paths but no positions."""
    return [f for _, f in _lint(schema)]


# ---------------------------------------------------------------- the walk


def _finding(rule_id: str, path: str, **fields: Any) -> Finding:
    rule = R.RULES_BY_ID[rule_id]
    return Finding(path, rule_id, rule.message.format(**fields), rule.severity)


@dataclass(slots=True)
class _Totals:
    properties: int = 0
    enum_values: int = 0
    chars: int = 0
    deepest: tuple[int, Pointer] = (0, ())
    out: list[tuple[Pointer, Finding]] = field(default_factory=list)

    def add(self, pointer: Pointer, rule_id: str, **fields: Any) -> None:
        self.out.append((pointer, _finding(rule_id, json_path(pointer), **fields)))


def _lint(schema: Any) -> list[tuple[Pointer, Finding]]:
    totals = _Totals()
    if not isinstance(schema, dict):
        totals.add((), "root-object", what="non-object schema")
        return totals.out
    _check_root(schema, totals)
    _walk(schema, (), 1, schema, totals)
    _check_totals(totals)
    return totals.out


def _check_root(schema: dict[str, Any], totals: _Totals) -> None:
    forbidden = [k for k in R.ROOT_FORBIDDEN if k in schema]
    if schema.get("type") not in ("object", ["object"]) or forbidden:
        what = (
            "/".join(repr(k) for k in forbidden) + " at the top level"
            if forbidden
            else f"type {schema.get('type')!r}"
        )
        totals.add((), "root-object", what=what)


def _types(node: dict[str, Any]) -> set[str]:
    declared = node.get("type")
    return {declared} if isinstance(declared, str) else set(declared or ())


def _walk(node: Any, at: Pointer, level: int, root: dict[str, Any], totals: _Totals) -> None:
    if not isinstance(node, dict):
        totals.add(at, "missing-type")
        return
    for key in ("$defs", "definitions"):
        for name, sub in _members(node.get(key)):
            totals.chars += len(name)
            _walk(sub, (*at, key, name), 1, root, totals)
    if "$ref" in node:
        _check_ref(node, at, root, totals)
        return
    types = _types(node)
    # A combinator that is not permitted is reported on its own; naming the missing type too
    # would only repeat it.
    typed_by = ("anyOf", "enum", "const", *R.UNSUPPORTED_KEYWORDS)
    if not types and not any(k in node for k in typed_by):
        totals.add(at, "missing-type")
    _check_keywords(node, at, totals)
    if ("object" in types or "array" in types) and level > totals.deepest[0]:
        totals.deepest = (level, at)
    if "object" in types:
        _check_object(node, at, totals)
    if "array" in types and not isinstance(node.get("items"), dict):
        totals.add(at, "array-items")
    _check_string(node, at, totals)
    _count_values(node, at, totals)
    for name, sub in _members(node.get("properties")):
        totals.properties += 1
        totals.chars += len(name)
        _walk(sub, (*at, "properties", name), level + 1, root, totals)
    if isinstance(node.get("items"), dict):
        _walk(node["items"], (*at, "items"), level + 1, root, totals)
    if isinstance(node.get("anyOf"), list):
        for i, branch in enumerate(node["anyOf"]):
            _walk(branch, (*at, "anyOf", i), level, root, totals)


def _members(value: Any) -> Iterator[tuple[str, Any]]:
    return iter(value.items()) if isinstance(value, dict) else iter(())


def _check_ref(node: dict[str, Any], at: Pointer, root: dict[str, Any], totals: _Totals) -> None:
    others = sorted(k for k in node if k not in ("$ref", "$defs", "definitions"))
    if others and at:
        totals.add(at, "ref-alone", keywords="{" + ", ".join(repr(k) for k in others) + "}")
    if not isinstance(resolve_ref(root, node["$ref"]), dict):
        totals.add((*at, "$ref"), "ref-unresolved", ref=node["$ref"])


def resolve_ref(root: Any, ref: Any) -> Any:
    """The schema a local `$ref` ("#" or "#/a/b") points at, or None."""
    if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
        return None
    target = root
    for raw in ref[2:].split("/") if ref != "#" else ():
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            return None
    return target


def _check_keywords(node: dict[str, Any], at: Pointer, totals: _Totals) -> None:
    for key in node:
        if key in R.UNSUPPORTED_KEYWORDS:
            totals.add((*at, key), "unsupported-keyword", keyword=key)
        elif key not in R.SUPPORTED_KEYWORDS:
            totals.add((*at, key), "undocumented-keyword", keyword=key)


def _check_object(node: dict[str, Any], at: Pointer, totals: _Totals) -> None:
    if node.get("additionalProperties", True) is not False:
        totals.add(at, "additional-properties")
    names = list(node["properties"]) if isinstance(node.get("properties"), dict) else []
    required = node.get("required")
    listed = required if isinstance(required, list) else []
    missing = [n for n in names if n not in listed]
    extra = [n for n in listed if n not in names]
    if missing:
        detail = "Missing " + ", ".join(repr(n) for n in missing) + "."
        totals.add(at, "required-all", detail=detail)
    if extra:
        detail = "Extra required key " + ", ".join(repr(n) for n in extra) + " supplied."
        totals.add((*at, "required"), "required-all", detail=detail)


def _check_string(node: dict[str, Any], at: Pointer, totals: _Totals) -> None:
    fmt = node.get("format")
    if fmt is not None and fmt not in R.SUPPORTED_FORMATS:
        supported = ", ".join(sorted(R.SUPPORTED_FORMATS))
        totals.add((*at, "format"), "string-format", format=fmt, supported=supported)
    pattern = node.get("pattern")
    if not isinstance(pattern, str):
        return
    try:
        re.compile(pattern)
    except re.error as error:
        totals.add((*at, "pattern"), "pattern-syntax", pattern=pattern, error=error.msg)
        return
    if has_lookaround(pattern):
        totals.add((*at, "pattern"), "pattern-lookaround")


def has_lookaround(pattern: str) -> bool:
    """Whether a regex uses (?=, (?!, (?<= or (?<! outside escapes and character classes."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # a literal "]" first in a class
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            return True
        i += 1
    return False


def _count_values(node: dict[str, Any], at: Pointer, totals: _Totals) -> None:
    if "const" in node:
        totals.chars += _chars(node["const"])
    enum = node.get("enum")
    if not isinstance(enum, list):
        return
    totals.enum_values += len(enum)
    totals.chars += sum(_chars(v) for v in enum)
    strings = sum(len(v) for v in enum if isinstance(v, str))
    if len(enum) > R.LARGE_ENUM_THRESHOLD and strings > R.MAX_LARGE_ENUM_CHARS:
        totals.add((*at, "enum"), "max-enum-string-length", values=len(enum), count=strings,
                   threshold=R.LARGE_ENUM_THRESHOLD, limit=R.MAX_LARGE_ENUM_CHARS)  # fmt: skip


def _chars(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(json.dumps(value))


def _check_totals(totals: _Totals) -> None:
    if totals.properties > R.MAX_PROPERTIES:
        totals.add((), "max-properties", count=totals.properties, limit=R.MAX_PROPERTIES)
    level, at = totals.deepest
    if level > R.MAX_NESTING:
        totals.add(at, "max-nesting", count=level, limit=R.MAX_NESTING)
    if totals.enum_values > R.MAX_ENUM_VALUES:
        totals.add((), "max-enum-values", count=totals.enum_values, limit=R.MAX_ENUM_VALUES)
    if totals.chars > R.MAX_STRING_CHARS:
        totals.add((), "max-string-length", count=totals.chars, limit=R.MAX_STRING_CHARS)
