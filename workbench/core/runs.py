"""A run as plain data: what is asked (RunRequest, of any kind) and what comes back (RunEvent)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from workbench.core.sessions import MessageStatus
from workbench.core.tools import ToolCall
from workbench.core.transcripts import TranscriptReceived

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
    tools: str = ""  # a ToolSet's JSON (core.tools) when the chat offers functions

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


class RunKind(StrEnum):
    """What a run asks the API for; each kind has one adapter in `services.adapters`."""

    CHAT_COMPLETION = "chat.completion"
    TRANSCRIPTION = "audio.transcription"
    TRANSLATION = "audio.translation"
    SPEECH = "audio.speech"
    IMAGE_GENERATION = "image.generation"
    IMAGE_EDIT = "image.edit"
    IMAGE_VARIATION = "image.variation"
    EMBEDDINGS = "embeddings"
    MODERATION = "moderation"


# A run's states are its answer's: streaming until it settles complete, error, stopped or
# interrupted (the process died), so both are one enum.
RunStatus = MessageStatus


class PriceStatus(StrEnum):
    """Whether a run's cost is a price, nothing (a model on this machine) or not known."""

    PRICED = "priced"
    FREE = "free"
    UNKNOWN = "unknown"


# --- content parts -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image by URL (http or data:) or as bytes with their MIME type."""

    url: str = ""
    data: bytes = b""
    mime: str = "image/png"
    detail: str = "auto"  # "low", "high" or "auto", as the API takes it


@dataclass(frozen=True, slots=True)
class AudioPart:
    data: bytes
    format: str  # "wav", "mp3", … as the API names it
    filename: str = ""


ContentPart = TextPart | ImagePart | AudioPart


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str
    parts: tuple[ContentPart, ...]
    tool_calls: tuple[ToolCall, ...] = ()  # an assistant turn's calls
    tool_call_id: str = ""  # a tool turn: the call it answers

    @classmethod
    def of(cls, role: str, text: str) -> ChatTurn:
        """A turn that is only text: most of them."""
        return cls(role, (TextPart(text),))

    @property
    def content(self) -> str:
        """The turn's text parts, joined: what history views and token counts read."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One request, of any kind, as plain data. `services.adapters` turns it into a wire body."""

    kind: RunKind
    endpoint_id: str
    params: RunParams
    messages: tuple[ChatTurn, ...] = ()  # a chat completion's conversation
    inputs: tuple[ContentPart, ...] = ()  # what the other kinds take: audio, text, images
    # Text the answer must continue from (Continue on a cut-off answer); sent as an assistant
    # message with "prefix": true, which llama.cpp-style servers continue.
    continue_from: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # a kind's own knobs (voice, size…)
    tool_round: int = 0  # how many rounds of tool calls this conversation has answered

    @property
    def model(self) -> str:
        return self.params.model

    def prompt_text(self) -> str:
        """Every text part sent, for estimating the prompt's size before a run."""
        texts = [t.content for t in self.messages]
        texts += [p.text for p in self.inputs if isinstance(p, TextPart)]
        return "\n".join([*texts, self.continue_from])


@dataclass(frozen=True, slots=True)
class Usage:
    """What a run used, as the API reports it; every kind fills the fields it has.

    The audio and image token counts are parts of prompt_tokens / completion_tokens, as in the
    API's usage details; audio_seconds (transcription) and input_characters (speech) stand alone.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    input_image_tokens: int = 0
    output_image_tokens: int = 0
    audio_seconds: float = 0.0
    input_characters: int = 0


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


@dataclass(frozen=True, slots=True)
class AudioReceived:
    """Speech made from text: the audio file's bytes, in the format asked for."""

    data: bytes
    format: str


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    mime: str = "image/png"
    revised_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class ImagesReceived:
    """An image request's answer: every image's bytes (URLs already fetched)."""

    images: tuple[GeneratedImage, ...]


@dataclass(frozen=True, slots=True)
class PartialImage:
    """A streamed image's rough draft (gpt-image models), shown until the image is done."""

    index: int
    data: bytes


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
    | TranscriptReceived
    | AudioReceived
    | ImagesReceived
    | PartialImage
)


class ErrorKind(StrEnum):
    """What went wrong, for the words shown (core.run_errors) and whether to offer a retry."""

    BAD_KEY = "bad_key"
    FORBIDDEN = "forbidden"
    MODEL_NOT_FOUND = "model_not_found"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    CONTEXT_TOO_LONG = "context_too_long"
    BAD_REQUEST = "bad_request"
    REFUSED = "refused"  # the content policy turned the request down
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BROKEN_STREAM = "broken_stream"
    LOCAL_MODEL = "local_model"
    STORAGE = "storage"  # the app's own database could not be written (locked, disk full)
    UNEXPECTED = "unexpected"


@dataclass(frozen=True, slots=True)
class RunError:
    kind: ErrorKind
    title: str  # plain words for the user
    detail: str = ""  # the server's own message
    status: int | None = None
    retry_after_s: float | None = None
    request_id: str | None = None
    retryable: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunError:
        """As stored by `to_json`; a kind this version does not know reads as unexpected."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["kind"] = ErrorKind(values.get("kind", ErrorKind.UNEXPECTED))
        except ValueError:
            values["kind"] = ErrorKind.UNEXPECTED
        return cls(**values)


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
    endpoint: str  # the endpoint's name when the run was sent
    model: str
    status: RunStatus
    timings: RunTimings
    usage: Usage
    finish_reason: str | None = None
    request_id: str | None = None
    rate_limits: dict[str, str] = field(default_factory=dict)
    error: RunError | None = None
    cost_usd: float | None = None  # None: no price known (see price_status)
    price_status: PriceStatus = PriceStatus.UNKNOWN
    kind: RunKind = RunKind.CHAT_COMPLETION
    endpoint_id: str = ""  # stays right when the endpoint is renamed
    endpoint_kind: str = ""  # core.endpoints.EndpointKind, as it was when sent
    base_url: str = ""  # where the request went


RATE_LIMIT_PREFIXES = ("x-ratelimit-", "retry-after", "openai-processing-ms")


def rate_limit_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers worth keeping with a run: rate limits and the server's processing time."""
    return {
        k.lower(): v
        for k, v in headers.items()
        if any(k.lower().startswith(p) for p in RATE_LIMIT_PREFIXES)
    }
