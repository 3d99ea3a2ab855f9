"""What a run cost, from genai-prices' bundled price data; nothing here is a hand-kept price table.

How the token counts map onto genai-prices (checked against genai-prices 0.2.3):
- genai-prices' `input_tokens` is the whole prompt, cache reads included, and `cache_read_tokens`
  is the cached part of it: it prices `input - cache_read` at the input rate and `cache_read` at
  the cached rate. That is OpenAI's convention too (`prompt_tokens` includes
  `prompt_tokens_details.cached_tokens`), so the counts go in unchanged. A model with no cached
  rate in the data (gpt-4o-2024-05-13, say) is charged the input rate for every prompt token.
- `output_reasoning_tokens` is likewise part of `output_tokens`, as OpenAI's reasoning tokens are
  part of `completion_tokens`: they are charged once, at the output rate, unless the model has a
  separate reasoning rate in the data (a few, such as perplexity/sonar-deep-research, do).

Which provider's prices apply comes from the endpoint kind: OpenAI and OpenRouter use their own
tables, Azure uses genai-prices' Azure table (which falls back to OpenAI's for the models it does
not list), and custom or vLLM endpoints use genai-prices' matching by model name (a provider
prefix such as "anthropic/…" names the provider). Servers that run models on this machine are
free (the built-in one, and Ollama or LM Studio on a loopback address). Anything that cannot be
matched is "unknown", never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from workbench.core.runs import PriceStatus, Usage

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, ModelPrice, Provider


PRICED, FREE, UNKNOWN = PriceStatus.PRICED, PriceStatus.FREE, PriceStatus.UNKNOWN


@dataclass(frozen=True, slots=True)
class Price:
    usd: float | None  # None when unknown; 0.0 when free
    status: PriceStatus

    @property
    def label(self) -> str:
        if self.status == FREE:
            return "free"
        if self.status != PRICED or self.usd is None:
            return "unknown price"
        return dollars(self.usd)


UNKNOWN_PRICE = Price(None, UNKNOWN)
FREE_PRICE = Price(0.0, FREE)

# Endpoint kinds that run the model on the user's own machine: no per-token bill.
LOCAL_KINDS = frozenset({"local", "ollama", "lmstudio"})
# Self-hosted servers bill no one per token: a hosted rate for the same model name would be a
# made-up number. A provider hint (a known provider's URL) still prices them.
SELF_HOSTED_KINDS = frozenset({"vllm"})

# The genai-prices provider whose table applies to each hosted kind.
_KIND_PROVIDER = {"openai": "openai", "azure": "azure", "openrouter": "openrouter"}
# Any other kind (custom, vllm) is matched by model name. genai-prices' "litellm" provider id does
# exactly that: it uses a "provider/" prefix when the prefix is a known provider, and otherwise
# infers the provider from the model name (gpt-* is OpenAI's, claude* Anthropic's, …).
_MATCH_BY_NAME = "litellm"


def price_run(
    model: str,
    endpoint_kind: str,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    provider_hint: str | None = None,
    *,
    at: datetime | None = None,
) -> Price:
    """A chat run's cost from its token counts; see `price_usage`."""
    usage = Usage(prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens)
    return price_usage(model, endpoint_kind, usage, provider_hint, at=at)


def price_usage(
    model: str,
    endpoint_kind: str,
    usage: Usage,
    provider_hint: str | None = None,
    *,
    at: datetime | None = None,
    processing: str | None = None,
) -> Price:
    """The cost of one run of any kind, with counts as an OpenAI-compatible `usage` reports them.

    Text, audio and image tokens, audio seconds and input characters (speech) are priced by
    genai-prices; a model with no rate for what the run used is unknown, never a guess.
    `cached_tokens` are part of `prompt_tokens`, `reasoning_tokens` part of `completion_tokens`.
    `provider_hint` is a genai-prices provider id ("together", "groq") or the endpoint's base URL;
    when it names a known provider, that provider's prices apply whatever the kind. `at` is when
    the run happened (prices change over time); None means now. `processing` ("batch") is
    genai-prices' price context: a model with a price variant for it is charged that variant's
    rates (see `has_processing_price`); one without is charged its standard rates.
    """
    kind = str(endpoint_kind)
    if kind in LOCAL_KINDS and _on_this_machine(provider_hint):
        return FREE_PRICE
    if kind in SELF_HOSTED_KINDS and not provider_hint:
        return UNKNOWN_PRICE
    found = _find_model(model, kind, provider_hint)
    if found is None:
        return UNKNOWN_PRICE
    provider, info = found
    return _priced(info, provider, usage, at, _context(processing))


