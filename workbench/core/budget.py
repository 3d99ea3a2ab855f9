"""The daily budget: what a run is likely to cost before it is sent, and whether to ask first.

A run "would pass" the budget when today's spend plus its estimate goes over the limit, or when
today's spend has already reached it. Then the user is asked; nothing is refused behind their back.
A run whose price is unknown can't be shown to pass the budget, so it goes ahead unless the budget
is already used up; a free run (a model on this machine) never costs anything, so it is never held.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workbench.core.pricing import (
    FREE,
    LOCAL_KINDS,
    PRICED,
    UNKNOWN,
    Price,
    dollars,
    price_run,
    price_usage,
)
from workbench.core.runs import RunKind, RunRequest, Usage

# Without max_tokens there is no bound on the answer: assume one of about this size and say so.
DEFAULT_ANSWER_TOKENS = 1_000
WARN_FRACTION = 0.8


@dataclass(frozen=True, slots=True)
class Estimate:
    """A run's likely cost before it is sent: the prompt as counted, the answer bounded."""

    price: Price
    answer_tokens: int  # the answer size the price assumes
    bounded: bool  # True when max_tokens caps the answer; False when the default is assumed

    @property
    def usd(self) -> float | None:
        """None when the price is unknown; 0.0 when the run is free."""
        return self.price.usd

    @property
    def free(self) -> bool:
        return self.price.status == FREE

    def describe(self) -> str:
        """'about $0.012 (assuming up to 1,000 answer tokens)', 'free' or 'unknown price'."""
        if self.price.status != PRICED or self.price.usd is None:
            return self.price.label
        if self.bounded:
            return f"up to {dollars(self.price.usd)} (max {self.answer_tokens:,} answer tokens)"
        return (
            f"about {dollars(self.price.usd)} (assuming up to {self.answer_tokens:,} answer tokens)"
        )


def estimate_run(
    model: str,
    endpoint_kind: str,
    prompt_tokens: int,
    max_tokens: int | None,
    provider_hint: str | None = None,
) -> Estimate:
    """Priced exactly as a finished run is (core.pricing), with the answer at its upper bound."""
    bounded = bool(max_tokens and max_tokens > 0)
    answer = int(max_tokens) if bounded and max_tokens else DEFAULT_ANSWER_TOKENS
    price = price_run(model, endpoint_kind, max(0, prompt_tokens), answer, 0, 0, provider_hint)
    return Estimate(price, answer, bounded)


_PRICED_BY_INPUT = frozenset({RunKind.EMBEDDINGS, RunKind.MODERATION})


def estimate_request(
    request: RunRequest, endpoint_kind: str, endpoint_url: str, prompt_tokens: int
) -> Estimate:
    """A request of any kind, priced before it is sent as it will be once it has run.

    Chat completions bound the answer by max_tokens; a kind whose cost is only known from what
    comes back (audio length, images made) is estimated from its input where the price data
    allows, and otherwise says "unknown price" rather than guess.
    """
    hint = endpoint_url or None
    if request.kind is RunKind.CHAT_COMPLETION:
        return estimate_run(
            request.model, endpoint_kind, prompt_tokens, request.params.max_tokens, hint
        )
    if request.kind is RunKind.SPEECH:
        usage = Usage(input_characters=len(request.prompt_text()), prompt_tokens=prompt_tokens)
    elif request.kind in _PRICED_BY_INPUT:
        usage = Usage(prompt_tokens=max(0, prompt_tokens))
    elif str(endpoint_kind) in LOCAL_KINDS:
        return Estimate(Price(0.0, FREE), 0, True)
    else:  # images and transcriptions cost what comes back, unknown until it has
        return Estimate(Price(None, UNKNOWN), 0, False)
    return Estimate(price_usage(request.model, endpoint_kind, usage, hint), 0, True)


