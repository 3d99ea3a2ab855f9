"""Runs: one row per request, with what was sent (never a key), timings, usage and errors."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.endpoints import Endpoint
from workbench.core.runs import (
    PriceStatus,
    RunError,
    RunKind,
    RunRecord,
    RunStatus,
    RunTimings,
    Usage,
)

_RECORD_COLUMNS = (
    "id, session_id, message_id, endpoint, model, status, ttft_ms, duration_ms, "
    "completion_tokens, prompt_tokens, cached_tokens, reasoning_tokens, finish_reason, "
    "request_id, rate_limits_json, error_json, cost_usd, price_status, kind, endpoint_id, "
    "endpoint_kind, base_url, usage_json"
)


class RunQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def start(
        self,
        session_id: int | None,
        message_id: int | None,
        endpoint: Endpoint,
        kind: RunKind,
        model: str,
        request: dict[str, Any],
    ) -> int:
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO runs (session_id, message_id, endpoint, endpoint_id, endpoint_kind, "
                "base_url, kind, model, request_json, status, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    session_id,
                    message_id,
                    endpoint.name,
                    endpoint.id,
                    str(endpoint.kind),
                    endpoint.base_url,
                    str(kind),
                    model,
                    json.dumps(request),
                    str(RunStatus.STREAMING),
                    utc_now_iso(),
                ],
            )
        return int(cursor.lastrowid or 0)

    def finish(
        self,
        record: RunRecord,
        headers: dict[str, str],
        retries: list[dict[str, Any]],
        logprobs: list[dict[str, Any]] | None = None,
    ) -> None:
        t, u = record.timings, record.usage
        with self._db.conn:
            self._db.execute(
                "UPDATE runs SET model = ?, status = ?, finished_at = ?, ttft_ms = ?, "
                "duration_ms = ?, prompt_tokens = ?, completion_tokens = ?, cached_tokens = ?, "
                "reasoning_tokens = ?, request_id = ?, finish_reason = ?, "
                "response_headers_json = ?, rate_limits_json = ?, retries_json = ?, "
                "error_json = ?, logprobs_json = ?, cost_usd = ?, price_status = ?, "
                "base_url = ?, usage_json = ? WHERE id = ?",
                [
                    record.model,
                    str(record.status),
                    utc_now_iso(),
                    None if t.first_token_s is None else t.first_token_s * 1000,
                    None if t.total_s is None else t.total_s * 1000,
                    u.prompt_tokens,
                    u.completion_tokens,
                    u.cached_tokens,
                    u.reasoning_tokens,
                    record.request_id,
                    record.finish_reason,
                    json.dumps(headers),
                    json.dumps(record.rate_limits),
                    json.dumps(retries),
                    record.error.to_json() if record.error else None,
                    json.dumps(logprobs) if logprobs is not None else None,
                    record.cost_usd,
                    str(record.price_status),
                    record.base_url,
                    json.dumps(dataclasses.asdict(u)),
                    record.run_id,
                ],
            )

    def get(self, run_id: int) -> RunRecord | None:
        rows = self._db.query(f"SELECT {_RECORD_COLUMNS} FROM runs WHERE id = ?", [run_id])
        row = next(iter(rows), None)
        return _record(row) if row is not None else None

    def request(self, run_id: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT request_json FROM runs WHERE id = ?", [run_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def response_format(self, run_id: int) -> dict[str, Any] | None:
        """The `response_format` a run was sent with, read by SQLite from the stored request:
        the request holds the whole conversation, too much to parse for every answer shown."""
        row = self._db.execute(
            "SELECT json_extract(request_json, '$.response_format') FROM runs WHERE id = ?",
            [run_id],
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def logprobs(self, run_id: int) -> list[dict[str, Any]] | None:
        """The answer's tokens with their logprobs and top alternatives, if they were asked for."""
        row = self._db.execute("SELECT logprobs_json FROM runs WHERE id = ?", [run_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def logprobs_length(self, run_id: int) -> int:
        """How long the stored logprobs are (characters of JSON), without reading them."""
        row = self._db.execute(
            "SELECT coalesce(length(logprobs_json), 0) FROM runs WHERE id = ?", [run_id]
        ).fetchone()
        return int(row[0]) if row else 0

    def logprobs_head(self, run_id: int, limit: int) -> tuple[list[dict[str, Any]], bool] | None:
        """The first `limit` tokens' logprobs, and whether more follow; None if none were asked
        for. Decoded item by item: a huge answer's 30 MB of JSON in one `json.loads` would hold
        the interpreter's lock for a second, freezing the UI thread while a worker reads it."""
        row = self._db.execute("SELECT logprobs_json FROM runs WHERE id = ?", [run_id]).fetchone()
        if not row or not row[0]:
            return None
        text: str = row[0]
        decoder, items = json.JSONDecoder(), []
        at = text.index("[") + 1
        while True:
            while text[at] in " \t\r\n,":
                at += 1
            if text[at] == "]":
                return items, False
            if len(items) == limit:
                return items, True
            item, at = decoder.raw_decode(text, at)
            items.append(item)

    def exchange(self, run_id: int) -> dict[str, Any]:
        """What was sent and what came back around the text: headers, retries, the error body."""
        row = self._db.execute(
            "SELECT request_json, response_headers_json, retries_json, error_json "
            "FROM runs WHERE id = ?",
            [run_id],
        ).fetchone()
        names = ("request", "headers", "retries", "error")
        return {n: json.loads(v) if v else None for n, v in zip(names, row or (), strict=False)}


def _record(row: dict[str, Any]) -> RunRecord:
    error = json.loads(row["error_json"]) if row["error_json"] else None
    ttft, duration = row["ttft_ms"], row["duration_ms"]
    completion = row["completion_tokens"] or 0
    return RunRecord(
        run_id=row["id"],
        session_id=row["session_id"],
        message_id=row["message_id"],
        endpoint=row["endpoint"] or "",
        model=row["model"] or "",
        status=_status(row["status"]),
        timings=RunTimings(
            first_token_s=ttft / 1000 if ttft is not None else None,
            total_s=duration / 1000 if duration is not None else None,
            completion_tokens=completion,
        ),
        usage=_usage(row, completion),
        finish_reason=row["finish_reason"],
        request_id=row["request_id"],
        rate_limits=json.loads(row["rate_limits_json"]) if row["rate_limits_json"] else {},
        error=RunError.from_dict(error) if error else None,
        cost_usd=row["cost_usd"],
        price_status=_price_status(row["price_status"]),
        kind=_kind(row["kind"]),
        endpoint_id=row["endpoint_id"] or "",
        endpoint_kind=row["endpoint_kind"] or "",
        base_url=row["base_url"] or "",
    )


def _usage(row: dict[str, Any], completion: int) -> Usage:
    """All a run used, from usage_json (runs since schema 11); the token columns before that."""
    known = {f.name for f in dataclasses.fields(Usage)}
    try:
        stored = json.loads(row["usage_json"] or "{}")
    except ValueError:
        stored = {}
    extra = {k: v for k, v in stored.items() if k in known} if isinstance(stored, dict) else {}
    base = {
        "prompt_tokens": row["prompt_tokens"] or 0,
        "completion_tokens": completion,
        "cached_tokens": row["cached_tokens"] or 0,
        "reasoning_tokens": row["reasoning_tokens"] or 0,
    }
    return Usage(**{**extra, **base})


def _status(value: str | None) -> RunStatus:
    try:
        return RunStatus(value or RunStatus.INTERRUPTED)
    except ValueError:  # written by a newer version
        return RunStatus.INTERRUPTED


def _price_status(value: str | None) -> PriceStatus:
    try:
        return PriceStatus(value or PriceStatus.UNKNOWN)
    except ValueError:
        return PriceStatus.UNKNOWN


def _kind(value: str | None) -> RunKind:
    try:
        return RunKind(value or RunKind.CHAT_COMPLETION)
    except ValueError:
        return RunKind.CHAT_COMPLETION
