"""What the schema editor says: its placeholder and its one-line verdict on the text."""

from __future__ import annotations

from workbench.core.schema_lint import LintReport, SchemaDocumentError

PLACEHOLDER = (
    "Write a JSON Schema for structured output here, and see at once whether OpenAI's strict "
    "mode accepts it.\n\n"
    "Problems are marked as you type, most with a one-click Fix. Start from Examples ▾, open a "
    "file, or build one From Example… (a JSON document). Use in Chat makes the chat answer in JSON "
    "that matches it."
)
EMPTY = "Empty: write a schema, open one, or pick an example."
ACCEPTED = "Accepted by strict mode"
CHECKING = "Checking…"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def verdict(result: LintReport | SchemaDocumentError | None) -> str:
    """The status line: accepted, how many problems, or why the text is no schema at all."""
    if result is None:
        return EMPTY
    if isinstance(result, SchemaDocumentError):
        if result.kind == "not-json":
            detail = result.message.removeprefix("not JSON: ")
            return f"Not JSON: line {result.line}, column {result.column}: {detail}"
        return "Not a JSON Schema: " + result.message.removeprefix("not a JSON Schema: ")
    warnings = sum(f.severity == "warning" for f in result.findings)
    if result.accepted:
        return ACCEPTED + (f" ({_count(warnings, 'warning')})" if warnings else "")
    return _count(len(result.findings), "problem")


def refusal(result: LintReport | SchemaDocumentError | None) -> str | None:
    """Why the text should not go to the chat as it is, or None."""
    if result is None:
        return "The editor is empty."
    if isinstance(result, SchemaDocumentError):
        return verdict(result) + "."
    if not result.accepted:
        errors = sum(f.severity == "error" for f in result.findings)
        return f"Strict mode would refuse this schema: {_count(errors, 'error')}."
    return None