def combined(estimates: list[Estimate], repeats: int = 1) -> Estimate:
    """Several runs sent together (a comparison's columns, each `repeats` times), as one.

    Unknown prices add nothing: the sum of the known ones is a floor, never a made-up figure.
    """
    known = [e.price.usd for e in estimates if e.price.status == PRICED and e.price.usd is not None]
    if known:
        price = Price(sum(known) * repeats, PRICED)
    elif estimates and all(e.free for e in estimates):
        price = Price(0.0, FREE)
    else:
        price = Price(None, UNKNOWN)
    answer = max((e.answer_tokens for e in estimates), default=DEFAULT_ANSWER_TOKENS)
    return Estimate(price, answer, all(e.bounded for e in estimates))


class Level(StrEnum):
    OK = "ok"  # no budget, or well under it
    NEAR = "near"  # at or past the warning fraction: say so, but send
    OVER = "over"  # this run would pass the budget (or it is used up): ask first


@dataclass(frozen=True, slots=True)
class BudgetVerdict:
    level: Level
    message: str  # plain words for the question box or the status bar; "" when OK
    reason: str = ""  # the short form, after "Not sent: "
    spent: float = 0.0
    limit: float | None = None

    @property
    def asks(self) -> bool:
        return self.level is Level.OVER


def judge(
    spent_today: float,
    estimate: Estimate | None,
    limit: float | None,
    warn_fraction: float = WARN_FRACTION,
) -> BudgetVerdict:
    """Whether a run may go without asking. `estimate` None means nothing is known of its cost."""
    if not limit or limit <= 0:
        return BudgetVerdict(Level.OK, "", spent=spent_today)
    spent = max(0.0, spent_today)
    cost = estimate.usd if estimate is not None else None
    this_run = f"This run: {estimate.describe()}." if estimate is not None else ""
    budget = f"today's budget of {money(limit)}"
    if estimate is not None and estimate.free:
        if spent >= limit:
            return BudgetVerdict(
                Level.NEAR,
                f"Today's spend ({money(spent)}) has reached {budget}; this run is free.",
                spent=spent,
                limit=limit,
            )
        cost = 0.0
    elif spent >= limit:
        return BudgetVerdict(
            Level.OVER,
            _join(f"Today's spend ({money(spent)}) has already reached {budget}.", this_run),
            f"{budget} is used up ({money(spent)} spent)",
            spent,
            limit,
        )
    if estimate is not None and cost is not None and spent + cost > limit:
        return BudgetVerdict(
            Level.OVER,
            _join(
                f"This run would take today's spend from {money(spent)} to about "
                f"{money(spent + cost)}, past {budget}.",
                this_run,
            ),
            f"{budget} would be passed: {money(spent)} spent, this run {estimate.describe()}",
            spent,
            limit,
        )
    after = spent + (cost or 0.0)
    if after >= warn_fraction * limit:
        share = round(100 * after / limit)
        unknown = " This run's price is unknown." if cost is None else ""
        return BudgetVerdict(
            Level.NEAR,
            f"Near {budget}: {money(after)} ({share} %) after this run.{unknown}",
            spent=spent,
            limit=limit,
        )
    return BudgetVerdict(Level.OK, "", spent=spent, limit=limit)


def budget_fraction(spent: float, limit: float | None) -> float | None:
    """How much of the budget is spent (1.0 = all of it); None without a budget."""
    if not limit or limit <= 0:
        return None
    return max(0.0, spent) / limit


def budget_level(spent: float, limit: float | None, warn_fraction: float = WARN_FRACTION) -> Level:
    """The colour of the budget bar: near from the warning fraction, over past the limit."""
    fraction = budget_fraction(spent, limit)
    if fraction is None or fraction < warn_fraction:
        return Level.OK
    return Level.OVER if fraction >= 1.0 else Level.NEAR


def money(usd: float) -> str:
    """A budget or a day's spend: whole cents as '$0.50', finer amounts as `dollars` shows them."""
    if usd >= 1 or abs(usd * 100 - round(usd * 100)) < 1e-9:
        return f"${usd:,.2f}"
    return dollars(usd)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
