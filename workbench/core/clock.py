"""Timestamps as stored: ISO 8601 in UTC with milliseconds, so they sort as text."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
