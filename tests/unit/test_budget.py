"""The daily budget: a run's estimated cost before sending, and when the user is asked first.

Expected costs come from genai-prices' own `calc_price`, called here independently of the app's
pricing code, so the figures are checked against the bundled price data rather than written down.
"""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from workbench.core.budget import (
    DEFAULT_ANSWER_TOKENS,
    Estimate,
    Level,
    budget_level,
    estimate_run,
    judge,
    money,
)
from workbench.core.pricing import FREE, PRICED, UNKNOWN, Price, dollars, price_run


def genai_usd(model: str, prompt: int, completion: int, cached: int = 0) -> float:
    usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion)
    return float(calc_price(usage, model, provider_id="openai").total_price)


def priced(usd: float) -> Estimate:
    return Estimate(Price(usd, PRICED), DEFAULT_ANSWER_TOKENS, bounded=False)


UNKNOWN_RUN = Estimate(Price(None, UNKNOWN), DEFAULT_ANSWER_TOKENS, bounded=False)
FREE_RUN = Estimate(Price(0.0, FREE), DEFAULT_ANSWER_TOKENS, bounded=False)


# --- estimates --------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini"])
def test_estimate_is_genai_prices_figure_for_the_prompt_and_max_tokens(model: str) -> None:
    estimate = estimate_run(model, "openai", 1800, max_tokens=400)

    assert estimate.price.status == PRICED
    assert estimate.usd == pytest.approx(genai_usd(model, 1800, 400))
    assert estimate.bounded and estimate.answer_tokens == 400
    expected = dollars(genai_usd(model, 1800, 400))
    assert estimate.describe() == f"up to {expected} (max 400 answer tokens)"


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini"])
def test_without_max_tokens_the_stated_default_answer_is_assumed(model: str) -> None:
    estimate = estimate_run(model, "custom", 1200, max_tokens=None)

    assert estimate.usd == pytest.approx(genai_usd(model, 1200, DEFAULT_ANSWER_TOKENS))
    assert not estimate.bounded
    assert estimate.describe() == (
        f"about {dollars(estimate.usd)} (assuming up to {DEFAULT_ANSWER_TOKENS:,} answer tokens)"
    )


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini"])
def test_cached_tokens_are_priced_as_genai_prices_prices_them(model: str) -> None:
    # The same pricing code prices finished runs: cached prompt tokens at the cached rate.
    price = price_run(model, "openai", 5000, 300, cached_tokens=4096)

    assert price.usd == pytest.approx(genai_usd(model, 5000, 300, cached=4096))
    assert price.usd < genai_usd(model, 5000, 300)


def test_local_runs_are_estimated_free_and_unknown_models_unknown() -> None:
    assert estimate_run("smollm2-135m-instruct", "local", 500, None).describe() == "free"
    unknown = estimate_run("my-own-finetune", "custom", 500, None)
    assert unknown.usd is None and unknown.describe() == "unknown price"


# --- verdicts ---------------------------------------------------------------------------------
def test_no_budget_never_asks() -> None:
    for limit in (None, 0.0):
        verdict = judge(1000.0, priced(5.0), limit)
        assert verdict.level is Level.OK and not verdict.asks and verdict.message == ""


def test_well_under_the_budget_is_ok() -> None:
    assert judge(1.0, priced(0.5), 5.0).level is Level.OK


def test_nearing_the_budget_warns_without_asking() -> None:
    verdict = judge(3.9, priced(0.2), 5.0)  # 4.10 of 5.00 afterwards: 82 %

    assert verdict.level is Level.NEAR and not verdict.asks
    assert "$4.10" in verdict.message and "82 %" in verdict.message


def test_a_run_that_would_pass_the_budget_asks() -> None:
    verdict = judge(4.9, priced(0.2), 5.0)

    assert verdict.asks
    assert "$4.90" in verdict.message and "$5.10" in verdict.message and "$5.00" in verdict.message
    assert verdict.reason.startswith("today's budget of $5.00 would be passed")


def test_exactly_reaching_the_budget_does_not_pass_it() -> None:
    verdict = judge(4.75, priced(0.25), 5.0)
    assert verdict.level is Level.NEAR


def test_a_used_up_budget_asks_even_for_a_tiny_run() -> None:
    verdict = judge(5.0, priced(0.0001), 5.0)

    assert verdict.asks
    assert verdict.reason == "today's budget of $5.00 is used up ($5.00 spent)"


def test_an_unknown_price_never_blocks_by_itself() -> None:
    assert judge(1.0, UNKNOWN_RUN, 5.0).level is Level.OK
    near = judge(4.5, UNKNOWN_RUN, 5.0)
    assert near.level is Level.NEAR and "unknown" in near.message
    assert judge(4.5, None, 5.0).level is Level.NEAR


def test_an_unknown_price_asks_when_the_budget_is_already_used_up() -> None:
    verdict = judge(5.2, UNKNOWN_RUN, 5.0)
    assert verdict.asks and "unknown price" in verdict.message


def test_a_free_run_is_never_held_back() -> None:
    verdict = judge(7.0, FREE_RUN, 5.0)
    assert not verdict.asks and "free" in verdict.message


def test_budget_bar_levels() -> None:
    assert budget_level(1.0, None) is Level.OK
    assert budget_level(3.9, 5.0) is Level.OK
    assert budget_level(4.0, 5.0) is Level.NEAR  # 80 %
    assert budget_level(5.0, 5.0) is Level.OVER
    assert budget_level(6.0, 5.0) is Level.OVER


def test_money_shows_cents_and_keeps_small_amounts_readable() -> None:
    assert money(5) == "$5.00"
    assert money(0.5) == "$0.50"
    assert money(1234.5) == "$1,234.50"
    assert money(0.0123) == dollars(0.0123)
