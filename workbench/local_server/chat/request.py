"""Validate a /v1/chat/completions body into a ChatRequest, with 400s that name the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.local_server.chat.schema import JSON_OBJECT_GRAMMAR, schema_grammar
from workbench.local_server.chat.tools import NAME_RE, ToolSetup, parse_tools
from workbench.local_server.engine import Sampling
from workbench.local_server.errors import ApiError, bad_field, unsupported

MAX_N = 4
MAX_STOP = 4
ROLES = ("system", "developer", "user", "assistant", "tool")
# Accepted and ignored: they change nothing about a local, single-user model.
HARMLESS = {
    "user",
    "metadata",
    "store",
    "service_tier",
    "stream_options",
    "parallel_tool_calls",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "verbosity",
    "modalities",
}
UNSUPPORTED = {
    "audio": "Audio output",
    "prediction": "Predicted outputs",
    "web_search_options": "Web search",
    "reasoning_effort": "Reasoning effort (this is not a reasoning model)",
    "functions": "The deprecated `functions` parameter (use `tools`)",
    "function_call": "The deprecated `function_call` parameter (use `tool_choice`)",
}
USED = {
    "model",
    "messages",
    "stream",
    "temperature",
    "top_p",
    "n",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
    "response_format",
    "tools",
    "tool_choice",
}
PART_KINDS = {"image_url": "Image input", "input_audio": "Audio input", "file": "File input"}


@dataclass
class ChatRequest:
    messages: list[dict[str, Any]]  # normalised: role, content (str), tool_calls, tool_call_id
    stream: bool = False
    include_usage: bool = False
    n: int = 1
    # Sampling for the first choice; logprobs and grammar are filled in per choice at run time.
    sampling: Sampling = field(default_factory=Sampling)
    stop: list[str] = field(default_factory=list)
    logprobs: bool = False
    top_logprobs: int = 0
    grammar: str | None = None  # from response_format
    schema_hint: dict[str, Any] | None = None  # json_schema, also shown to the model
    json_mode: bool = False
    tools: ToolSetup | None = None
    prefix: str | None = None  # continue this assistant text instead of starting a new turn


def _present(body: dict[str, Any], key: str) -> bool:
    return body.get(key) is not None


def _number(body: dict[str, Any], key: str, low: float, high: float, default: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise bad_field(
            key, f"Invalid '{key}': {value!r}. Expected a number from {low:g} to {high:g}."
        )
    return float(value)


def _integer(body: dict[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    too_big = high is not None and value > high if isinstance(value, int) else False
    if isinstance(value, bool) or not isinstance(value, int) or value < low or too_big:
        limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise bad_field(key, f"Invalid '{key}': {value!r}. Expected an integer {limit}.")
    return value


def _boolean(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_field(key, f"Invalid '{key}': {value!r}. Expected a boolean.")
    return value


def parse(body: dict[str, Any], model_id: str, n_vocab: int) -> ChatRequest:
    for key in body:
        if key in UNSUPPORTED and body[key] is not None:
            raise unsupported(f"{UNSUPPORTED[key]} (`{key}`)", param=key)
        if key not in USED | HARMLESS | set(UNSUPPORTED):
            raise ApiError(
                400,
                f"Unrecognized request argument supplied: {key}",
                param=key,
                code="unknown_parameter",
            )
    modalities = body.get("modalities")
    if isinstance(modalities, list) and "audio" in modalities:
        raise unsupported("Audio output (`modalities`)", param="modalities")
    messages, prefix = _messages(body.get("messages"))
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_field("model", "You must provide a model parameter.")
    if model != model_id:
        raise ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it. "
            f"This server has `{model_id}`.",
            code="model_not_found",
            param="model",
        )
    request = ChatRequest(messages=messages, prefix=prefix)
    request.stream = _boolean(body, "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise bad_field("stream_options", "stream_options must be an object.")
    request.include_usage = bool((options or {}).get("include_usage")) and request.stream
    request.n = _integer(body, "n", 1, MAX_N) or 1
    limit = _integer(body, "max_tokens", 1, None)
    request.sampling = Sampling(
        temperature=_number(body, "temperature", 0, 2, 1.0),
        top_p=_number(body, "top_p", 0, 1, 1.0),
        presence_penalty=_number(body, "presence_penalty", -2, 2, 0.0),
        frequency_penalty=_number(body, "frequency_penalty", -2, 2, 0.0),
        seed=_integer(body, "seed", -(2**63), 2**63 - 1),
        max_tokens=_integer(body, "max_completion_tokens", 1, None) or limit,
        logit_bias=_logit_bias(body.get("logit_bias"), n_vocab),
    )
    request.stop = _stop(body.get("stop"))
    request.logprobs = _boolean(body, "logprobs")
    top = _integer(body, "top_logprobs", 0, 20)
    if top is not None and not request.logprobs:
        raise bad_field("top_logprobs", "top_logprobs requires logprobs to be true.")
    request.top_logprobs = top or 0
    _response_format(body.get("response_format"), request)
    request.tools = parse_tools(body)
    return request


def _stop(value: Any) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or not 1 <= len(stops) <= MAX_STOP
        or not all(isinstance(s, str) and s for s in stops)
    ):
        raise bad_field(
            "stop",
            f"stop must be a non-empty string or a list of 1 to {MAX_STOP} non-empty strings.",
        )
    return stops


def _logit_bias(value: Any, n_vocab: int) -> dict[int, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_field("logit_bias", "logit_bias must map token ids to numbers.")
    biases: dict[int, float] = {}
    for key, bias in value.items():
        ok_key = str(key).isdigit() and int(key) < n_vocab
        ok_bias = isinstance(bias, int | float) and not isinstance(bias, bool)
        if not ok_key or not ok_bias or not -100 <= bias <= 100:
            raise bad_field(
                "logit_bias",
                f"Invalid logit_bias entry {key!r}: {bias!r}. Keys "
                f"are token ids below {n_vocab}, values numbers from -100 to 100.",
            )
        biases[int(key)] = float(bias)
    return biases


def _response_format(value: Any, request: ChatRequest) -> None:
    if value is None:
        return
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return
    if kind == "json_object":
        request.grammar, request.json_mode = JSON_OBJECT_GRAMMAR, True
        return
    if kind != "json_schema":
        raise bad_field(
            "response_format.type", "response_format.type must be text, json_object or json_schema."
        )
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise bad_field(
            "response_format.json_schema",
            "response_format.json_schema must be an object with a name and a schema.",
        )
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise bad_field(
            "response_format.json_schema.name",
            "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$.",
        )
    schema = spec.get("schema", {"type": "object"})
    request.grammar = schema_grammar(schema, "response_format.json_schema.schema")
    request.schema_hint, request.json_mode = schema, True


def _messages(value: Any) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(value, list) or not value:
        raise bad_field("messages", "messages must be a non-empty array.")
    messages = [_message(i, m) for i, m in enumerate(value)]
    prefix = None
    last = value[-1]
    if last.get("role") == "assistant" and last.get("prefix") is True:
        if last.get("tool_calls"):
            raise bad_field(
                f"messages[{len(value) - 1}].prefix",
                "A prefix assistant message cannot have tool_calls.",
            )
        prefix = messages.pop()["content"]
        if not messages:
            raise bad_field("messages", "A prefix assistant message needs a message before it.")
    return messages, prefix


def _message(i: int, message: Any) -> dict[str, Any]:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise bad_field(where, f"{where} must be an object.")
    role = message.get("role")
    if role not in ROLES:
        raise bad_field(f"{where}.role", f"{where}.role must be one of {', '.join(ROLES)}.")
    tool_calls = message.get("tool_calls") if role == "assistant" else None
    if tool_calls is not None and not (
        isinstance(tool_calls, list)
        and all(isinstance(c, dict) and isinstance(c.get("function"), dict) for c in tool_calls)
    ):
        raise bad_field(f"{where}.tool_calls", f"{where}.tool_calls must be an array of calls.")
    content = _content(where, message.get("content"), optional=role == "assistant")
    normal: dict[str, Any] = {"role": role, "content": content}
    if tool_calls:
        normal["tool_calls"] = tool_calls
    if role == "tool":
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str):
            raise bad_field(f"{where}.tool_call_id", f"{where}.tool_call_id is required.")
        normal["tool_call_id"] = call_id
    if isinstance(message.get("name"), str):
        normal["name"] = message["name"]
    return normal


def _content(where: str, content: Any, optional: bool) -> str:
    param = f"{where}.content"
    if content is None and optional:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise bad_field(param, f"{param} must be a string or an array of content parts.")
    texts = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in PART_KINDS:
            raise unsupported(f"{PART_KINDS[kind]} (in {param})", param=param)
        if kind in ("text", "refusal") and isinstance(part.get(kind), str):
            texts.append(part[kind])
        else:
            raise bad_field(
                f"{param}[{j}]",
                f'{param}[{j}] must be a text part ({{"type": "text", "text": ...}}).',
            )
    return "".join(texts)
