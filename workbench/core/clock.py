"""Timestamps as stored: ISO 8601 in UTC with microseconds, so they sort as text.

Microseconds, because commits take well under a millisecond: "used last" must still tell apart
two sessions touched one right after the other."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def ago(iso: str, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday', '12 Mar', '12 Mar 2024'."""
    then = datetime.fromisoformat(iso)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    if then.year == now.year:
        return f"{then.day} {then:%b}"
    return f"{then.day} {then:%b %Y}"
