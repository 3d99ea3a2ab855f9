"""The cost meter as the user sees it: a real run's cost, the budget bar, charts and CSV export."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.support.driving import type_and_send
from tests.support.scripted_server import Stream
from workbench.app.context import AppContext
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.pricing import dollars
from workbench.core.runs import RunKind, RunRecord, RunTimings, Usage
from workbench.services.store.costs import CSV_COLUMNS
from workbench.ui.budget_guard import BUDGET_SETTING
from workbench.ui.panels.cost_meter import AMBER, NO_RUNS, RED, CostMeterPanel

OPENAI = new_endpoint(EndpointKind.OPENAI, "OpenAI")


@pytest.fixture
def meter(ctx: AppContext, qtbot) -> CostMeterPanel:
    panel = CostMeterPanel(ctx.store, ctx.bus, ctx.budget)
    qtbot.addWidget(panel)
    panel.resize(500, 700)
    panel.show()
    return panel


def add_priced_run(ctx: AppContext, cost: float, model: str = "gpt-4o", days_ago: int = 0) -> int:
    """A finished run as the Compare panel stores one (no session), `days_ago` days back."""
    run_id = ctx.store.runs.start(None, None, OPENAI, RunKind.CHAT_COMPLETION, model, {})
    record = RunRecord(
        run_id=run_id,
        session_id=None,
        message_id=None,
        endpoint="OpenAI",
        model=model,
        status="complete",
        timings=RunTimings(0.1, 0.4, 20),
        usage=Usage(100, 20),
        cost_usd=cost,
        price_status="priced",
    )
    ctx.store.runs.finish(record, {}, [])
    if days_ago:
        when = datetime.now(UTC) - timedelta(days=days_ago)
        with ctx.store.db.conn:
            ctx.store.db.execute(
                "UPDATE runs SET started_at = ? WHERE id = ?",
                [when.isoformat(timespec="microseconds"), run_id],
            )
    ctx.bus.run_finished.emit(record)
    return run_id


def test_a_real_run_shows_what_genai_prices_says_it_cost(
    ctx, scripted_chat, server, meter, qtbot
) -> None:
    chat = scripted_chat()
    server.script("chat", Stream(text="Oolong is partly oxidised tea, between green and black."))
    usage = type_and_send(qtbot, chat, "What is oolong?").usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    expected = calc_price(
        PriceUsage(
            input_tokens=usage.prompt_tokens,
            cache_read_tokens=usage.cached_tokens,
            output_tokens=usage.completion_tokens,
        ),
        "gpt-4o",
        provider_id="openai",
    ).total_price
    shown = dollars(float(expected))

    assert meter.last_run.text() == f"{shown} · gpt-4o"
    assert meter.session_total.text() == shown
    assert meter.today_total.text() == shown
    assert meter.month_total.text() == shown
    assert meter.stack.currentIndex() == 1  # charts, not the empty state
    assert f"{shown} in 1 runs" in meter.day_title.text()


def test_no_runs_yet_shows_words_not_empty_axes(meter) -> None:
    assert meter.stack.currentWidget() is meter.empty
    assert meter.empty.text() == NO_RUNS
    assert meter.last_run.text() == "— · no runs"
    assert not meter.export_button.isEnabled()
    assert meter.budget_bar.text() == "no daily budget"


def test_unknown_and_free_runs_are_named_not_priced(ctx, meter) -> None:
    add_priced_run(ctx, 0.25)
    run_id = ctx.store.runs.start(
        None,
        None,
        new_endpoint(EndpointKind.CUSTOM, "Mine"),
        RunKind.CHAT_COMPLETION,
        "my-finetune",
        {},
    )
    unknown = RunRecord(
        run_id, None, None, "Mine", "my-finetune", "complete", RunTimings(), Usage(10, 10)
    )
    ctx.store.runs.finish(unknown, {}, [])
    ctx.bus.run_finished.emit(unknown)

    assert meter.last_run.text() == "unknown price · my-finetune"
    assert meter.today_total.text() == "$0.2500 · 1 run with unknown price not counted"


def test_budget_bar_turns_amber_near_and_red_over(ctx, meter) -> None:
    normal = QApplication.palette().color(QPalette.ColorRole.Highlight)
    meter.budget_box.setValue(1.00)  # as if typed: saved in the settings
    assert float(ctx.settings.value(BUDGET_SETTING)) == 1.0
    assert ctx.budget.daily_budget == 1.0

    add_priced_run(ctx, 0.50)
    add_priced_run(ctx, 5.00, days_ago=1)  # yesterday's spend is not today's
    assert meter.budget_bar.property("level") == "ok"
    assert meter.bar_colour() == normal
    assert meter.budget_bar.text() == "$0.5000 of $1.00 today (50 %)"

    add_priced_run(ctx, 0.35)
    assert meter.budget_bar.property("level") == "near"
    assert meter.bar_colour().name() == AMBER

    add_priced_run(ctx, 0.20)
    assert meter.budget_bar.property("level") == "over"
    assert meter.bar_colour().name() == RED
    assert meter.budget_bar.value() == meter.budget_bar.maximum()

    meter.budget_box.setValue(0.0)  # no budget
    assert ctx.budget.daily_budget is None
    assert meter.budget_bar.property("level") == "ok"
    assert meter.bar_colour() == normal


def test_budget_set_elsewhere_shows_in_the_panel(ctx, meter) -> None:
    ctx.budget.set_daily_budget(12.5)
    assert meter.budget_box.value() == 12.5
    assert "of $12.50" in meter.budget_bar.text()


def test_charts_show_spend_per_day_and_per_model(ctx, meter) -> None:
    add_priced_run(ctx, 0.40, "gpt-4o", days_ago=3)
    add_priced_run(ctx, 0.10, "gpt-4o-mini")
    add_priced_run(ctx, 0.20, "gpt-4o")

    assert meter.stack.currentIndex() == 1
    assert "$0.7000 in 3 runs" in meter.day_title.text()
    ticks = meter.model_plot.getAxis("left")._tickLevels[0]
    assert [label for _y, label in sorted(ticks, reverse=True)] == ["gpt-4o", "gpt-4o-mini"]


def test_hidden_panel_redraws_its_charts_when_shown(ctx, meter) -> None:
    meter.hide()
    add_priced_run(ctx, 0.30)
    assert meter.today_total.text() == "$0.3000"  # totals are cheap: always current
    assert meter.stack.currentWidget() is meter.empty  # charts wait until they can be seen
    meter.show()
    assert meter.stack.currentIndex() == 1


def test_export_csv_writes_every_run(ctx, meter, tmp_path: Path) -> None:
    add_priced_run(ctx, 0.40, "gpt-4o", days_ago=40)
    add_priced_run(ctx, 0.10, "gpt-4o-mini")
    path = tmp_path / "costs.csv"

    assert meter.export_csv(path) == 2

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["model"], float(r["cost_usd"])) for r in rows] == [
        ("gpt-4o", 0.40),
        ("gpt-4o-mini", 0.10),
    ]
