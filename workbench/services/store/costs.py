"""What runs cost: totals for a run, a session, today and this month, spend per day and per model,
and the rows of a CSV export.

Days and months are the user's local ones. Runs are stored with UTC start times, so each local
period is turned into a UTC range here, in Python, and the queries are range scans on the
started_at index however many runs there are. Runs still streaming are left out (their cost is not
known yet); runs from the Compare panel (no session, no message) count like any other.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import sqlite_utils

from workbench.core.runs import PriceStatus, RunStatus

# A run's cost is unknown when it has no price (unknown model, or usage never reported).
_TOTALS = (
    "SELECT count(*), coalesce(sum(cost_usd), 0.0), "
    "coalesce(sum(cost_usd IS NULL), 0), coalesce(sum(price_status = 'free'), 0) FROM runs "
)
_FINISHED = f"status IS NOT '{RunStatus.STREAMING}'"

CSV_COLUMNS = (
    "started_at",
    "session",
    "endpoint",
    "model",
    "prompt_tokens",
    "cached_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "price_status",
    "status",
)
# Exported as stored, between the start time and the cost.
_EXPORTED_AS_IS = CSV_COLUMNS[1:8]


@dataclass(frozen=True, slots=True)
class Total:
    """The priced runs' sum, and how many runs are in it or left out of it."""

    usd: float = 0.0
    runs: int = 0  # every finished run in the period, whatever its price
    unknown: int = 0  # runs with no known price: not in usd
    free: int = 0  # runs on models that cost nothing

    @property
    def all_free(self) -> bool:
        return self.runs > 0 and self.free == self.runs


@dataclass(frozen=True, slots=True)
class DaySpend:
    day: date  # a local day
    usd: float
    runs: int
    unknown: int


@dataclass(frozen=True, slots=True)
class ModelSpend:
    model: str
    usd: float
    runs: int
    unknown: int
    free: int = 0


@dataclass(frozen=True, slots=True)
class LastRun:
    run_id: int
    model: str
    cost_usd: float | None
    price_status: PriceStatus


