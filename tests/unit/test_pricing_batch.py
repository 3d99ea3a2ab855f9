"""Batch API prices: genai-prices' own "processing: batch" rates where it has them, half the
standard price where it has none."""

from __future__ import annotations

import pytest
from genai_prices import Usage as PricedUsage
from genai_prices import data_snapshot

from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.pricing import PRICED, has_processing_price, price_usage
from workbench.core.runs import Usage
from workbench.services.prompt_lab.batch_cells import batch_price

# A cached part: gpt-4o's batch variant keeps the cached-input rate, so halving would be wrong.
USAGE = Usage(prompt_tokens=100_000, completion_tokens=20_000, cached_tokens=40_000)


def listed_batch_price(model: str) -> float:
    """What genai-prices itself says the batch run costs, asked directly."""
    provider, info = data_snapshot.get_snapshot().find_provider_model(model, None, "openai", None)
    calc = info.calc_price(
        PricedUsage(input_tokens=100_000, output_tokens=20_000, cache_read_tokens=40_000),
        provider,
        price_context={"processing": "batch"},
    )
    return float(calc.total_price)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "gpt-5"])
def test_a_batch_price_context_uses_genai_prices_batch_rates(model: str) -> None:
    standard = price_usage(model, "openai", USAGE)
    batch = price_usage(model, "openai", USAGE, processing="batch")

    assert has_processing_price(model, "openai", "batch")
    assert batch.status == PRICED and batch.usd == pytest.approx(listed_batch_price(model))
    assert standard.usd is not None and batch.usd < standard.usd


def test_the_batch_rates_are_not_simply_half_when_cached_tokens_are_billed_apart() -> None:
    standard = price_usage("gpt-4o", "openai", USAGE).usd
    batch = price_usage("gpt-4o", "openai", USAGE, processing="batch").usd
    assert standard is not None and batch is not None
    assert batch != pytest.approx(standard / 2)


def test_a_model_without_batch_rates_is_priced_as_standard_and_says_so() -> None:
    # gpt-4-32k is listed with no batch variant.
    assert not has_processing_price("gpt-4-32k", "openai", "batch")
    standard = price_usage("gpt-4-32k", "openai", USAGE)
    assert standard.usd is not None and standard.usd > 0
    assert price_usage("gpt-4-32k", "openai", USAGE, processing="batch") == standard
    assert not has_processing_price("no-such-model", "openai", "batch")


def test_no_processing_leaves_every_price_as_it_was() -> None:
    for model in ("gpt-4o", "gpt-4-32k"):
        assert price_usage(model, "openai", USAGE, processing=None) == price_usage(
            model, "openai", USAGE
        )


def test_batch_cells_use_the_batch_rates_and_halve_only_as_the_fallback() -> None:
    endpoint = new_endpoint(EndpointKind.OPENAI, "OpenAI")

    priced = batch_price("gpt-4o", endpoint, USAGE)
    assert priced.usd == pytest.approx(listed_batch_price("gpt-4o"))

    fallback = batch_price("gpt-4-32k", endpoint, USAGE)
    full = price_usage("gpt-4-32k", "openai", USAGE).usd
    assert full is not None and fallback.status == PRICED
    assert fallback.usd == pytest.approx(full / 2)

    assert batch_price("no-such-model", endpoint, USAGE).usd is None
