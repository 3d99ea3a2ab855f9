"""A chat run as plain data: what is asked (RunRequest) and what comes back (RunEvent)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

RESPONSE_FORMATS = ("text", "json_object", "json_schema")
REASONING_EFFORTS = ("minimal", "low", "medium", "high")


@dataclass(frozen=True, slots=True)
class RunParams:
    """The knobs of one run. None means "leave it to the server"."""

    model: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning_effort: str | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    response_format: str = "text"
    json_schema: str = ""  # the schema's text when response_format is json_schema

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> RunParams:
        """Unknown keys (from a newer version) are ignored; a bad value falls back to defaults."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "stop" in values:
            values["stop"] = tuple(str(s) for s in values["stop"] or ())
        try:
            return cls(**values)
        except TypeError:
            return cls()


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class RunRequest:
    endpoint_id: str
    params: RunParams
    messages: tuple[ChatTurn, ...]
    # Text the answer must continue from (Continue on a cut-off answer); sent as an assistant
    # message with "prefix": true, which llama.cpp-style servers continue.
    continue_from: str = ""
    endpoint_kind: str = ""  # how a continuation is asked for differs between servers


def request_body(request: RunRequest) -> dict[str, Any]:
    """Keyword arguments for `chat.completions.create`: streamed, without any secret."""
    p = request.params
    messages: list[dict[str, Any]] = [
        {"role": t.role, "content": t.content} for t in request.messages
    ]
    if request.continue_from:
        messages.append({"role": "assistant", "content": request.continue_from, "prefix": True})
    body: dict[str, Any] = {
        "model": p.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    optional = {
        "temperature": p.temperature,
        "top_p": p.top_p,
        "max_completion_tokens": p.max_tokens,
        "seed": p.seed,
        "presence_penalty": p.presence_penalty,
        "frequency_penalty": p.frequency_penalty,
        "reasoning_effort": p.reasoning_effort,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if request.continue_from and request.endpoint_kind == "vllm":
        body["extra_body"] = {"continue_final_message": True, "add_generation_prompt": False}
    if p.stop:
        body["stop"] = list(p.stop)
    if p.logprobs:
        body["logprobs"] = True
        if p.top_logprobs:
            body["top_logprobs"] = p.top_logprobs
    if p.response_format == "json_object":
        body["response_format"] = {"type": "json_object"}
    elif p.response_format == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": json.loads(p.json_schema), "strict": True},
        }
    return body


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TokenAlternative:
    token: str
    logprob: float


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    token: str
    logprob: float
    top: tuple[TokenAlternative, ...] = ()


# --- events, in the order a run can produce them ---------------------------------------------
@dataclass(frozen=True, slots=True)
class ResponseOpened:
    """The server accepted the request; its headers (rate limits, request id) are known."""

    headers: dict[str, str]
    request_id: str | None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    text: str


@dataclass(frozen=True, slots=True)
class LogprobsDelta:
    tokens: tuple[TokenLogprob, ...]


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class UsageReported:
    usage: Usage


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """The SDK will retry: attempt n of max, after wait_s seconds."""

    attempt: int
    max_retries: int
    wait_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class RunFailed:
    error: RunError


@dataclass(frozen=True, slots=True)
class RunFinished:
    finish_reason: str | None
    model: str | None  # the model the server says answered


RunEvent = (
    ResponseOpened
    | TextDelta
    | RefusalDelta
    | LogprobsDelta
    | ToolCallDelta
    | UsageReported
    | RetryScheduled
    | RunFailed
    | RunFinished
)


@dataclass(frozen=True, slots=True)
class RunError:
    kind: str  # one of run_errors.ErrorKind
    title: str  # plain words for the user
    detail: str = ""  # the server's own message
    status: int | None = None
    retry_after_s: float | None = None
    request_id: str | None = None
    retryable: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True, slots=True)
class RunTimings:
    """Seconds on a monotonic clock, relative to when the request was sent."""

    first_token_s: float | None = None
    total_s: float | None = None
    completion_tokens: int = 0

    @property
    def tokens_per_s(self) -> float | None:
        if self.first_token_s is None or self.total_s is None or self.completion_tokens < 2:
            return None
        generating = self.total_s - self.first_token_s
        return (self.completion_tokens - 1) / generating if generating > 0 else None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A finished run as announced on the bus and kept in the store."""

    run_id: int
    session_id: int | None  # None: a comparison sent without a session's history
    message_id: int | None  # None: a comparison's answer, not a chat message
    endpoint: str
    model: str
    status: str
    timings: RunTimings
    usage: Usage
    finish_reason: str | None = None
    request_id: str | None = None
    rate_limits: dict[str, str] = field(default_factory=dict)
    error: RunError | None = None
    cost_usd: float | None = None  # None: no price known (see price_status)
    price_status: str = "unknown"  # core.pricing: priced, free or unknown


RATE_LIMIT_PREFIXES = ("x-ratelimit-", "retry-after", "openai-processing-ms")


def rate_limit_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers worth keeping with a run: rate limits and the server's processing time."""
    return {
        k.lower(): v
        for k, v in headers.items()
        if any(k.lower().startswith(p) for p in RATE_LIMIT_PREFIXES)
    }
