"""The daily budget, kept in the app's settings, and the question asked before a run would pass it.

Not a panel: the chat and the compare panel both ask it before sending, and the cost meter edits
it, so none of them has to know about the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from workbench.core.budget import BudgetVerdict, Estimate, Level, combined, judge
from workbench.services.store.costs import CostQueries
from workbench.ui.widgets.anyway_question import ask_anyway

BUDGET_SETTING = "cost/daily_budget_usd"
SEND_ANYWAY = "Send anyway"
DONT_SEND = "Don't send"


class BudgetGuard(QObject):
    changed = Signal()  # the daily budget was set or cleared
    warned = Signal(str)  # a run went ahead near the budget: a line for the status bar

    def __init__(
        self,
        settings: QSettings,
        costs: CostQueries,
        clock: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._costs = costs
        self._clock = clock or (lambda: datetime.now(UTC))
        self.last_verdict: BudgetVerdict | None = None

    @property
    def daily_budget(self) -> float | None:
        """USD per local day; None when there is no budget."""
        try:
            value = float(self._settings.value(BUDGET_SETTING, 0.0) or 0.0)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # a hand-edited settings file
            return None
        return value if value > 0 else None

    def set_daily_budget(self, usd: float | None) -> None:
        value = round(usd, 2) if usd and usd > 0 else 0.0
        if value == (self.daily_budget or 0.0):
            return
        self._settings.setValue(BUDGET_SETTING, value)
        self.changed.emit()

    def now(self) -> datetime:
        return self._clock()

    def verdict(
        self, estimates: Callable[[], Sequence[Estimate]], repeats: int = 1
    ) -> BudgetVerdict:
        """Whether runs sent together (one chat answer, or a comparison's columns each
        `repeats` times) would pass today's budget. `estimates` is called only when there is a
        budget: pricing a run is not free, and most sends have nothing to check."""
        limit = self.daily_budget
        if limit is None:  # no budget: not even the (cheap) query is needed
            return BudgetVerdict(Level.OK, "")
        priced = list(estimates())
        single = len(priced) == 1 and repeats == 1
        estimate = priced[0] if single else combined(priced, repeats)
        return judge(self._costs.today(self.now()).usd, estimate, limit)

    def allows(
        self,
        parent: QWidget | None,
        estimates: Callable[[], Sequence[Estimate]],
        repeats: int = 1,
        say: Callable[[str], None] = lambda _line: None,
    ) -> bool:
        """Whether to send: True unless the runs would pass the budget and the user said no.
        `say` gets a line for the status bar: why nothing was sent, or that the budget is near."""
        verdict = self.verdict(estimates, repeats)
        allowed = self._decide(parent, verdict)
        if not allowed:
            say(f"Not sent: {verdict.reason}.")
        elif verdict.message and not verdict.asks:
            say(verdict.message)
        return allowed

    def _decide(self, parent: QWidget | None, verdict: BudgetVerdict) -> bool:
        self.last_verdict = verdict
        if verdict.level is Level.NEAR:
            self.warned.emit(verdict.message)
        if not verdict.asks:
            return True
        return self._ask(parent, verdict)

    def _ask(self, parent: QWidget | None, verdict: BudgetVerdict) -> bool:
        # Enter or Esc must never spend money by accident.
        return ask_anyway(
            parent,
            name="budget.question",
            title="Daily budget",
            text="Send this run over today's budget?",
            detail=f"{verdict.message}\n\n"
            "Change the budget in the Cost Meter panel (View ▸ Cost Meter).",
            go=SEND_ANYWAY,
            stop=DONT_SEND,
        )
