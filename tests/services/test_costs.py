"""What the cost meter reads from the store: totals by the user's local day and month, spend per
day and per model, and the CSV export."""

from __future__ import annotations

import csv
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.runs import RunKind, RunRecord, RunTimings, Usage
from workbench.services.store import Store
from workbench.services.store.costs import CSV_COLUMNS, Total

OPENAI = new_endpoint(EndpointKind.OPENAI, "OpenAI")


BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_USAGE = Usage(1000, 200, 100, 0)


def add_run(
    store: Store,
    when: datetime,
    cost: float | None = 0.01,
    *,
    model: str = "gpt-4o",
    price_status: str = "priced",
    session_id: int | None = None,
    usage: Usage = DEFAULT_USAGE,
) -> int:
    """A finished run, stored as the chat stores one, then moved to `when`."""
    request = {"model": model, "messages": [{"role": "user", "content": "a private question"}]}
    run_id = store.runs.start(session_id, None, OPENAI, RunKind.CHAT_COMPLETION, model, request)
    record = RunRecord(
        run_id=run_id,
        session_id=session_id,
        message_id=None,
        endpoint="OpenAI",
        model=model,
        status="complete",
        timings=RunTimings(0.2, 1.0, usage.completion_tokens),
        usage=usage,
        cost_usd=cost,
        price_status=price_status,
    )
    store.runs.finish(record, {}, [])
    with store.db.conn:
        store.db.execute(
            "UPDATE runs SET started_at = ? WHERE id = ?",
            [when.astimezone(UTC).isoformat(timespec="microseconds"), run_id],
        )
    return run_id


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_today_and_this_month_follow_the_local_calendar(store: Store) -> None:
    store.costs.tz = BERLIN
    now = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    add_run(store, utc(2026, 11, 24, 23, 30), 0.10)  # 00:30 on the 25th in Berlin: today
    add_run(store, utc(2026, 11, 25, 8, 0), 0.20)  # today
    add_run(store, utc(2026, 11, 24, 22, 30), 0.40)  # 23:30 on the 24th in Berlin: yesterday
    add_run(store, utc(2026, 10, 31, 23, 30), 0.80)  # 1 Nov 00:30 in Berlin: this month
    add_run(store, utc(2026, 10, 31, 22, 30), 1.60)  # 31 Oct 23:30 in Berlin: last month
    add_run(store, utc(2026, 11, 25, 23, 30), 3.20)  # 26 Nov in Berlin: tomorrow

    today = store.costs.today(now)
    assert (today.usd, today.runs) == (pytest.approx(0.30), 2)
    month = store.costs.this_month(now)
    assert (month.usd, month.runs) == (pytest.approx(0.10 + 0.20 + 0.40 + 0.80 + 3.20), 5)


def test_system_local_time_is_used_by_default_across_a_dst_change(store: Store) -> None:
    # 8 March 2026 is a 23-hour day in New York: midnight is 05:00 UTC, the next one 04:00 UTC.
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        assert store.costs.tz is None
        now = datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("America/New_York"))
        add_run(store, utc(2026, 3, 8, 4, 30), 1.0)  # 23:30 EST on the 7th: yesterday
        add_run(store, utc(2026, 3, 8, 5, 30), 0.25)  # 00:30 EST on the 8th
        add_run(store, utc(2026, 3, 9, 3, 30), 0.5)  # 23:30 EDT on the 8th
        add_run(store, utc(2026, 3, 9, 4, 30), 2.0)  # 00:30 EDT on the 9th: tomorrow

        assert store.costs.today(now).usd == pytest.approx(0.75)
        days = store.costs.per_day(2, now)
        assert [(d.day, d.usd) for d in days] == [
            (date(2026, 3, 7), pytest.approx(1.0)),
            (date(2026, 3, 8), pytest.approx(0.75)),
        ]
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_free_and_unknown_runs_are_counted_but_never_priced(store: Store) -> None:
    now = utc(2026, 11, 25, 12)
    add_run(store, utc(2026, 11, 25, 9), 0.02)
    add_run(store, utc(2026, 11, 25, 10), 0.0, model="smollm2", price_status="free")
    add_run(store, utc(2026, 11, 25, 11), None, model="my-finetune", price_status="unknown")
    # A run still streaming has no cost yet: it is left out altogether.
    store.runs.start(None, None, OPENAI, RunKind.CHAT_COMPLETION, "gpt-4o", {})

    assert store.costs.today(now) == Total(usd=pytest.approx(0.02), runs=3, unknown=1, free=1)