def has_processing_price(
    model: str,
    endpoint_kind: str,
    processing: str,
    provider_hint: str | None = None,
    *,
    at: datetime | None = None,
) -> bool:
    """Whether genai-prices holds rates of their own for `processing` ("batch") for this model,
    so `price_usage(..., processing=...)` differs from the standard price where it should."""
    found = _find_model(model, str(endpoint_kind), provider_hint)
    if found is None:
        return False
    provider, info = found
    if not any(listed is info for listed in provider.models):
        return False  # borrowed from another provider's table: genai-prices ignores variants
    when = at or datetime.now(tz=UTC)
    context = _context(processing)
    return any(
        variant.when.items() <= context.items()
        and (variant.constraint is None or variant.constraint.active(when))
        for variant in info.price_variants or ()
    )


def _context(processing: str | None) -> dict[str, str]:
    return {"processing": processing} if processing else {}


def _on_this_machine(base_url: str | None) -> bool:
    """Whether a base URL is this machine (no URL: the built-in server or a kind's preset).
    Ollama or LM Studio elsewhere may be a paid service: priced by name, or unknown."""
    if not base_url or "://" not in base_url:
        return True
    host = (urlsplit(base_url.strip()).hostname or "").lower()
    return host in {"localhost", "::1", "0.0.0.0"} or host.startswith("127.")


def dollars(usd: float) -> str:
    """'$1.25', '$0.0123', and two significant digits below a cent: '$0.00042'."""
    if usd <= 0:
        return "$0.00"
    if usd >= 1:
        return f"${usd:,.2f}"
    if usd >= 0.01:
        return f"${usd:.4f}"
    decimals = 1 - math.floor(math.log10(usd))
    return f"${usd:.{decimals}f}"


def _find_model(
    model: str, kind: str, provider_hint: str | None
) -> tuple[Provider, ModelInfo] | None:
    # Imported here: the bundled data is a large module, and nothing needs it until a run ends.
    from genai_prices import data_snapshot

    name = model.strip()
    if not name:
        return None
    snapshot = data_snapshot.get_snapshot()
    hinted = _hinted_provider(snapshot, provider_hint)
    try:
        if hinted is not None:
            return snapshot.find_provider_model(name, hinted, None, None)
        provider_id = _KIND_PROVIDER.get(kind, _MATCH_BY_NAME)
        return snapshot.find_provider_model(name, None, provider_id, None)
    except LookupError:
        return None


def _hinted_provider(snapshot: DataSnapshot, hint: str | None) -> Provider | None:
    """The provider a hint names; None when there is no hint or it names no known provider."""
    hint = (hint or "").strip()
    if not hint:
        return None
    try:
        if "://" in hint:
            return snapshot.find_provider(None, None, hint)
        return snapshot.find_provider(None, hint, None)
    except LookupError:  # e.g. a server on localhost: fall back to the endpoint kind
        return None


def _priced(
    info: ModelInfo,
    provider: Provider,
    usage: Usage,
    at: datetime | None,
    context: dict[str, str],
) -> Price:
    from genai_prices import Usage as PricedUsage

    counts = _genai_counts(usage)
    calc = info.calc_price(
        PricedUsage(**counts), provider, genai_request_timestamp=at, price_context=context or None
    )
    if not _has_rates(calc.model_price, counts) and not _is_free_variant(info):
        # genai-prices lists some models with no prices at all: that is missing data, not $0.
        return UNKNOWN_PRICE
    return Price(float(calc.total_price), PRICED)


def _genai_counts(usage: Usage) -> dict[str, int | float]:
    """genai-prices' usage keys. A part can never exceed its whole; a server that says
    otherwise must not make a count negative."""
    prompt = max(0, usage.prompt_tokens)
    completion = max(0, usage.completion_tokens)
    counts: dict[str, int | float] = {
        "input_tokens": prompt,
        "cache_read_tokens": min(max(0, usage.cached_tokens), prompt),
        "output_tokens": completion,
        "output_reasoning_tokens": min(max(0, usage.reasoning_tokens), completion),
        "input_audio_tokens": min(max(0, usage.input_audio_tokens), prompt),
        "output_audio_tokens": min(max(0, usage.output_audio_tokens), completion),
        "input_image_tokens": min(max(0, usage.input_image_tokens), prompt),
        "output_image_tokens": min(max(0, usage.output_image_tokens), completion),
        "audio_seconds": max(0.0, usage.audio_seconds),
        "input_characters": max(0, usage.input_characters),
    }
    # Keys left at zero stay out: genai-prices then leaves those rates alone.
    return {k: v for k, v in counts.items() if v or k in ("input_tokens", "output_tokens")}


def _has_rates(prices: ModelPrice, counts: dict[str, int | float]) -> bool:
    """Whether the data holds a rate for anything the run used (tokens, seconds, characters)."""
    if _has_token_rates(prices):
        return True
    from genai_prices.data_units import unit_data

    return any(
        getattr(prices, str(unit_data[key]["price_key"]), None) is not None
        for key, count in counts.items()
        if count and key in unit_data
    )


def _has_token_rates(prices: ModelPrice) -> bool:
    return prices.input_mtok is not None or prices.output_mtok is not None


def _is_free_variant(info: ModelInfo) -> bool:
    # OpenRouter's ":free" variants are listed with no prices because they cost nothing.
    return info.id.endswith(":free")