class CostQueries:
    def __init__(self, db: sqlite_utils.Database, tz: tzinfo | None = None) -> None:
        self._db = db
        self.tz = tz  # None: the system's local time zone, as it is at each date (DST included)

    # --- totals --------------------------------------------------------------------------------
    def run(self, run_id: int) -> Total:
        return self._total(f"WHERE id = ? AND {_FINISHED}", [run_id])

    def session(self, session_id: int) -> Total:
        return self._total(f"WHERE session_id = ? AND {_FINISHED}", [session_id])

    def today(self, now: datetime | None = None) -> Total:
        day = self.local_day(now)
        return self.between(self.day_start(day), self.day_start(day + timedelta(days=1)))

    def this_month(self, now: datetime | None = None) -> Total:
        first = self.local_day(now).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return self.between(self.day_start(first), self.day_start(following))

    def between(self, start: datetime, end: datetime) -> Total:
        """Runs started in [start, end)."""
        return self._total(
            f"WHERE started_at >= ? AND started_at < ? AND {_FINISHED}", [_iso(start), _iso(end)]
        )

    def last_run(self) -> LastRun | None:
        rows = self._db.query(
            f"SELECT id, model, cost_usd, price_status FROM runs WHERE {_FINISHED} "
            "ORDER BY started_at DESC, id DESC LIMIT 1"
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        status = PriceStatus(row["price_status"] or PriceStatus.UNKNOWN)
        return LastRun(row["id"], row["model"] or "", row["cost_usd"], status)

    def _total(self, where: str, params: list[object]) -> Total:
        runs, usd, unknown, free = self._db.execute(_TOTALS + where, params).fetchone()
        return Total(float(usd), int(runs), int(unknown), int(free))

    # --- charts --------------------------------------------------------------------------------
    def per_day(self, days: int = 30, now: datetime | None = None) -> list[DaySpend]:
        """The last `days` local days, oldest first, today last; days without runs are zero."""
        today = self.local_day(now)
        wanted = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        if not wanted:
            return []
        # One query: a row per day with its UTC range, each joined by an index range scan.
        values = ", ".join("(?, ?, ?)" for _ in wanted)
        params: list[str] = []
        for day in wanted:
            start, end = self.day_start(day), self.day_start(day + timedelta(days=1))
            params += [day.isoformat(), _iso(start), _iso(end)]
        rows = self._db.execute(
            f"WITH days(day, lo, hi) AS (VALUES {values}) "
            "SELECT d.day, coalesce(sum(r.cost_usd), 0.0), count(r.id), "
            "coalesce(sum(r.id IS NOT NULL AND r.cost_usd IS NULL), 0) "
            "FROM days d LEFT JOIN runs r "
            f"ON r.started_at >= d.lo AND r.started_at < d.hi AND r.{_FINISHED} "
            "GROUP BY d.day ORDER BY d.day",
            params,
        ).fetchall()
        return [DaySpend(date.fromisoformat(d), float(u), int(n), int(k)) for d, u, n, k in rows]

    def per_model(self, start: datetime, end: datetime) -> list[ModelSpend]:
        """Spend per model for runs started in [start, end), the most expensive first."""
        rows = self._db.execute(
            "SELECT coalesce(model, ''), coalesce(sum(cost_usd), 0.0), count(*), "
            "coalesce(sum(cost_usd IS NULL), 0), coalesce(sum(price_status = 'free'), 0) FROM runs "
            f"WHERE started_at >= ? AND started_at < ? AND {_FINISHED} "
            "GROUP BY coalesce(model, '') ORDER BY 2 DESC, 3 DESC, 1",
            [_iso(start), _iso(end)],
        ).fetchall()
        return [ModelSpend(m, float(u), int(n), int(k), int(f)) for m, u, n, k, f in rows]

    # --- export --------------------------------------------------------------------------------
    def export_rows(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[tuple[object, ...]]:
        """CSV rows (header first), oldest run first, start times in local time. Only what the
        columns name: never the request (it has no key, but it has the conversation)."""
        clauses: list[str] = [f"r.{_FINISHED}"]
        params: list[object] = []
        if start is not None:
            clauses.append("r.started_at >= ?")
            params.append(_iso(start))
        if end is not None:
            clauses.append("r.started_at < ?")
            params.append(_iso(end))
        rows = self._db.query(
            "SELECT r.started_at, coalesce(s.title, '') AS session, r.endpoint, r.model, "
            "r.prompt_tokens, r.cached_tokens, r.completion_tokens, r.reasoning_tokens, "
            "r.cost_usd, r.price_status, r.status FROM runs r "
            "LEFT JOIN sessions s ON s.id = r.session_id "
            f"WHERE {' AND '.join(clauses)} ORDER BY r.started_at, r.id",
            params,
        )
        yield CSV_COLUMNS
        for row in rows:
            cost = "" if row["cost_usd"] is None else repr(float(row["cost_usd"]))
            yield (
                self.local_time(row["started_at"]),
                *(_cell(row[name]) for name in _EXPORTED_AS_IS),
                cost,
                row["price_status"] or PriceStatus.UNKNOWN,
                row["status"],
            )

    def export_csv(
        self, path: Path, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        """Write the runs to a CSV file (UTF-8, header row); returns how many runs it holds."""
        count = -1  # the header is not a run
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in self.export_rows(start, end):
                writer.writerow(row)
                count += 1
        return count

    # --- local time ----------------------------------------------------------------------------
    def local_day(self, now: datetime | None = None) -> date:
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz).date()

    def day_start(self, day: date) -> datetime:
        """Local midnight at the start of `day`, as an aware datetime."""
        if self.tz is not None:
            return datetime(day.year, day.month, day.day, tzinfo=self.tz)
        # A naive time read as system local time: mktime picks the right offset for that date.
        return datetime(day.year, day.month, day.day).astimezone()

    def local_time(self, iso: str | None) -> str:
        """A stored UTC time as local 'YYYY-MM-DD HH:MM:SS' (what a spreadsheet reads)."""
        if not iso:
            return ""
        moment = datetime.fromisoformat(iso)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")

    def month_start(self, now: datetime | None = None) -> datetime:
        return self.day_start(self.local_day(now).replace(day=1))


def _iso(moment: datetime) -> str:
    """The stored form: UTC, microseconds, '+00:00'; so text order is time order."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _cell(value: object) -> object:
    return "" if value is None else value
