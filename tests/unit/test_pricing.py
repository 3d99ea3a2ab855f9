"""The cost shown for a run: genai-prices' bundled rates applied to the run's token counts.

Expected amounts are worked out here from the snapshot's own per-million rates, so the tests hold
whatever the bundled prices are, and no price is written down twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import data_snapshot

from workbench.core.pricing import FREE, PRICED, UNKNOWN, Price, dollars, price_run

AT = datetime(2026, 11, 1, tzinfo=UTC)


def rates(model: str, provider_id: str) -> tuple[Decimal, Decimal, Decimal]:
    """Input, cached input and output USD per million tokens, straight from the snapshot."""
    _, info = data_snapshot.get_snapshot().find_provider_model(model, None, provider_id, None)
    prices = info.get_prices(AT)
    assert isinstance(prices.input_mtok, Decimal)
    assert isinstance(prices.output_mtok, Decimal)
    cached = prices.cache_read_mtok
    assert isinstance(cached, Decimal)
    return prices.input_mtok, cached, prices.output_mtok


def expected_usd(model: str, provider_id: str, prompt: int, completion: int, cached: int) -> float:
    input_rate, cached_rate, output_rate = rates(model, provider_id)
    total = (prompt - cached) * input_rate + cached * cached_rate + completion * output_rate
    return float(total / 1_000_000)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "o3-mini"])
def test_openai_models_cost_what_their_rates_say(model: str) -> None:
    price = price_run(model, "openai", 1200, 350, at=AT)

    assert price.status == PRICED
    assert price.usd == pytest.approx(expected_usd(model, "openai", 1200, 350, 0))
    assert price.usd > 0


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "o3-mini"])
def test_cached_prompt_tokens_are_charged_at_the_cached_rate(model: str) -> None:
    # OpenAI's prompt_tokens include the cached ones: 1024 of these 3000 came from the cache.
    price = price_run(model, "openai", 3000, 200, cached_tokens=1024, at=AT)
    uncached = price_run(model, "openai", 3000, 200, at=AT)

    assert price.usd == pytest.approx(expected_usd(model, "openai", 3000, 200, 1024))
    assert uncached.usd is not None and price.usd is not None
    assert price.usd < uncached.usd


def test_reasoning_tokens_are_output_tokens_charged_once() -> None:
    # o3-mini's completion_tokens already include its reasoning tokens.
    with_reasoning = price_run("o3-mini", "openai", 500, 2000, reasoning_tokens=1500, at=AT)

    assert with_reasoning.usd == pytest.approx(expected_usd("o3-mini", "openai", 500, 2000, 0))


def test_dated_model_names_get_their_family_price() -> None:
    dated = price_run("gpt-4o-mini-2024-07-18", "openai", 1000, 1000, at=AT)

    assert dated == price_run("gpt-4o-mini", "openai", 1000, 1000, at=AT)


def test_openrouter_model_ids_carry_the_vendor_prefix() -> None:
    price = price_run("openai/gpt-4o", "openrouter", 2000, 400, cached_tokens=500, at=AT)

    assert price.status == PRICED
    assert price.usd == pytest.approx(expected_usd("openai/gpt-4o", "openrouter", 2000, 400, 500))


def test_azure_deployments_named_after_openai_models_are_priced() -> None:
    price = price_run("gpt-4o", "azure", 1000, 100, at=AT)

    assert price.status == PRICED
    assert price.usd == pytest.approx(expected_usd("gpt-4o", "azure", 1000, 100, 0))


def test_custom_endpoints_are_matched_by_model_name() -> None:
    plain = price_run("gpt-4o-mini", "custom", 1000, 100, at=AT)
    prefixed = price_run("openai/gpt-4o-mini", "custom", 1000, 100, at=AT)

    assert plain.usd == pytest.approx(expected_usd("gpt-4o-mini", "openai", 1000, 100, 0))
    assert prefixed == plain


def test_self_hosted_vllm_is_not_given_a_hosted_price() -> None:
    assert price_run("gpt-oss-20b", "vllm", 1000, 100, at=AT).status == UNKNOWN


def test_a_hint_naming_the_provider_picks_its_prices() -> None:
    by_url = price_run(
        "openai/gpt-4o", "custom", 1000, 100, provider_hint="https://openrouter.ai/api/v1", at=AT
    )
    by_id = price_run("openai/gpt-4o", "custom", 1000, 100, provider_hint="openrouter", at=AT)
    expected = expected_usd("openai/gpt-4o", "openrouter", 1000, 100, 0)

    assert by_url.usd == pytest.approx(expected)
    assert by_id.usd == pytest.approx(expected)


def test_a_hint_naming_no_known_provider_is_ignored() -> None:
    hinted = price_run(
        "gpt-4o", "custom", 1000, 100, provider_hint="http://127.0.0.1:8000/v1", at=AT
    )

    assert hinted == price_run("gpt-4o", "custom", 1000, 100, at=AT)


@pytest.mark.parametrize("kind", ["local", "ollama", "lmstudio"])
def test_models_run_on_this_machine_are_free(kind: str) -> None:
    # Even when the weights carry a hosted model's name.
    price = price_run("gpt-4o", kind, 10_000, 10_000)

    assert price == Price(0.0, FREE)
    assert price.label == "free"


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("no-such-model-xyz", "openai"),
        ("no-such-model-xyz", "custom"),
        ("meta-llama/Llama-3.1-8B-Instruct", "vllm"),
        ("vendor/no-such-model", "openrouter"),
        ("ft:gpt-4o-mini:acme::abc123", "openai"),  # fine-tunes cost more than the base model
        ("my-gpt4o-deployment", "azure"),
        ("", "openai"),
    ],
)
def test_models_without_price_data_are_unknown(model: str, kind: str) -> None:
    price = price_run(model, kind, 1000, 1000)

    assert price.status == UNKNOWN
    assert price.usd is None
    assert price.label == "unknown price"


def test_models_listed_without_any_prices_are_unknown_not_zero() -> None:
    openrouter = data_snapshot.get_snapshot().find_provider(None, "openrouter", None)
    unpriced = [
        m.id
        for m in openrouter.models
        if not m.id.endswith(":free")
        and m.get_prices(AT).input_mtok is None
        and m.get_prices(AT).output_mtok is None
    ]
    if not unpriced:
        pytest.skip("the bundled data lists no OpenRouter model without prices")

    assert price_run(unpriced[0], "openrouter", 1000, 1000, at=AT).status == UNKNOWN


def test_openrouter_free_variants_cost_nothing() -> None:
    openrouter = data_snapshot.get_snapshot().find_provider(None, "openrouter", None)
    free = next((m.id for m in openrouter.models if m.id.endswith(":free")), None)
    if free is None:
        pytest.skip("the bundled data lists no OpenRouter :free model")

    assert price_run(free, "openrouter", 1000, 1000, at=AT) == Price(0.0, PRICED)


def test_inconsistent_counts_never_make_a_negative_price() -> None:
    price = price_run("gpt-4o", "openai", 100, 10, cached_tokens=500, reasoning_tokens=50, at=AT)

    assert price.usd is not None and price.usd >= 0


def test_prices_default_to_now() -> None:
    price = price_run("gpt-4o-mini", "openai", 1000, 1000)

    assert price.status == PRICED
    assert price.usd is not None and price.usd > 0


@pytest.mark.parametrize(
    ("usd", "label"),
    [
        (0.0123, "$0.0123"),
        (0.00042, "$0.00042"),
        (0.000423, "$0.00042"),
        (0.0000015, "$0.0000015"),
        (0.5, "$0.5000"),
        (1.5, "$1.50"),
        (1234.5, "$1,234.50"),
        (0.0, "$0.00"),
    ],
)
def test_labels_keep_tiny_amounts_readable(usd: float, label: str) -> None:
    assert Price(usd, PRICED).label == label
    assert dollars(usd) == label


def test_a_priced_run_label_shows_dollars() -> None:
    assert price_run("gpt-4o", "openai", 1000, 500, at=AT).label.startswith("$0.0")
    assert Price(None, UNKNOWN).label == "unknown price"
