"""What a model on an endpoint accepts, so the parameter form can grey out what would be ignored.

The rules are deliberately coarse: the endpoint kind says what the server can do at all, the model
name says whether it is an OpenAI reasoning model, and the endpoint's own model listing (when it
says more, as OpenRouter's does) has the last word. Context windows come from the listing, or for
OpenAI models from genai-prices' bundled data; nothing here is a hand-kept table of models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.endpoints import Endpoint
from workbench.core.runs import RunParams

# Alternatives asked for per token when the heatmap wants logprobs and the form set none.
DEFAULT_TOP_LOGPROBS = 5


@dataclass(frozen=True, slots=True)
class ModelTraits:
    reasoning: bool  # takes reasoning_effort
    logprobs: bool  # returns logprobs / top_logprobs
    seed: bool
    penalties: bool  # presence_penalty and frequency_penalty
    temperature: bool  # temperature and top_p
    json_schema: bool  # response_format json_schema (structured outputs)
    context_window: int | None  # input tokens, when known
    model: str = ""
    vision: bool = (
        True  # takes images in messages  # for the tooltips: "o3-mini is a reasoning model…"
    )
    endpoint_kind: str = ""


# What each kind of server does with the OpenAI request fields, before looking at the model.
# "custom" could be anything: allow everything rather than hide a control that might work.
_ALL = {"logprobs": True, "seed": True, "penalties": True, "temperature": True, "json_schema": True}
_KIND_DEFAULTS: dict[str, dict[str, bool]] = {
    "local": _ALL,  # the embedded llama.cpp server: real logprobs, seeds and schema grammars
    "openai": _ALL,
    "azure": _ALL,
    "openrouter": _ALL,  # refined per model by the listing's supported_parameters
    "ollama": _ALL,  # logprobs since Ollama 0.12; response_format json_schema since 0.5
    "vllm": _ALL,
    "lmstudio": {**_ALL, "logprobs": False},  # its chat completions return no logprobs
    "custom": _ALL,
}

# Kinds whose model names are OpenAI's own (or OpenAI models routed through them); on local
# servers a name only says which weights are loaded, not what the server does with them.
_OPENAI_NAMED_KINDS = frozenset({"openai", "azure", "openrouter", "custom"})

# OpenAI models that take no images (the others since gpt-4-turbo / gpt-4o do).
_NO_VISION = re.compile(
    r"^(gpt-3\.5|gpt-35|gpt-4(-\d{4}.*|-32k.*)?$|o1-(mini|preview)|o3-mini|.*-(audio|realtime|"
    r"search|transcribe|tts)|text-|davinci|babbage)"
)
_REASONING = re.compile(r"^(o1|o3|o4|gpt-5)\b")
_NOT_REASONING = re.compile(r"^gpt-5(\.\d+)?-chat")
# Models older than structured outputs (Aug 2024) reject response_format json_schema.
_NO_JSON_SCHEMA = re.compile(
    r"^(gpt-3\.5|gpt-35|gpt-4(-\d{4}.*|-turbo.*|-32k.*|-vision.*)?$|o1-(mini|preview))"
)


def openai_base_name(model: str) -> str:
    """'openai/o3-mini' -> 'o3-mini', 'ft:gpt-4o-mini:org::id' -> 'gpt-4o-mini', lower case."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if name.startswith("openai/"):
        name = name[len("openai/") :]
    return name


def is_openai_reasoning_model(model: str) -> bool:
    """o1*, o3*, o4*, gpt-5* (but not gpt-5-chat*): no sampling knobs, takes reasoning_effort."""
    name = openai_base_name(model)
    return bool(_REASONING.match(name)) and not _NOT_REASONING.match(name)


def traits_for(model: str, endpoint_kind: str, listed: dict[str, Any] | None = None) -> ModelTraits:
    """What `model` on an endpoint of `endpoint_kind` supports.

    `listed` is the model's raw entry from the endpoint's GET /v1/models, if it was fetched.
    """
    kind = str(endpoint_kind)
    caps = dict(_KIND_DEFAULTS.get(kind, _ALL))
    named_by_openai = kind in _OPENAI_NAMED_KINDS and _is_openai_name(model, kind)
    reasoning = named_by_openai and is_openai_reasoning_model(model)
    if reasoning:
        caps.update(temperature=False, penalties=False, logprobs=False)
    if named_by_openai and _NO_JSON_SCHEMA.match(openai_base_name(model)):
        caps["json_schema"] = False
    # The built-in model reads text only; other servers' models are found out by sending.
    vision = kind != "local" and not (named_by_openai and _NO_VISION.match(openai_base_name(model)))
    traits = ModelTraits(
        reasoning=reasoning,
        logprobs=caps["logprobs"],
        seed=caps["seed"],
        penalties=caps["penalties"],
        temperature=caps["temperature"],
        json_schema=caps["json_schema"],
        context_window=None,
        model=model,
        endpoint_kind=kind,
        vision=vision,
    )
    if listed:
        traits = _narrowed_by_listing(traits, listed)
    window = context_window_from_listing(listed) if listed else None
    if window is None and named_by_openai:
        window = openai_context_window(model)
    return replace(traits, context_window=window)


