"""The strict-mode rules OpenAI applies to a JSON Schema, as one table.

Each rule says where it comes from: the Structured Outputs guide ("Supported schemas"), the
API reference, openai-python's `to_strict_json_schema`, or a 400 the API returned to someone
who reported it in public. A rule change is a one-line edit here; `schema_lint` only walks the
schema and reports against these ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

GUIDE = "https://developers.openai.com/api/docs/guides/structured-outputs#supported-schemas"
OPENAI_PYTHON = (
    "https://github.com/openai/openai-python/blob/main/src/openai/lib/_pydantic.py"
    " (_ensure_strict_json_schema)"
)
API_REFERENCE = "OpenAI OpenAPI description (tests/data/openai-openapi): FunctionObject.name"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    message: str  # a str.format template; the lint fills in the named fields
    source: str
    quote: str
    severity: Severity = "error"
    fix: str | None = None  # the id of a one-click fix in `schema_fixes.FIXES`


RULES: tuple[Rule, ...] = (
    Rule(
        "root-object",
        "The root is an object, not a union",
        "the root schema must have type 'object', not {what}",
        f"{GUIDE}; 400s quoted in github.com/chatanywhere/GPT_API_free/issues/403",
        "the root level object of a schema must be an object, and not use anyOf",
    ),
    Rule(
        "additional-properties",
        "Every object sets additionalProperties: false",
        "'additionalProperties' is required to be supplied and to be false",
        f"{GUIDE}; 400 in github.com/lastmile-ai/openai-agents-mcp/issues/2",
        "additionalProperties: false must always be set in objects",
        fix="additional-properties-false",
    ),
    Rule(
        "required-all",
        "Every property is required",
        "'required' is required to be supplied and to be an array including every key in "
        "properties. {detail}",
        f"{GUIDE}; 400 in github.com/vercel/ai/issues/6484",
        "To use Structured Outputs, all fields or function parameters must be specified as "
        "required. ... emulate an optional parameter by using a union type with null",
        fix="require-all-properties",
    ),
    Rule(
        "ref-alone",
        "A $ref stands alone",
        "$ref cannot have keywords {keywords}",
        f"{OPENAI_PYTHON}; 400 in github.com/defog-ai/defog/pull/244",
        "we can't use `$ref`s if there are also other properties defined ... so we unravel the ref",
        fix="inline-ref-siblings",
    ),
    Rule(
        "ref-unresolved",
        "A $ref points inside the schema",
        "$ref {ref!r} does not resolve to a schema in this document",
        f"{GUIDE} (Definitions are supported; Recursive schemas are supported)",
        "You can use definitions to define subschemas which are referenced throughout your schema",
    ),
    Rule(
        "array-items",
        "An array has items",
        "array schema missing items",
        "400 in github.com/sigoden/aichat/pull/1049",
        "In context=('properties', 'paths'), array schema missing items.",
    ),
    Rule(
        "missing-type",
        "Every schema names its type",
        "schema must have a 'type' key (or be an anyOf, enum, const or $ref)",
        "400 in github.com/can1357/oh-my-pi/issues/211",
        "In context=('properties', 'slide_instructions', 'items'), schema must have a 'type' key.",
    ),
    Rule(
        "unsupported-keyword",
        "Only supported keywords",
        "'{keyword}' is not permitted",
        f"{GUIDE} (Some type-specific keywords are not yet supported); 400s in "
        "github.com/makenotion/notion-mcp-server/issues/117 (allOf), "
        "github.com/can1357/oh-my-pi/issues/209 (propertyNames), "
        "github.com/ai-dynamo/dynamo/pull/15153 (oneOf)",
        "Composition: allOf, not, dependentRequired, dependentSchemas, if, then, else",
    ),
    Rule(
        "undocumented-keyword",
        "Keywords the guide does not list",
        "'{keyword}' is not among the keywords the guide lists as supported; the API may reject it",
        GUIDE,
        "In addition to specifying the type of a property, you can specify a selection of "
        "additional constraints",
        severity="warning",
    ),
    Rule(
        "string-format",
        "Only supported string formats",
        "{format!r} is not a valid format (supported: {supported})",
        f"{GUIDE}; 400 in github.com/can1357/oh-my-pi/issues/206",
        "format — Predefined formats for strings. Currently supported: date-time, time, date, "
        "duration, email, hostname, ipv4, ipv6, uuid",
    ),
    Rule(
        "pattern-lookaround",
        "No regex lookaround",
        "regex lookaround is not supported",
        "400 in github.com/anomalyco/opencode/issues/32073 and github.com/vercel/ai/pull/21037",
        "Invalid JSON schema: regex lookaround is not supported. Found at "
        "$.properties.fileKey.pattern.",
    ),
    Rule(
        "pattern-syntax",
        "The regex compiles",
        "{pattern!r} is not a 'regex' the API accepts: {error}",
        "400 quoted in github.com/pleaseai/shunt/pull/488 (the API checks `pattern` with "
        "Python's re: no \\p{{...}}, no (?<name>...))",
        "Invalid schema for function 'Artifact': '...' is not a 'regex'.",
    ),
    Rule(
        "max-properties",
        "At most 5,000 object properties",
        "the schema has {count} object properties; the limit is {limit}",
        GUIDE,
        "A schema may have up to 5000 object properties total, with up to 10 levels of nesting.",
    ),
    Rule(
        "max-nesting",
        "At most 10 levels of nesting",
        "this schema is nested {count} levels deep; the limit is {limit}",
        GUIDE,
        "A schema may have up to 5000 object properties total, with up to 10 levels of nesting.",
    ),
    Rule(
        "max-enum-values",
        "At most 1,000 enum values",
        "the schema has {count} enum values; the limit is {limit}",
        GUIDE,
        "A schema may have up to 1000 enum values across all enum properties.",
    ),
    Rule(
        "max-enum-string-length",
        "Large string enums stay under 15,000 characters",
        "this enum has {values} values totalling {count} characters; over {threshold} values "
        "the limit is {limit}",
        GUIDE,
        "For a single enum property with string values, the total string length of all enum "
        "values cannot exceed 15,000 characters when there are more than 250 enum values.",
    ),
    Rule(
        "max-string-length",
        "At most 120,000 characters of names and values",
        "property names, definition names, enum and const values total {count} characters; "
        "the limit is {limit}",
        GUIDE,
        "In a schema, total string length of all property names, definition names, enum "
        "values, and const values cannot exceed 120,000 characters.",
    ),
    Rule(
        "name",
        "The schema or function name is valid",
        "{name!r} must be 1 to 64 characters of a-z, A-Z, 0-9, underscores and dashes",
        f"{API_REFERENCE}; 400 in github.com/brekkylab/ailoy/pull/109",
        "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.",
    ),
    Rule(
        "strict-flag",
        "strict is true",
        "'strict' is not true: the API will not enforce this schema",
        GUIDE,
        "If you turn on Structured Outputs by supplying strict: true and call the API with an "
        "unsupported JSON Schema, you will receive an error.",
        severity="warning",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"

MAX_PROPERTIES = 5_000
MAX_NESTING = 10
MAX_ENUM_VALUES = 1_000
LARGE_ENUM_THRESHOLD = 250
MAX_LARGE_ENUM_CHARS = 15_000
MAX_STRING_CHARS = 120_000

SUPPORTED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)

# What the guide lists (types, their properties, $defs/$ref/anyOf), what it shows in its own
# examples (description, title), and annotations openai-python leaves in place and the API
# accepts (default; $schema and $comment carry no constraint). minLength/maxLength are not in
# the guide's list, but its note that fine-tuned models "additionally" lack them implies the
# others have them, so they pass.
SUPPORTED_KEYWORDS = frozenset(
    {
        "type", "description", "title", "enum", "const", "anyOf", "$ref", "$defs",
        "definitions", "default", "$schema", "$comment", "$id",
        "properties", "required", "additionalProperties",
        "pattern", "format", "minLength", "maxLength",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "items", "minItems", "maxItems",
    }
)  # fmt: skip

# Named by the guide as unsupported, or refused by the API in a reported 400 ("not permitted").
UNSUPPORTED_KEYWORDS = frozenset(
    {
        "allOf", "not", "dependentRequired", "dependentSchemas", "if", "then", "else",
        "oneOf", "propertyNames", "patternProperties",
    }
)  # fmt: skip

# The top-level keywords that make the root a union or a value rather than an object.
ROOT_FORBIDDEN = ("anyOf", "oneOf", "allOf", "enum", "not", "$ref")
