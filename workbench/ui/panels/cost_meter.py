"""Cost meter: what the last run, this session, today and this month cost, the daily budget, spend
per day and per model, and a CSV export.

Figures come from the store (runs are priced by genai-prices as they finish); a run with no known
price is never counted as $0, it is named as left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.budget import Level, budget_fraction, budget_level, money
from workbench.core.pricing import Price, dollars
from workbench.core.runs import RunRecord
from workbench.services.store import Store
from workbench.services.store.costs import DaySpend, ModelSpend, Total
from workbench.ui.budget_guard import BudgetGuard
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.theme import PALETTE_EVENTS, QuietLabel, style_plot

CHART_DAYS = 30
MAX_MODELS = 8  # more bars than this are unreadable in a dock; the rest are summed as "others"
NO_RUNS = "No runs yet. What each run costs appears here as answers finish."
NO_RECENT = f"No runs in the last {CHART_DAYS} days."
# Readable on both the light and the dark palette.
BAR_COLOUR = "#4d8fe0"
TODAY_COLOUR = "#2f6fbf"
AMBER = "#e0a000"
RED = "#d64545"
LEVEL_COLOURS = {Level.NEAR: AMBER, Level.OVER: RED}


def total_parts(total: Total) -> tuple[str, str]:
    """The figure and a note: ('$0.42', ''), ('free', ''), ('unknown price', '2 runs'),
    ('$0.42', '3 runs with unknown price not counted'), ('—', 'no runs')."""
    if total.runs == 0:
        return "—", "no runs"
    if total.unknown == total.runs:
        return "unknown price", "" if total.runs == 1 else f"{total.runs} runs"
    if total.all_free:
        return "free", ""
    if not total.unknown:
        return dollars(total.usd), ""
    runs = "1 run" if total.unknown == 1 else f"{total.unknown} runs"
    return dollars(total.usd), f"{runs} with unknown price not counted"


class _Figure:
    """A total as two labels: the amount in bold, then a quieter note about what it leaves out."""

    def __init__(self, parent: QWidget, name: str) -> None:
        self.amount = QLabel("—", parent, objectName=name)
        self.amount.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.amount.font()
        font.setBold(True)
        self.amount.setFont(font)
        self.note = QuietLabel("", parent, objectName=f"{name}_note")
        self.note.setWordWrap(True)

    def set(self, amount: str, note: str = "") -> None:
        self.amount.setText(amount)
        self.note.setText(note)

    def text(self) -> str:
        """What the row reads as: '$0.42 · 3 runs with unknown price not counted'."""
        return " · ".join(t for t in (self.amount.text(), self.note.text()) if t)


def _day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


class CostMeterPanel(Panel):
    def __init__(self, store: Store, bus: Bus, guard: BudgetGuard) -> None:
        super().__init__()
        self.setObjectName("panel.costs")
        self._store, self._guard = store, guard
        self.session_id = bus.state.session_id  # the chat's session, opened before this was built
        self._last: tuple[Price, str] | None = None  # the last run's price and model

        self.last_run = _Figure(self, "costs.last_run")
        self.session_total = _Figure(self, "costs.session")
        self.today_total = _Figure(self, "costs.today")
        self.month_total = _Figure(self, "costs.month")
        totals = QGridLayout()
        totals.setHorizontalSpacing(12)
        for row, (title, figure) in enumerate(
            (
                ("Last run", self.last_run),
                ("This session", self.session_total),
                ("Today", self.today_total),
                ("This month", self.month_total),
            )
        ):
            totals.addWidget(QLabel(title, self), row, 0, Qt.AlignmentFlag.AlignTop)
            totals.addWidget(figure.amount, row, 1, Qt.AlignmentFlag.AlignTop)
            totals.addWidget(figure.note, row, 2, Qt.AlignmentFlag.AlignTop)
        totals.setColumnStretch(2, 1)

        self.budget_box = QDoubleSpinBox(self, objectName="costs.budget")
        self.budget_box.setRange(0.0, 100_000.0)
        self.budget_box.setDecimals(2)
        self.budget_box.setSingleStep(1.0)
        self.budget_box.setPrefix("$")
        self.budget_box.setSpecialValueText("No budget")  # shown at 0
        self.budget_box.setKeyboardTracking(False)  # apply when typing is done, not per digit
        self.budget_box.setToolTip(
            "Spend allowed per day (local time). Before a run would pass it you are asked "
            "whether to send. 0 = no budget."
        )
        self.budget_box.setValue(guard.daily_budget or 0.0)
        self.budget_bar = QProgressBar(self, objectName="costs.budget_bar")
        self.budget_bar.setRange(0, 1000)
        self.budget_bar.setTextVisible(True)
        self.budget_bar.setProperty("level", str(Level.OK))
        budget_row = QHBoxLayout()
        budget_row.addWidget(QLabel("Daily budget", self))
        budget_row.addWidget(self.budget_box)
        budget_row.addStretch(1)

        self.empty = QuietLabel(NO_RUNS, self, objectName="costs.empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.day_title = QLabel(f"Spend per day, last {CHART_DAYS} days", self)
        self.day_plot = self._plot("costs.per_day")
        self.model_title = QLabel(f"Spend per model, last {CHART_DAYS} days", self)
        self.model_plot = self._plot("costs.per_model")
        charts = QSplitter(Qt.Orientation.Vertical, self)
        for title, plot in ((self.day_title, self.day_plot), (self.model_title, self.model_plot)):
            box = QWidget(charts)
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 6, 0, 0)
            column.addWidget(title)
            column.addWidget(plot, 1)
            charts.addWidget(box)
        self.stack = QStackedWidget(self, objectName="costs.stack")
        self.stack.addWidget(self.empty)
        self.stack.addWidget(charts)

        self.export_button = QPushButton("Export CSV…", self, objectName="costs.export")
        self.export_button.setToolTip("Every run with its tokens and cost, for a spreadsheet")
        self.export_button.clicked.connect(self.export_dialog)
        self.export_action = QAction("Export Costs as CSV…", self, objectName="action.costs.export")
        self.export_action.triggered.connect(self.export_dialog)
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(totals)
        layout.addSpacing(6)
        layout.addLayout(budget_row)
        layout.addWidget(self.budget_bar)  # its own line: the dock may be narrow
        layout.addWidget(self.stack, 1)
        layout.addLayout(footer)

        self.budget_box.valueChanged.connect(self._budget_edited)
        guard.changed.connect(self._budget_changed)
        bus.run_finished.connect(self.run_finished)
        bus.session_opened.connect(self.open_session)
        bus.session_deleted.connect(self._session_deleted)
        self._load_last_run()
        self.refresh()

    def panel_actions(self) -> Sequence[QAction]:
        return (self.export_action,)

    def _plot(self, name: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(self)
        plot.setObjectName(name)
        style_plot(plot, self.palette())
        plot.setMinimumHeight(120)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(y=True, alpha=0.25)
        return plot

    # --- following the app ---------------------------------------------------------------------
    def run_finished(self, record: RunRecord) -> None:
        self._last = (Price(record.cost_usd, record.price_status), record.model)
        self.refresh()

    def open_session(self, session_id: int) -> None:
        self.session_id = session_id
        self._show_session()

    def _session_deleted(self, session_id: int) -> None:
        if session_id == self.session_id:
            self.session_id = None
            self._show_session()

    def _load_last_run(self) -> None:
        last = self._store.costs.last_run()
        if last is not None:
            self._last = (Price(last.cost_usd, last.price_status), last.model)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app's light/dark switch: pyqtgraph does not follow the palette by itself, and the
        # bars' figures were written in the old ink.
        if event.type() in PALETTE_EVENTS and hasattr(self, "model_plot"):
            for plot in (self.day_plot, self.model_plot):
                style_plot(plot, self.palette())
            if self.isVisible():
                self._draw_charts(self._guard.now())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # Hidden panels skip redrawing charts; the day may also have changed since.
        self.refresh()

    # --- totals and budget ---------------------------------------------------------------------
    def refresh(self) -> None:
        """One pass over the figures: a few indexed queries, and the charts if they are seen."""
        now = self._guard.now()
        costs = self._store.costs
        if self._last is None:
            self.last_run.set("—", "no runs")
        else:
            price, model = self._last
            self.last_run.set(price.label, model)
        self._show_session()
        today = costs.today(now)
        self.today_total.set(*total_parts(today))
        self.month_total.set(*total_parts(costs.this_month(now)))
        self.export_button.setEnabled(self._last is not None)
        self.export_action.setEnabled(self._last is not None)
        self._show_budget(today.usd)
        if self.isVisible():  # hidden, the charts wait for showEvent
            self._draw_charts(now)

    def _show_session(self) -> None:
        if self.session_id is None:
            self.session_total.set("—", "no session open")
        else:
            self.session_total.set(*total_parts(self._store.costs.session(self.session_id)))

    def _budget_edited(self, value: float) -> None:
        self._guard.set_daily_budget(value)

    def _budget_changed(self) -> None:
        self.budget_box.blockSignals(True)
        self.budget_box.setValue(self._guard.daily_budget or 0.0)
        self.budget_box.blockSignals(False)
        self.refresh()

    def _show_budget(self, spent: float) -> None:
        limit = self._guard.daily_budget
        fraction = budget_fraction(spent, limit)
        level = budget_level(spent, limit)
        self.budget_bar.setProperty("level", str(level))
        if fraction is None or limit is None:
            self.budget_bar.setValue(0)
            self.budget_bar.setFormat("no daily budget")
            self.budget_bar.setToolTip("Set a daily budget to be asked before passing it.")
        else:
            self.budget_bar.setValue(round(min(fraction, 1.0) * 1000))
            self.budget_bar.setFormat(
                f"{dollars(spent)} of {money(limit)} today ({round(fraction * 100)} %)"
            )
            self.budget_bar.setToolTip(
                "Amber from 80 % of the budget, red once it is reached. Runs that would pass "
                "it ask first."
            )
        # Fusion paints the chunk in the Highlight colour: recolour that, keep the native look.
        # An empty palette sets only that role; the rest follows the app's light or dark one.
        palette = QPalette()
        colour = LEVEL_COLOURS.get(level)
        if colour is not None:
            palette.setColor(QPalette.ColorRole.Highlight, QColor(colour))
        if colour == AMBER:  # white on amber is hard to read
            palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#1a1a1a"))
        self.budget_bar.setPalette(palette)

    def bar_colour(self) -> QColor:
        return self.budget_bar.palette().color(QPalette.ColorRole.Highlight)

    # --- charts --------------------------------------------------------------------------------
    def _draw_charts(self, now: datetime) -> None:
        costs = self._store.costs
        days = costs.per_day(CHART_DAYS, now)
        if self._last is None or not any(d.runs for d in days):
            self.empty.setText(NO_RUNS if self._last is None else NO_RECENT)
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentIndex(1)
        start = costs.day_start(days[0].day)
        end = costs.day_start(days[-1].day + timedelta(days=1))
        self._draw_days(days)
        self._draw_models(costs.per_model(start, end))

    def _draw_days(self, days: list[DaySpend]) -> None:
        plot = self.day_plot
        plot.clear()
        limit = self._guard.daily_budget
        brushes = []
        for index, day in enumerate(days):
            over = limit is not None and day.usd > limit
            today = index == len(days) - 1
            brushes.append(pg.mkBrush(RED if over else TODAY_COLOUR if today else BAR_COLOUR))
        xs = list(range(len(days)))
        plot.addItem(
            pg.BarGraphItem(x=xs, height=[d.usd for d in days], width=0.75, brushes=brushes)
        )
        if limit is not None:
            line = pg.InfiniteLine(
                pos=limit, angle=0, pen=pg.mkPen(AMBER, width=1, style=Qt.PenStyle.DashLine)
            )
            plot.addItem(line)
        # A label every week, counted back from today so today is always labelled.
        ticks = [(i, _day_label(days[i].day)) for i in range(len(days) - 1, -1, -7)]
        bottom = plot.getAxis("bottom")
        bottom.setTicks([sorted(ticks), []])
        # Today's label sits on the right edge: let it run a little past the axis, not vanish.
        bottom.setStyle(hideOverlappingLabels=24)
        plot.getPlotItem().setContentsMargins(0, 0, 24, 0)
        left = plot.getAxis("left")
        left.enableAutoSIPrefix(False)  # "m$" would be no help
        left.setLabel("US$")
        top = max([d.usd for d in days] + [limit or 0.0])
        plot.setXRange(-0.6, len(days) - 0.4, padding=0)
        plot.setYRange(0, top * 1.1 if top > 0 else 1.0, padding=0)
        total = sum(d.usd for d in days)
        unknown = sum(d.unknown for d in days)
        note = f" · {unknown} with unknown price" if unknown else ""
        self.day_title.setText(
            f"Spend per day, last {CHART_DAYS} days: {dollars(total)}"
            f" in {sum(d.runs for d in days)} runs{note}"
        )

    def _draw_models(self, models: list[ModelSpend]) -> None:
        plot = self.model_plot
        plot.clear()
        if len(models) > MAX_MODELS:
            rest = models[MAX_MODELS - 1 :]
            others = ModelSpend(
                f"{len(rest)} others",
                sum(m.usd for m in rest),
                sum(m.runs for m in rest),
                sum(m.unknown for m in rest),
                sum(m.free for m in rest),
            )
            models = [*models[: MAX_MODELS - 1], others]
        # Horizontal bars: model names are long, and read best as rows, the dearest on top.
        count = len(models)
        ys = [count - 1 - i for i in range(count)]
        plot.addItem(
            pg.BarGraphItem(
                x0=0,
                y=ys,
                width=[m.usd for m in models],
                height=0.6,
                brush=pg.mkBrush(BAR_COLOUR),
            )
        )
        left = plot.getAxis("left")
        left.setTicks([[(y, _model_label(m)) for y, m in zip(ys, models, strict=True)], []])
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(_model_label(m)) for m in models)
        left.setWidth(min(widest + 12, 220))
        bottom = plot.getAxis("bottom")
        bottom.enableAutoSIPrefix(False)
        bottom.setLabel("US$")
        top = max(m.usd for m in models)
        # Each bar says its figure; free and unknown ones have no length, so the words matter.
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        for y, model in zip(ys, models, strict=True):
            label = pg.TextItem(_model_figure(model), color=ink, anchor=(0, 0.5))
            label.setPos(model.usd, y)
            plot.addItem(label)
        plot.setXRange(0, top * 1.3 if top > 0 else 1.0, padding=0)
        plot.setYRange(-0.6, count - 0.4, padding=0)
        self.model_plot.setMinimumHeight(min(60 + 26 * count, 240))

    # --- export --------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export Costs", str(Path.home() / "workbench-costs.csv"), "CSV (*.csv)"
        )
        if not path:
            return
        try:
            count = self.export_csv(Path(path))
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
        else:
            self.status_message.emit(f"Exported {count} runs to {path}")

    def export_csv(self, path: Path) -> int:
        """Every finished run, oldest first; returns how many were written."""
        return self._store.costs.export_csv(path)


def _model_figure(model: ModelSpend) -> str:
    if model.runs and model.unknown == model.runs:
        return " unknown price"
    if model.runs and model.free == model.runs:
        return " free"
    note = f" (+{model.unknown} unknown)" if model.unknown else ""
    return f" {dollars(model.usd)}{note}"


def _model_label(model: ModelSpend) -> str:
    name = model.model or "(no model)"
    return name if len(name) <= 28 else name[:27] + "…"