def test_only_free_runs_read_as_free(store: Store) -> None:
    now = utc(2026, 11, 25, 12)
    add_run(store, utc(2026, 11, 25, 9), 0.0, model="smollm2", price_status="free")
    total = store.costs.today(now)
    assert total.all_free and total.usd == 0.0


def test_run_and_session_totals(store: Store) -> None:
    session = store.sessions.create("Tea")
    other = store.sessions.create("Coffee")
    first = add_run(store, utc(2026, 11, 1, 9), 0.03, session_id=session)
    add_run(store, utc(2026, 11, 20, 9), 0.04, session_id=session)
    add_run(store, utc(2026, 11, 20, 9), None, price_status="unknown", session_id=session)
    add_run(store, utc(2026, 11, 20, 9), 9.0, session_id=other)
    add_run(store, utc(2026, 11, 20, 9), 5.0)  # a Compare run: no session

    assert store.costs.run(first) == Total(usd=pytest.approx(0.03), runs=1)
    assert store.costs.session(session) == Total(usd=pytest.approx(0.07), runs=3, unknown=1)
    assert store.costs.today(utc(2026, 11, 20, 12)).usd == pytest.approx(9.04 + 5.0)


def test_spend_per_day_fills_days_without_runs_with_zero(store: Store) -> None:
    store.costs.tz = BERLIN
    now = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    add_run(store, utc(2026, 11, 23, 9), 0.5)
    add_run(store, utc(2026, 11, 23, 10), 0.25)
    add_run(store, utc(2026, 11, 25, 9), None, price_status="unknown")
    add_run(store, utc(2026, 11, 10, 9), 7.0)  # before the window

    days = store.costs.per_day(5, now)

    assert [d.day for d in days] == [date(2026, 11, d) for d in (21, 22, 23, 24, 25)]
    assert [d.usd for d in days] == [0.0, 0.0, pytest.approx(0.75), 0.0, 0.0]
    assert [d.runs for d in days] == [0, 0, 2, 0, 1]
    assert [d.unknown for d in days] == [0, 0, 0, 0, 1]


def test_spend_per_model_dearest_first(store: Store) -> None:
    add_run(store, utc(2026, 11, 20, 9), 0.10, model="gpt-4o-mini")
    add_run(store, utc(2026, 11, 21, 9), 0.50, model="gpt-4o")
    add_run(store, utc(2026, 11, 22, 9), 0.30, model="gpt-4o")
    add_run(store, utc(2026, 11, 22, 9), None, model="mystery", price_status="unknown")
    add_run(store, utc(2026, 11, 23, 9), 0.0, model="smollm2", price_status="free")
    add_run(store, utc(2026, 10, 1, 9), 100.0, model="o1")  # outside the period

    rows = store.costs.per_model(utc(2026, 11, 1), utc(2026, 12, 1))

    assert [(m.model, m.usd, m.runs, m.unknown, m.free) for m in rows] == [
        ("gpt-4o", pytest.approx(0.80), 2, 0, 0),
        ("gpt-4o-mini", pytest.approx(0.10), 1, 0, 0),
        ("mystery", 0.0, 1, 1, 0),
        ("smollm2", 0.0, 1, 0, 1),
    ]


def test_csv_export_round_trips_and_carries_no_request(store: Store, tmp_path: Path) -> None:
    store.costs.tz = BERLIN
    session = store.sessions.create('Tea, "green"')
    add_run(
        store,
        utc(2026, 11, 24, 23, 30),
        0.0123,
        session_id=session,
        usage=Usage(1500, 300, cached_tokens=1024, reasoning_tokens=7),
    )
    add_run(store, utc(2026, 11, 25, 8), None, model="mystery", price_status="unknown")
    path = tmp_path / "costs.csv"

    written = store.costs.export_csv(path)

    assert written == 2
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first == {
        "started_at": "2026-11-25 00:30:00",  # local time
        "session": 'Tea, "green"',
        "endpoint": "OpenAI",
        "model": "gpt-4o",
        "prompt_tokens": "1500",
        "cached_tokens": "1024",
        "completion_tokens": "300",
        "reasoning_tokens": "7",
        "cost_usd": "0.0123",
        "price_status": "priced",
        "status": "complete",
    }
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert (second["session"], second["cost_usd"], second["price_status"]) == ("", "", "unknown")
    assert "private question" not in path.read_text(encoding="utf-8")
