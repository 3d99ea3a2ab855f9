"""Does an answer asked for as JSON schema output match the schema it was sent with?

Pure: the answer's text and the schema in, a short list of findings out (JSON path and
jsonschema's message, Draft 2020-12), sorted by path and capped for the screen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# How a stored answer marks a refusal (services.run_pipeline.REFUSAL_MARK; a test keeps them equal).
REFUSAL_MARK = "**Refused:** "
SHOWN_FINDINGS = 50
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # "$", "$.city", "$.items[2].name"
    message: str


@dataclass(frozen=True, slots=True)
class AnswerCheck:
    findings: tuple[Finding, ...] = ()  # at most SHOWN_FINDINGS (or the limit asked for)
    more: int = 0  # findings left out of the list
    refused: bool = False  # the model refused: nothing was checked
    not_json: bool = False

    @property
    def matches(self) -> bool:
        return not self.refused and not self.findings

    @property
    def count(self) -> int:
        return len(self.findings) + self.more


def schema_sent(request: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema a stored chat request asked the answer to follow, or None."""
    if not isinstance(request, dict):
        return None
    response_format = request.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def json_path(parts: Any) -> str:
    """`$.items[2].name` from jsonschema's `absolute_path`."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(str(part)):
            path += f".{part}"
        else:
            path += f"[{json.dumps(str(part))}]"
    return path


def check_answer(text: str, schema: dict[str, Any], *, limit: int = SHOWN_FINDINGS) -> AnswerCheck:
    """Validates `text` against `schema`; a refusal is not checked, text that is not JSON is
    one finding."""
    if text.startswith(REFUSAL_MARK):
        return AnswerCheck(refused=True)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"not JSON: line {exc.lineno}, column {exc.colno} ({exc.msg})"
        return AnswerCheck((Finding("$", where),), not_json=True)
    from jsonschema import Draft202012Validator

    errors = Draft202012Validator(schema).iter_errors(document)
    keyed = sorted(
        (_sort_key(e.absolute_path), e.message, json_path(e.absolute_path)) for e in errors
    )
    findings = tuple(Finding(path, message) for _key, message, path in keyed)
    return AnswerCheck(findings[:limit], max(0, len(findings) - limit))


def _sort_key(parts: Any) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


def summary(check: AnswerCheck) -> str:
    """One line: "Matches the schema", "Not JSON: …", or "2 problems with the schema"."""
    if check.refused:
        return "Refused: the answer was not checked against the schema."
    if check.not_json:
        return f"Not {check.findings[0].message[4:]}" if check.findings else "Not JSON."
    if not check.findings:
        return "Matches the schema"
    n = check.count
    return f"{n} problem{'s' if n != 1 else ''} with the schema:"


def finding_lines(check: AnswerCheck) -> list[str]:
    """Each listed finding as "path: message", then "N more" when the list was capped."""
    if check.not_json or check.refused:
        return []
    lines = [f"{f.path}: {f.message}" for f in check.findings]
    if check.more:
        lines.append(f"… and {check.more} more")
    return lines
