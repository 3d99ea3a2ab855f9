"""The Batch API's files for a matrix: the JSONL sent (one line per cell), the output and error
files read back into per-cell results, and the batch's status in words.

Formats as OpenAI documents them: an input line is ``{custom_id, method, url, body}``; an output
or error line is ``{id, custom_id, response: {status_code, request_id, body} | null,
error: {code, message} | null}``. A cell's ``custom_id`` is its CellKey, so results find their
cell whatever order they come back in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workbench.core.prompt_lab.model import CellKey
from workbench.core.runs import RunRequest, Usage
from workbench.services.adapters.chat_completion import chat_body

CHAT_URL = "/v1/chat/completions"
MAX_LINES = 50_000  # the most requests one batch input file may hold
# What only a streamed request carries; a batch line is answered in one piece.
_STREAM_ONLY = ("stream", "stream_options", "extra_body")
_CUSTOM_ID = re.compile(r"cell-v(\d+)-r(\d+)-c(\d+)-k(\d+)")


def custom_id(key: CellKey) -> str:
    return f"cell-v{key.version_id}-r{key.row}-c{key.column}-k{key.repeat}"


def key_of(text: str) -> CellKey | None:
    """The cell a custom_id names; None for one this app did not write."""
    match = _CUSTOM_ID.fullmatch(text or "")
    return CellKey(*(int(g) for g in match.groups())) if match else None


def batch_line(key: CellKey, request: RunRequest, endpoint_kind: str) -> dict[str, Any]:
    """One input line: the same body the chat would send, without its streaming options."""
    body = chat_body(request, endpoint_kind)
    for name in _STREAM_ONLY:
        body.pop(name, None)
    return {"custom_id": custom_id(key), "method": "POST", "url": CHAT_URL, "body": body}


def jsonl(lines: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


@dataclass(frozen=True, slots=True)
class LineResult:
    """What came back for one cell: an answer (with usage), or why there is none."""

    key: CellKey
    output: str = ""
    usage: Usage | None = None
    error: str = ""
    not_run: bool = False  # never executed (expired or cancelled): worth sending again
    status_code: int | None = None  # the request's own HTTP status, when it ran
    request_id: str | None = None
    finish_reason: str | None = None
    model: str = ""  # the model that answered, as the answer names it
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def read_results(text: str) -> list[LineResult]:
    """Every line of an output or error file that names one of our cells."""
    results = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # one damaged line must not lose the others
        key = key_of(str(line.get("custom_id", ""))) if isinstance(line, dict) else None
        if key is not None:
            results.append(_result(key, line))
    return results


def _result(key: CellKey, line: dict[str, Any]) -> LineResult:
    error = line.get("error")
    response = line.get("response")
    if isinstance(error, dict) and error:
        code = str(error.get("code") or "")
        message = str(error.get("message") or code or "no answer")
        not_run = code in ("batch_expired", "batch_cancelled")
        return LineResult(key, error=message, not_run=not_run, error_code=code or None)
    if not isinstance(response, dict):
        return LineResult(key, error="The batch returned no answer for this cell.")
    status = int(response.get("status_code") or 0)
    body = response.get("body")
    body = body if isinstance(body, dict) else {}
    request_id = str(response.get("request_id") or "") or None
    if status != 200:
        detail = body.get("error") if isinstance(body.get("error"), dict) else {}
        message = str(detail.get("message") or "no message")
        code = str(detail.get("code") or "") or None
        return LineResult(
            key, error=message, status_code=status, request_id=request_id, error_code=code
        )
    choices = body.get("choices") or [{}]
    return LineResult(
        key,
        output=answer_text(body),
        usage=completion_usage(body),
        status_code=status,
        request_id=request_id,
        finish_reason=choices[0].get("finish_reason"),
        model=str(body.get("model") or ""),
    )


def answer_text(completion: dict[str, Any]) -> str:
    """The first choice's text; a refusal or tool calls when that is what the model gave."""
    choices = completion.get("choices") or [{}]
    message = choices[0].get("message") or {}
    if message.get("content"):
        return str(message["content"])
    if message.get("refusal"):
        return f"Refused: {message['refusal']}"
    calls = message.get("tool_calls") or []
    return json.dumps([c.get("function") for c in calls]) if calls else ""


def completion_usage(completion: dict[str, Any]) -> Usage | None:
    usage = completion.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True, slots=True)
class BatchScope:
    """Which cells a batch holds: its columns' cells from its first key to its last (a model's
    cells are split into batches of at most MAX_LINES, in key order)."""

    columns: tuple[int, ...]
    first: CellKey
    last: CellKey

    @classmethod
    def of(cls, keys: Iterable[CellKey]) -> BatchScope:
        ordered = sorted(keys)
        return cls(tuple(sorted({k.column for k in ordered})), ordered[0], ordered[-1])

    def holds(self, key: CellKey) -> bool:
        return key.column in self.columns and self.first <= key <= self.last

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "first": _key_list(self.first),
            "last": _key_list(self.last),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchScope:
        return cls(
            tuple(int(c) for c in data.get("columns", ())),
            CellKey(*(int(n) for n in data["first"])),
            CellKey(*(int(n) for n in data["last"])),
        )


def _key_list(key: CellKey) -> list[int]:
    return [key.version_id, key.row, key.column, key.repeat]


# --------------------------------------------------------------------------- status


ENDED = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """A batch as last seen: what the status line shows."""

    batch_id: str
    matrix_id: int
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()  # why validation failed, or why the app could not follow it
    bad_lines: tuple[tuple[int, str], ...] = ()  # (1-based line, why) for lines validation named

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def text(self) -> str:
        counts = f"{self.completed} of {self.total} done"
        if self.failed:
            counts += f", {self.failed} failed"
        words = {
            "validating": "Batch: validating the requests…",
            "in_progress": f"Batch in progress: {counts}",
            "finalizing": f"Batch finalizing: {counts}",
            "completed": f"Batch completed: {counts}",
            "expired": f"Batch expired after 24 h: {counts}",
            "cancelling": f"Batch cancelling: {counts}",
            "cancelled": f"Batch cancelled: {counts}",
            "failed": "Batch failed validation",
        }
        text = words.get(self.status, f"Batch: {self.status}")
        return f"{text}: {'; '.join(self.errors)}" if self.errors else text


def progress_of(matrix_id: int, batch: Any) -> BatchProgress:
    """From the SDK's Batch object."""
    counts = batch.request_counts
    found = list(batch.errors.data or ()) if batch.errors is not None else []
    errors = tuple(_batch_error(e) for e in found)
    bad_lines = tuple((e.line, e.message or e.code or "") for e in found if e.line is not None)
    return BatchProgress(
        batch.id,
        matrix_id,
        str(batch.status),
        counts.total if counts else 0,
        counts.completed if counts else 0,
        counts.failed if counts else 0,
        errors,
        bad_lines,
    )


def _batch_error(error: Any) -> str:
    where = f"line {error.line}: " if error.line is not None else ""
    return f"{where}{error.message or error.code}"
