"""Runs: one row per request, with what was sent (never a key), timings, usage and errors."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.runs import RunError, RunRecord, RunTimings, Usage

STREAMING = "streaming"


class RunQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def start(
        self,
        session_id: int | None,
        message_id: int | None,
        endpoint: str,
        model: str,
        request: dict[str, Any],
    ) -> int:
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO runs (session_id, message_id, endpoint, model, request_json, "
                "status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    session_id,
                    message_id,
                    endpoint,
                    model,
                    json.dumps(request),
                    STREAMING,
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
                "error_json = ?, logprobs_json = ?, cost_usd = ?, price_status = ? WHERE id = ?",
                [
                    record.model,
                    record.status,
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
                    record.price_status,
                    record.run_id,
                ],
            )

    def get(self, run_id: int) -> RunRecord | None:
        row = self._db.execute(
            "SELECT id, session_id, message_id, endpoint, model, status, ttft_ms, duration_ms, "
            "completion_tokens, prompt_tokens, cached_tokens, reasoning_tokens, finish_reason, "
            "request_id, rate_limits_json, error_json, cost_usd, price_status "
            "FROM runs WHERE id = ?",
            [run_id],
        ).fetchone()
        if row is None:
            return None
        error = json.loads(row[15]) if row[15] else None
        return RunRecord(
            run_id=row[0],
            session_id=row[1],
            message_id=row[2],
            endpoint=row[3] or "",
            model=row[4] or "",
            status=row[5] or "",
            timings=RunTimings(
                first_token_s=row[6] / 1000 if row[6] is not None else None,
                total_s=row[7] / 1000 if row[7] is not None else None,
                completion_tokens=row[8] or 0,
            ),
            usage=Usage(row[9] or 0, row[8] or 0, row[10] or 0, row[11] or 0),
            finish_reason=row[12],
            request_id=row[13],
            rate_limits=json.loads(row[14]) if row[14] else {},
            error=RunError(**error) if error else None,
            cost_usd=row[16],
            price_status=row[17] or "unknown",
        )

    def request(self, run_id: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT request_json FROM runs WHERE id = ?", [run_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def logprobs(self, run_id: int) -> list[dict[str, Any]] | None:
        """The answer's tokens with their logprobs and top alternatives, if they were asked for."""
        row = self._db.execute("SELECT logprobs_json FROM runs WHERE id = ?", [run_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def exchange(self, run_id: int) -> dict[str, Any]:
        """What was sent and what came back around the text: headers, retries, the error body."""
        row = self._db.execute(
            "SELECT request_json, response_headers_json, retries_json, error_json "
            "FROM runs WHERE id = ?",
            [run_id],
        ).fetchone()
        names = ("request", "headers", "retries", "error")
        return {n: json.loads(v) if v else None for n, v in zip(names, row or (), strict=False)}