def _is_openai_name(model: str, kind: str) -> bool:
    # On OpenRouter every model is vendor/name; only openai/* follow OpenAI's rules.
    if kind == "openrouter":
        return model.strip().lower().startswith("openai/")
    return True


def _narrowed_by_listing(traits: ModelTraits, listed: Mapping[str, Any]) -> ModelTraits:
    """OpenRouter lists each model's supported_parameters: trust it to switch features off."""
    params = listed.get("supported_parameters")
    if not isinstance(params, list):
        return traits
    supported = {str(p) for p in params}
    # Only ever narrows: a listing that mentions "temperature" for o3 does not make o3 take one.
    return replace(
        traits,
        logprobs=traits.logprobs and "logprobs" in supported,
        seed=traits.seed and "seed" in supported,
        penalties=traits.penalties and bool({"presence_penalty", "frequency_penalty"} & supported),
        temperature=traits.temperature and "temperature" in supported,
        json_schema=traits.json_schema and "structured_outputs" in supported,
        vision=traits.vision and _lists_image_input(listed),
    )


def _lists_image_input(listed: Mapping[str, Any]) -> bool:
    """OpenRouter's architecture.input_modalities; a listing without it says nothing."""
    architecture = listed.get("architecture")
    modalities = architecture.get("input_modalities") if isinstance(architecture, Mapping) else None
    return not isinstance(modalities, list) or "image" in modalities


# Where servers put the context length in their /v1/models entries: OpenRouter and LM Studio
# say context_length, vLLM max_model_len, our embedded server and some others context_window.
_WINDOW_KEYS = ("context_window", "context_length", "max_model_len", "max_context_length")


def context_window_from_listing(listed: Mapping[str, Any] | None) -> int | None:
    if not listed:
        return None
    for key in _WINDOW_KEYS:
        if (window := _positive_int(listed.get(key))) is not None:
            return window
    provider = listed.get("top_provider")  # OpenRouter also nests it here
    if isinstance(provider, Mapping):
        return _positive_int(provider.get("context_length"))
    return None


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        return number if number > 0 else None
    return None


def openai_context_window(model: str) -> int | None:
    """The input context window genai-prices' bundled data gives for an OpenAI model, if any."""
    # Imported here: the bundled data is a large module, and most callers never need it.
    from genai_prices import data_snapshot

    try:
        _, info = data_snapshot.get_snapshot().find_provider_model(
            openai_base_name(model), None, "openai", None
        )
    except LookupError:
        return None
    return info.context_window


_PARAM_TRAIT = {
    "temperature": "temperature",
    "top_p": "temperature",
    "presence_penalty": "penalties",
    "frequency_penalty": "penalties",
    "logprobs": "logprobs",
    "top_logprobs": "logprobs",
    "seed": "seed",
    "json_schema": "json_schema",
    "response_format": "json_schema",
    "reasoning_effort": "reasoning",
}
# What a reasoning model takes away, for the "because it is a reasoning model" wording.
_REASONING_DROPS = frozenset({"temperature", "penalties", "logprobs"})
_PARAM_WORDS = {
    "top_p": "top_p",
    "presence_penalty": "presence penalty",
    "frequency_penalty": "frequency penalty",
    "top_logprobs": "top logprobs",
    "response_format": "JSON schema output",
    "json_schema": "JSON schema output",
}


def unsupported_reason(traits: ModelTraits, param: str) -> str | None:
    """A tooltip saying why `param` is greyed out, or None when the model takes it."""
    trait = _PARAM_TRAIT.get(param)
    if trait is None or getattr(traits, trait):
        return None
    model = traits.model or "This model"
    words = _PARAM_WORDS.get(param, param)
    if trait == "reasoning":
        return f"{model} is not a reasoning model: it takes no reasoning effort"
    if traits.reasoning and trait in _REASONING_DROPS:
        if trait == "logprobs":
            return f"{model} is a reasoning model: it does not return logprobs"
        return f"{model} is a reasoning model: it ignores {words}"
    if trait == "logprobs":
        return "This endpoint does not return logprobs"
    if trait == "json_schema" and traits.endpoint_kind in _OPENAI_NAMED_KINDS:
        return f"{model} does not support JSON schema output"
    return f"This endpoint does not support {words}"


def prefix_continuation_problem(endpoint: Endpoint) -> str | None:
    """Why Continue and forking from a token are unavailable here, or None when they work."""
    if endpoint.can_continue:
        return None
    return (
        f"“{endpoint.name}” is not set to continue an answer from a given prefix: it would write "
        "a new answer after it. If the server does continue a final assistant message (llama.cpp's "
        "llama-server, vLLM), tick “Continues a final assistant message” in Endpoints."
    )


def with_wanted_logprobs(params: RunParams, wanted: bool, traits: ModelTraits) -> RunParams:
    """While a panel shows logprobs (the token heatmap), runs ask for them where the model can."""
    if not wanted or params.logprobs or not traits.logprobs:
        return params
    return replace(params, logprobs=True, top_logprobs=params.top_logprobs or DEFAULT_TOP_LOGPROBS)
