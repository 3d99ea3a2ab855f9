"""The parameter form greys out what a model ignores, and says why in plain words."""

from __future__ import annotations

import pytest

from workbench.core.endpoints import EndpointKind
from workbench.core.model_traits import ModelTraits, traits_for, unsupported_reason


@pytest.mark.parametrize(
    "model",
    ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini", "gpt-5.1", "O3-MINI"],
)
def test_openai_reasoning_models_take_effort_but_no_sampling_knobs(model: str) -> None:
    traits = traits_for(model, EndpointKind.OPENAI)
    assert traits.reasoning
    assert not (traits.temperature or traits.penalties or traits.logprobs)
    assert traits.seed


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4.1-mini", "gpt-5-chat-latest", "gpt-3.5-turbo"])
def test_other_openai_models_take_sampling_knobs_but_no_effort(model: str) -> None:
    traits = traits_for(model, EndpointKind.OPENAI)
    assert not traits.reasoning
    assert traits.temperature and traits.penalties and traits.logprobs and traits.seed


def test_tooltips_say_why_a_control_is_disabled() -> None:
    o3 = traits_for("o3-mini", "openai")
    assert unsupported_reason(o3, "temperature") == (
        "o3-mini is a reasoning model: it ignores temperature"
    )
    assert unsupported_reason(o3, "top_p") == "o3-mini is a reasoning model: it ignores top_p"
    assert "reasoning model" in (unsupported_reason(o3, "frequency_penalty") or "")
    assert "reasoning model" in (unsupported_reason(o3, "top_logprobs") or "")
    assert unsupported_reason(o3, "reasoning_effort") is None
    assert unsupported_reason(o3, "seed") is None

    gpt4o = traits_for("gpt-4o", "openai")
    assert unsupported_reason(gpt4o, "temperature") is None
    assert unsupported_reason(gpt4o, "reasoning_effort") == (
        "gpt-4o is not a reasoning model: it takes no reasoning effort"
    )
    assert unsupported_reason(gpt4o, "max_tokens") is None  # not something traits decide


def test_the_endpoint_kind_decides_what_the_server_can_do() -> None:
    local = traits_for("smollm2-135m-instruct", EndpointKind.LOCAL)
    assert local.logprobs and local.seed and local.json_schema and not local.reasoning

    studio = traits_for("qwen2.5-7b-instruct", EndpointKind.LM_STUDIO)
    assert not studio.logprobs
    assert unsupported_reason(studio, "logprobs") == "This endpoint does not return logprobs"

    for kind in EndpointKind:
        traits = traits_for("some-model", kind)
        assert isinstance(traits, ModelTraits)
        assert not traits.reasoning


def test_openai_names_on_local_servers_are_not_taken_for_openai_models() -> None:
    assert not traits_for("o3-mini", EndpointKind.OLLAMA).reasoning
    assert traits_for("o3-mini", EndpointKind.VLLM).temperature
    # OpenRouter names models vendor/model; only OpenAI's follow OpenAI's rules.
    assert traits_for("openai/o3-mini", EndpointKind.OPENROUTER).reasoning
    assert not traits_for("deepseek/deepseek-r1", EndpointKind.OPENROUTER).reasoning
    # Azure names deployments after the model, as its preset suggests.
    assert traits_for("o4-mini", EndpointKind.AZURE).reasoning


def test_models_older_than_structured_outputs_have_no_json_schema() -> None:
    assert not traits_for("gpt-3.5-turbo", "openai").json_schema
    assert not traits_for("gpt-4-turbo-2024-04-09", "openai").json_schema
    assert traits_for("gpt-4o-mini", "openai").json_schema
    reason = unsupported_reason(traits_for("gpt-3.5-turbo", "openai"), "response_format")
    assert reason == "gpt-3.5-turbo does not support JSON schema output"


def test_openrouter_listing_switches_off_what_the_model_does_not_take() -> None:
    listed = {
        "id": "mistralai/mistral-7b-instruct",
        "context_length": 32768,
        "supported_parameters": ["temperature", "top_p", "max_tokens", "response_format"],
    }
    traits = traits_for("mistralai/mistral-7b-instruct", "openrouter", listed)
    assert traits.temperature
    assert not (traits.logprobs or traits.seed or traits.penalties or traits.json_schema)
    assert traits.context_window == 32768
    # A listing never turns on what a reasoning model ignores.
    o3 = traits_for("openai/o3", "openrouter", {"supported_parameters": ["temperature", "seed"]})
    assert not o3.temperature and o3.seed


@pytest.mark.parametrize(
    ("kind", "listed", "window"),
    [
        ("openrouter", {"context_length": 131072}, 131072),
        ("lmstudio", {"context_length": 4096}, 4096),
        ("vllm", {"max_model_len": 8192}, 8192),
        ("local", {"context_window": 2048}, 2048),
        ("openrouter", {"top_provider": {"context_length": 65536}}, 65536),
        ("ollama", {"id": "llama3.2", "object": "model"}, None),
        ("vllm", {"max_model_len": "not a number"}, None),
        ("custom", {"context_window": True}, None),
    ],
)
def test_context_window_comes_from_the_model_listing(
    kind: str, listed: dict[str, object], window: int | None
) -> None:
    assert traits_for("some-local-model", kind, listed).context_window == window


def test_openai_context_windows_come_from_genai_prices_data() -> None:
    # Whatever the bundled data says, as long as it knows the model; no table of our own.
    assert traits_for("gpt-4o", "openai").context_window == 128_000
    assert traits_for("openai/gpt-4o-mini", "openrouter").context_window == 128_000
    assert traits_for("gpt-4o-2024-08-06", "azure").context_window == 128_000
    assert traits_for("no-such-model-xyz", "openai").context_window is None
    # A listing, when present, is the server's own word and wins.
    assert traits_for("gpt-4o", "custom", {"context_window": 1000}).context_window == 1000
    # Local servers serve whatever weights they like under any name.
    assert traits_for("gpt-4o", "ollama").context_window is None


def test_traits_are_frozen() -> None:
    traits = traits_for("gpt-4o", "openai")
    with pytest.raises(AttributeError):
        traits.temperature = False  # type: ignore[misc]
