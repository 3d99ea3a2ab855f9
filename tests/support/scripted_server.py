"""A scripted, OpenAI-compatible HTTP server for tests (standard library only).

It speaks enough of the OpenAI REST API (``/v1/models``, ``/v1/models/{id}``,
``/v1/chat/completions``) for the official ``openai`` SDK to parse every answer, and it can be
scripted to misbehave in all the ways the app must survive: error statuses, slow tokens,
connections dropped mid-stream, malformed SSE events, hangs and requests answered with nothing.
It also speaks the Files and Batches endpoints (``tests/support/scripted_batches.py``): how each
batch goes is scripted with ``server.script_batch(BatchScript(...))``.

Usage in tests::

    with ScriptedServer(api_key="sk-test") as server:
        server.script("chat", Fault(429, retry_after=0.01), Stream(recording="7e5ea4d12e7cc064"))
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test")
        ...

As a process (for kill -9 drills)::

    python -m tests.support.scripted_server --port 0 --delay 0.05 --text "Hello there"
    # prints "READY http://127.0.0.1:PORT/v1" once, then serves until SIGTERM/SIGINT

Only the standard library is imported so that the CLI starts fast and the module can run in
any interpreter.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import io
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal, TypeAlias
from urllib.parse import unquote, urlsplit

from tests.support.scripted_batches import BatchBook, BatchScript

__all__ = [
    "RECORDINGS_DIR",
    "BatchScript",
    "Drop",
    "Fault",
    "RecordedRequest",
    "ScriptedServer",
    "Stream",
    "assemble_completion",
    "load_recording",
    "recording_names",
    "synthesize_chunks",
]


def _recordings_dir() -> Path:
    override = os.environ.get("WORKBENCH_RECORDINGS_DIR")
    if override:
        return Path(override)
    # A copy kept in the repository (with its licence), so a bare clone runs its tests.
    return Path(__file__).resolve().parents[1] / "data" / "openai-recordings" / "streams"


RECORDINGS_DIR: Path = _recordings_dir()

DEFAULT_TEXT = "Hello from the scripted server."

# Creation dates and owners of the well-known models, as /v1/models reports them.
_MODEL_CARDS: dict[str, tuple[int, str]] = {
    "gpt-4o": (1715367049, "system"),
    "gpt-4o-mini": (1721172741, "system"),
    "o3-mini": (1737146383, "system"),
    "gpt-4o-2024-08-06": (1722814719, "system"),
}
_UNKNOWN_MODEL_CARD = (1700000000, "system")

# What a mid-stream cut-off JSON event looks like; the SDK's json.loads() chokes on it.
_MALFORMED_EVENT = b'data: {"id": "chatcmpl-x", "choices": [\n\n'
_DONE_EVENT = b"data: [DONE]\n\n"

# Errors that only mean "the client went away"; they must never reach stderr.
_DISCONNECT_ERRNOS = {
    errno.EPIPE,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ENOTCONN,
    errno.ESHUTDOWN,
    errno.EBADF,
}


# --------------------------------------------------------------------------- script items


@dataclass(frozen=True)
class Stream:
    """A chat completion: streamed as SSE, or assembled into one object if stream is false.

    ``recording`` replays ``RECORDINGS_DIR/<recording>.sse`` byte-for-byte per chunk;
    ``text`` synthesizes a stream (word-ish tokens, the request's model, finish "stop", and a
    usage chunk when ``stream_options.include_usage`` is set).

    ``delay`` is waited before every chunk (so also before the first one, after the headers).
    ``drop_after=N`` sends N chunks, then closes the TCP connection without ``[DONE]`` and
    without the chunked-encoding terminator, so the client sees a truncated body.
    ``malformed_at=N`` sends N good chunks, then a syntactically broken event in place of
    chunk N (0-based), then carries on. In both cases the client gets exactly N good chunks.
    For stream=false, ``drop_after`` cuts the JSON body in half and ``malformed_at`` sends
    broken JSON.
    ``finish_reason`` is what the synthesized finish chunk says; None leaves the finish chunk
    out, so the stream ends with ``[DONE]`` and no choice ever said it was done (as llama.cpp's
    server did when it gave up on a prompt too long for it).
    """

    recording: str | None = None
    text: str | None = None
    finish_reason: str | None = "stop"
    delay: float = 0.0
    drop_after: int | None = None
    malformed_at: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    """An OpenAI-shaped error answer ``{"error": {"message", "type", "param", "code"}}``."""

    status: int
    message: str | None = None
    code: str | None = None
    type: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without sending any response."""


@dataclass(frozen=True)
class Images:
    """An images answer (generations, edits, variations): `count` real PNGs of `size`, as
    base64 (`b64_json`) or as URLs on this server (`url`), each served once it is asked for."""

    count: int = 1
    form: str = "b64_json"  # or "url"
    size: tuple[int, int] = (64, 64)
    revised_prompt: str | None = None
    usage: dict[str, Any] | None = None


Response: TypeAlias = Stream | Fault | Drop | Images
Route = Literal["chat", "models", "images", "files", "batches", "any"]
_ROUTES: tuple[str, ...] = ("chat", "models", "images", "files", "batches", "any")
IMAGE_COLOURS = ((220, 40, 40), (40, 160, 60), (40, 80, 220), (230, 190, 30))


def png_bytes(size: tuple[int, int], index: int = 0) -> bytes:
    """A real PNG, one colour per index, so images in an answer differ."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, IMAGE_COLOURS[index % len(IMAGE_COLOURS)]).save(out, "PNG")
    return out.getvalue()


def form_fields(request: RecordedRequest) -> dict[str, bytes | str]:
    """The fields of a multipart/form-data request (an image edit): text values as str, files
    as bytes (under the field's name; the file name under "<name>.filename")."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.raw)
    fields: dict[str, bytes | str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            fields[str(name)] = data
            fields[f"{name}.filename"] = filename
            fields[f"{name}.content_type"] = part.get_content_type()
        else:
            fields[str(name)] = data.decode()
    return fields


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. ``path`` has no query string."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    raw: bytes = b""


# --------------------------------------------------------------------------- chunk sources


def recording_names() -> list[str]:
    """The stems of all recordings, sorted."""
    return sorted(p.stem for p in RECORDINGS_DIR.glob("*.sse"))


@cache
def _recording_events(stem: str) -> tuple[str, ...]:
    """The raw JSON text of each ``data:`` event of a recording, without ``[DONE]``."""
    path = RECORDINGS_DIR / f"{stem}.sse"
    events: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[len("data:") :].strip()
        if payload != "[DONE]":
            events.append(payload)
    return tuple(events)


def load_recording(stem: str) -> list[dict[str, Any]]:
    """The parsed chunks of a recording (fresh copies, safe to mutate)."""
    return [json.loads(event) for event in _recording_events(stem)]


def _tokens(text: str) -> list[str]:
    # Leading whitespace stays attached to the word, like real BPE tokens (" world").
    return re.findall(r"\s*\S+|\s+", text)


def _estimate_prompt_tokens(body: dict[str, Any]) -> int:
    # Roughly 4 characters per token plus a small per-message overhead, like tiktoken would.
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0
    chars = sum(len(json.dumps(m.get("content", ""))) for m in messages if isinstance(m, dict))
    return max(1, chars // 4 + 4 * len(messages))


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def synthesize_chunks(
    text: str,
    *,
    model: str,
    include_usage: bool,
    prompt_tokens: int = 0,
    finish_reason: str | None = "stop",
) -> list[dict[str, Any]]:
    """Chunks shaped like the API's: role chunk, one chunk per token, finish chunk, usage."""
    base = {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_scripted",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "choices": [choice]}

    tokens = _tokens(text)
    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"content": token}) for token in tokens]
    if finish_reason is not None:
        chunks.append(chunk({}, finish_reason))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _usage(prompt_tokens, len(tokens))})
    return chunks


# --------------------------------------------------------------------------- assembly


def _merge_tool_calls(target: dict[int, dict[str, Any]], deltas: list[dict[str, Any]]) -> None:
    # Tool calls arrive in pieces keyed by "index": id/type/name once, arguments in fragments.
    for delta in deltas:
        empty = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        call = target.setdefault(delta["index"], empty)
        if delta.get("id"):
            call["id"] = delta["id"]
        if delta.get("type"):
            call["type"] = delta["type"]
        function = delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""


class _ChoiceBuilder:
    """Accumulates the deltas of one choice index into a ChatCompletion choice."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.content: str | None = None
        self.refusal: str | None = None
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.logprobs: dict[str, list[Any] | None] | None = None
        self.finish_reason: str | None = None

    def add(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta") or {}
        if delta.get("content") is not None:
            self.content = (self.content or "") + delta["content"]
        if delta.get("refusal") is not None:
            self.refusal = (self.refusal or "") + delta["refusal"]
        _merge_tool_calls(self.tool_calls, delta.get("tool_calls") or [])
        if choice.get("logprobs") is not None:
            self._add_logprobs(choice["logprobs"])
        if choice.get("finish_reason") is not None:
            self.finish_reason = choice["finish_reason"]

    def _add_logprobs(self, logprobs: dict[str, Any]) -> None:
        if self.logprobs is None:
            self.logprobs = {"content": None, "refusal": None}
        for key in ("content", "refusal"):
            if logprobs.get(key) is not None:
                self.logprobs[key] = (self.logprobs[key] or []) + list(logprobs[key])

    def build(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.content,
            "refusal": self.refusal,
            "annotations": [],
        }
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        return {
            "index": self.index,
            "message": message,
            "logprobs": self.logprobs,
            "finish_reason": self.finish_reason or "stop",
        }


def assemble_completion(chunks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Fold streamed chunks into the ChatCompletion object stream=false would have returned."""
    if not chunks:
        raise ValueError("cannot assemble a completion from zero chunks")
    first = chunks[0]
    builders: dict[int, _ChoiceBuilder] = {}
    usage: dict[str, Any] | None = None
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            index = choice.get("index", 0)
            builders.setdefault(index, _ChoiceBuilder(index)).add(choice)
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
    completion: dict[str, Any] = {
        "id": first["id"],
        "object": "chat.completion",
        "created": first["created"],
        "model": first["model"],
        "choices": [builders[i].build() for i in sorted(builders)],
    }
    for optional in ("service_tier", "system_fingerprint"):
        if first.get(optional) is not None:
            completion[optional] = first[optional]
    if usage is not None:
        completion["usage"] = usage
    return completion


# --------------------------------------------------------------------------- error bodies

_RATE_LIMIT_MESSAGE = (
    "Rate limit reached for {model} in organization org-scripted on requests per min (RPM): "
    "Limit 500, Used 500, Requested 1. Please try again in 120ms. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
_BAD_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)

# status -> (message template, type, code); "{model}" is filled from the request.
_DEFAULT_FAULTS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: (
        "Incorrect API key provided: sk-wrong. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: (
        "Country, region, or territory not supported",
        "request_forbidden",
        "unsupported_country_region_territory",
    ),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    408: ("Request timed out.", "timeout", None),
    409: ("The request conflicted with another request. Please retry.", "conflict", None),
    413: ("Request too large.", "invalid_request_error", "request_too_large"),
    422: ("Unprocessable entity.", "invalid_request_error", None),
    429: (_RATE_LIMIT_MESSAGE, "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: (
        "The engine is currently overloaded, please try again later.",
        "server_error",
        None,
    ),
    504: ("Gateway timeout.", "server_error", None),
}


def error_body(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def fault_body(fault: Fault, model: str) -> dict[str, Any]:
    """The error body for a scripted fault, with realistic defaults per status."""
    if fault.code == "insufficient_quota" and fault.status == 429:
        template, type_, code = _QUOTA_MESSAGE, "insufficient_quota", "insufficient_quota"
    elif fault.status in _DEFAULT_FAULTS:
        template, type_, code = _DEFAULT_FAULTS[fault.status]
    else:
        phrase = _status_phrase(fault.status)
        template = f"{phrase}."
        type_ = "server_error" if fault.status >= 500 else "invalid_request_error"
        code = None
    message = fault.message if fault.message is not None else template.format(model=model)
    return error_body(message, fault.type or type_, fault.code or code)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _mask_key(key: str) -> str:
    # The API echoes a masked key in 401 messages: first 3 and last 4 characters.
    if len(key) <= 8:
        return key
    return f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --------------------------------------------------------------------------- HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Tests stop and start servers in quick succession on fresh ports; no need to linger.
    allow_reuse_address = True

    def __init__(self, owner: ScriptedServer, port: int) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client disconnects (and writes racing stop()) are part of the game: stay quiet.
        exc = sys.exc_info()[1]
        if _is_disconnect(exc) or self.owner.stopping:
            return
        super().handle_error(request, client_address)


def _is_disconnect(exc: BaseException | None) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.timeout):
        return True
    return isinstance(exc, OSError) and exc.errno in _DISCONNECT_ERRNOS


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for JSON, chunked encoding for SSE
    # Without it every response waits ~40 ms on delayed ACKs; timing benches need the real figure.
    disable_nagle_algorithm = True
    server_version = "scripted-openai"
    server: _Server

    # ----- plumbing

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._untrack(self.connection)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except OSError as exc:
            if not (_is_disconnect(exc) or self.server.owner.stopping):
                raise
            self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: test output should only show what the tests print."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # ----- request handling

    def _dispatch(self) -> None:
        owner = self.server.owner
        self._started = time.monotonic()
        raw = self._read_body()
        body, body_ok = _parse_body(raw)
        path = urlsplit(self.path).path
        owner._record(
            RecordedRequest(
                self.command, path, {k.lower(): v for k, v in self.headers.items()}, body, raw
            )
        )
        if path.startswith("/v1/served/"):  # an image URL: no key, as OpenAI's are signed
            self._serve_file(path.removeprefix("/v1/served/"))
            return
        if not self._authorized():
            return
        route = _route_of(self.command, path)
        if route is None:
            self._send_error(
                404, error_body(f"Invalid URL ({self.command} {path})", "invalid_request_error")
            )
            return
        multipart = self.headers.get("Content-Type", "").startswith("multipart/form-data")
        if raw and not body_ok and not multipart:
            self._send_error(400, error_body(_BAD_JSON_MESSAGE, "invalid_request_error"))
            return
        scripted = owner._next_response(route)
        if isinstance(scripted, Drop):
            self._drop()
        elif isinstance(scripted, Fault):
            self._send_fault(scripted, _model_named_by(body, path))
        elif route in ("files", "batches"):
            self._batch_route(path, body, raw, multipart)
        elif route == "chat":
            self._chat(body or {}, scripted or owner.default)
        elif route == "images":
            answer = scripted if isinstance(scripted, Images) else Images()
            streamed = bool(body and body.get("stream")) or (
                multipart and b'name="stream"\r\n\r\ntrue' in raw
            )
            partials = int((body or {}).get("partial_images") or 0) if streamed else 0
            if streamed:
                self._image_events(answer, partials or 1)
            else:
                self._images(answer)
        else:
            self._models(path)

    def _batch_route(
        self, path: str, body: dict[str, Any] | None, raw: bytes, multipart: bool
    ) -> None:
        form: dict[str, Any] = {}
        if multipart:
            headers = {k.lower(): v for k, v in self.headers.items()}
            form = form_fields(RecordedRequest(self.command, path, headers, None, raw))
        status, payload = self.server.owner.batch_book.handle(self.command, path, body, form)
        if isinstance(payload, bytes):  # a file's content, as the API sends it
            headers = {"Content-Type": "application/octet-stream"}
            self._start_response(status, {**headers, "Content-Length": str(len(payload))})
            self.wfile.write(payload)
        else:
            self._send_json(status, payload)

    def _images(self, answer: Images) -> None:
        owner = self.server.owner
        data = []
        for index in range(answer.count):
            png = png_bytes(answer.size, index)
            item: dict[str, Any] = {}
            if answer.form == "url":
                name = f"{secrets.token_hex(8)}.png"
                with owner._lock:
                    owner.served[name] = png
                item["url"] = f"{owner.base_url}/served/{name}"
            else:
                item["b64_json"] = base64.b64encode(png).decode()
            if answer.revised_prompt is not None:
                item["revised_prompt"] = answer.revised_prompt
            data.append(item)
        payload: dict[str, Any] = {"created": int(time.time()), "data": data}
        if answer.usage is not None:
            payload["usage"] = answer.usage
        self._send_json(200, payload)

    def _image_events(self, answer: Images, partials: int) -> None:
        """A streamed image answer, as gpt-image models send it: rough drafts (partial
        images) of each image, then the image itself with the request's usage."""
        self._start_response(
            200,
            {"Content-Type": "text/event-stream; charset=utf-8", "Connection": "close"},
        )
        common = {
            "background": "opaque",
            "output_format": "png",
            "quality": "low",
            "size": f"{answer.size[0]}x{answer.size[1]}",
            "created_at": int(time.time()),
        }
        usage = answer.usage or {
            "input_tokens": 12,
            "input_tokens_details": {"image_tokens": 0, "text_tokens": 12},
            "output_tokens": 272,
            "total_tokens": 284,
        }
        for index in range(answer.count):
            for draft in range(partials):
                event = {
                    **common,
                    "type": "image_generation.partial_image",
                    "partial_image_index": draft,
                    "b64_json": base64.b64encode(png_bytes((16, 16), draft + 1)).decode(),
                }
                self._write_event("image_generation.partial_image", event)
            done = {
                **common,
                "type": "image_generation.completed",
                "b64_json": base64.b64encode(png_bytes(answer.size, index)).decode(),
                "usage": usage,
            }
            self._write_event("image_generation.completed", done)
        self.close_connection = True

    def _write_event(self, name: str, payload: dict[str, Any]) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())
        self.wfile.flush()

    def _serve_file(self, name: str) -> None:
        owner = self.server.owner
        with owner._lock:
            data = owner.served.get(name)
        if data is None:
            self._send_error(404, error_body("Not found", "invalid_request_error"))
            return
        self._start_response(200, {"Content-Type": "image/png", "Content-Length": str(len(data))})
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        # Always drain the body: closing a socket with unread input sends RST instead of FIN,
        # which would make Drop/drop_after nondeterministic on the client side.
        return self.rfile.read(length) if length > 0 else b""

    def _authorized(self) -> bool:
        expected = self.server.owner.api_key
        if expected is None:
            return True
        header = self.headers.get("Authorization", "")
        if header == f"Bearer {expected}":
            return True
        given = header.removeprefix("Bearer ").strip()
        if given:
            message = (
                f"Incorrect API key provided: {_mask_key(given)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
        else:
            message = _MISSING_KEY_MESSAGE
        self._send_error(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        return False

    def _models(self, path: str) -> None:
        owner = self.server.owner
        model_id = unquote(path.removeprefix("/v1/models").lstrip("/"))
        if not model_id:
            data = [_model_card(m, owner.context_windows.get(m)) for m in owner.models]
            self._send_json(200, {"object": "list", "data": data})
        elif model_id in owner.models:
            self._send_json(200, _model_card(model_id, owner.context_windows.get(model_id)))
        else:
            self._send_fault(Fault(404), model_id)

    def _chat(self, body: dict[str, Any], stream: Stream) -> None:
        owner = self.server.owner
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._send_error(
                400, error_body("you must provide a model parameter", "invalid_request_error")
            )
            return
        if model not in owner.models:
            self._send_fault(Fault(404), model)
            return
        if not isinstance(body.get("messages"), list):
            self._send_error(
                400,
                error_body(
                    "Missing required parameter: 'messages'.",
                    "invalid_request_error",
                    "missing_required_parameter",
                    "messages",
                ),
            )
            return
        events = _chunks_for(stream, body)
        if body.get("stream") is True:
            self._send_stream(stream, events)
        else:
            self._send_completion(stream, events)

    # ----- responses

    def _common_headers(self) -> dict[str, str]:
        owner = self.server.owner
        elapsed_ms = int((time.monotonic() - self._started) * 1000)
        remaining = max(0, 10000 - len(owner.requests))
        return {
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-processing-ms": str(max(1, elapsed_ms)),
            "openai-version": "2020-10-01",
            "openai-organization": "user-scripted",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-tokens": "29999990",
            "x-ratelimit-reset-tokens": "0s",
        }

    def _start_response(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**self._common_headers(), **headers}.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self._send_bytes(status, data, headers or {})

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self._start_response(
            status,
            {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers},
        )
        self.wfile.write(data)

    def _send_error(self, status: int, payload: dict[str, Any]) -> None:
        self._send_json(status, payload)

    def _send_fault(self, fault: Fault, model: str) -> None:
        if fault.hang and self._wait(fault.hang):
            self._drop()
            return
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = _format_seconds(fault.retry_after)
        self._send_json(fault.status, fault_body(fault, model), headers)

    def _send_completion(self, stream: Stream, events: Sequence[str]) -> None:
        # A non-streamed answer takes as long as the stream would have.
        if stream.delay and self._wait(stream.delay * len(events)):
            self._drop()
            return
        data = json.dumps(_assemble_events(events)).encode()
        if stream.malformed_at is not None:
            data = data[: len(data) // 2]  # valid length, invalid JSON
            self._send_bytes(200, data, stream.headers)
            return
        if stream.drop_after is not None:
            self._start_response(
                200,
                {
                    "Content-Type": "application/json",
                    "Content-Length": str(len(data)),
                    **stream.headers,
                },
            )
            self.wfile.write(data[: len(data) // 2])
            self._drop()
            return
        self._send_bytes(200, data, stream.headers)

    def _send_stream(self, stream: Stream, events: Sequence[str]) -> None:
        self._start_response(
            200,
            {
                "Content-Type": "text/event-stream; charset=utf-8",
                # Chunked, so that a drop is a truncated body (not a clean EOF) for the client.
                "Transfer-Encoding": "chunked",
                "Connection": "close",
                "Cache-Control": "no-cache",
                **stream.headers,
            },
        )
        self.close_connection = True
        for number, event in enumerate(events):
            if stream.drop_after is not None and number >= stream.drop_after:
                self._drop()
                return
            if stream.delay and self._wait(stream.delay):
                self._drop()
                return
            if number == stream.malformed_at:
                self._write_chunk(_MALFORMED_EVENT)
            else:
                self._write_chunk(f"data: {event}\n\n".encode())
        if stream.drop_after is not None and stream.drop_after >= len(events):
            self._drop()  # everything sent, but never [DONE] nor the end of the body
            return
        self._write_chunk(_DONE_EVENT)
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _wait(self, seconds: float) -> bool:
        """Sleep, but wake up at once when the server stops. True if it is stopping."""
        return self.server.owner._stopping.wait(seconds)

    def _drop(self) -> None:
        # shutdown() sends FIN right away even though the server still holds the socket.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _parse_body(raw: bytes) -> tuple[dict[str, Any] | None, bool]:
    if not raw:
        return None, True
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, False
    return (parsed, True) if isinstance(parsed, dict) else (None, False)


def _route_of(method: str, path: str) -> Route | None:
    if method == "POST" and path == "/v1/chat/completions":
        return "chat"
    if method == "POST" and path.startswith("/v1/images/"):
        return "images"
    if method == "GET" and (path == "/v1/models" or path.startswith("/v1/models/")):
        return "models"
    for name in ("files", "batches"):  # answered by the server's BatchBook
        if path == f"/v1/{name}" or path.startswith(f"/v1/{name}/"):
            return name  # type: ignore[return-value]
    return None


def _model_named_by(body: dict[str, Any] | None, path: str) -> str:
    """The model a request is about, for error messages like "The model `x` does not exist"."""
    if body and isinstance(body.get("model"), str):
        return str(body["model"])
    if path.startswith("/v1/models/"):
        return unquote(path.removeprefix("/v1/models/"))
    return "gpt-4o"


def _model_card(model_id: str, context_length: int | None = None) -> dict[str, Any]:
    created, owned_by = _MODEL_CARDS.get(model_id, _UNKNOWN_MODEL_CARD)
    card: dict[str, Any] = {"id": model_id, "object": "model", "created": created}
    card["owned_by"] = owned_by
    if context_length is not None:  # as llama.cpp, LM Studio and OpenRouter list it
        card["context_length"] = context_length
    return card


def _chunks_for(stream: Stream, body: dict[str, Any]) -> list[str]:
    """The JSON text of each event to send: recorded verbatim, or synthesized."""
    if stream.recording is not None:
        return list(_recording_events(stream.recording))
    options = body.get("stream_options") or {}
    include_usage = body.get("stream") is not True or bool(options.get("include_usage"))
    chunks = synthesize_chunks(
        stream.text if stream.text is not None else DEFAULT_TEXT,
        model=body["model"],
        include_usage=include_usage,
        prompt_tokens=_estimate_prompt_tokens(body),
        finish_reason=stream.finish_reason,
    )
    return [json.dumps(chunk) for chunk in chunks]


def _assemble_events(events: Sequence[str]) -> dict[str, Any]:
    return assemble_completion([json.loads(event) for event in events])


# --------------------------------------------------------------------------- public server


class ScriptedServer:
    """An OpenAI-compatible server on 127.0.0.1 whose answers tests script in advance.

    ``api_key``: when set, requests without ``Authorization: Bearer <api_key>`` get a 401
    ``invalid_api_key``. ``default``: what chat answers when nothing is scripted. ``port``: 0
    picks a free port (the CLI can pin one). ``requests`` lists every request received.
    ``context_windows`` (model id -> tokens, settable any time) adds ``context_length`` to
    those models' entries in ``/v1/models``.
    """

    def __init__(
        self,
        *,
        models: Sequence[str] = ("gpt-4o", "gpt-4o-mini", "o3-mini"),
        api_key: str | None = None,
        default: Stream | None = None,
        port: int = 0,
        context_windows: dict[str, int] | None = None,
    ) -> None:
        self.models: tuple[str, ...] = tuple(models)
        self.context_windows: dict[str, int] = dict(context_windows or {})
        self.api_key = api_key
        self.default: Stream = default if default is not None else Stream(text=DEFAULT_TEXT)
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Response]] = {route: deque() for route in _ROUTES}
        self.served: dict[str, bytes] = {}  # image URLs handed out, by file name
        # /v1/files and /v1/batches: uploads, batches and how each goes (`script_batch`)
        self.batch_book = BatchBook(self._batch_line_answer)
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._requested_port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle

    def start(self) -> ScriptedServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = _Server(self, self._requested_port)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"scripted-openai-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in delay/hang
        httpd.shutdown()
        httpd.server_close()
        # Keep-alive handler threads block on reading the next request; cut them loose.
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def open_connections(self) -> int:
        """Client connections a handler thread is still serving (0 once all are done)."""
        with self._lock:
            return len(self._connections)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ----- scripting

    def chat_bodies(self) -> list[dict[str, Any]]:
        """The bodies of the chat completions asked for, in order (a model list the app asks
        for meanwhile is not one of them)."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions") and r.body]

    def script(self, route: str, *responses: Response) -> None:
        """Queue answers for a route ("chat", "models" or "any"), consumed one per request.

        A route's own queue is used before "any". Streams only make sense for chat: a Stream
        at the head of "any" is left for the next chat request. Authentication and malformed
        bodies are checked before an answer is taken from a queue; the model name is checked
        after (so a Fault wins over "unknown model", and a Stream is used up by a request
        for an unknown model, which gets the 404).
        """
        if route not in _ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {_ROUTES}")
        for response in responses:
            if not isinstance(response, Stream | Fault | Drop | Images):
                raise TypeError(f"not a scripted response: {response!r}")
            if route == "models" and isinstance(response, Stream):
                raise ValueError("the models route cannot answer with a Stream")
            if route in ("files", "batches") and isinstance(response, Stream | Images):
                raise ValueError(f"the {route} route only takes a Fault or a Drop")
        with self._lock:
            self._queues[route].extend(responses)

    def script_batch(self, *scripts: BatchScript) -> None:
        """Queue how the next batches created go (one script each; unscripted ones complete)."""
        self.batch_book.script(*scripts)

    def _batch_line_answer(
        self, body: dict[str, Any], text: str | None, fault_status: int | None
    ) -> tuple[int, dict[str, Any]]:
        """One batch line answered as the chat route answers stream=false: the completion, or
        the error the route would give (unknown model, no messages, a scripted fault)."""
        model = body.get("model")
        if fault_status is not None:
            return fault_status, fault_body(Fault(fault_status), str(model))
        if not isinstance(model, str) or model not in self.models:
            return 404, fault_body(Fault(404), str(model))
        if not isinstance(body.get("messages"), list):
            message = "Missing required parameter: 'messages'."
            return 400, error_body(message, "invalid_request_error", "missing_required_parameter")
        stream = Stream(text=text if text is not None else self.default.text)
        events = _chunks_for(stream, {**body, "stream": False})
        return 200, _assemble_events(events)

    def pending(self, route: str = "any") -> int:
        """How many scripted answers are still queued for a route."""
        with self._lock:
            return len(self._queues[route])

    def reset(self) -> None:
        """Forget queued answers and recorded requests (and uploads, batches, batch scripts)."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self.requests.clear()
            self.batch_book = BatchBook(self._batch_line_answer)

    # ----- used by the handler

    def _next_response(self, route: Route) -> Response | None:
        with self._lock:
            own = self._queues[route]
            if own:
                return own.popleft()
            shared = self._queues["any"]
            if shared and route in ("files", "batches") and not isinstance(shared[0], Fault | Drop):
                return None
            if shared and (route == "chat" or not isinstance(shared[0], Stream)):
                return shared.popleft()
            return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)


# --------------------------------------------------------------------------- CLI


def cli_command(
    *, text: str, delay: float, api_key: str | None = None, model: str | None = None
) -> list[str]:
    """argv that runs this server as its own process (it prints `READY <base url>`)."""
    argv = [sys.executable, "-m", "tests.support.scripted_server", "--port", "0"]
    argv += ["--delay", repr(delay), "--text", text]
    if api_key:
        argv += ["--api-key", api_key]
    if model:
        argv += ["--model", model]
    return argv


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.scripted_server",
        description="Serve a scripted OpenAI-compatible API on 127.0.0.1 until killed.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each chunk")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="text every completion streams")
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    parser.add_argument(
        "--model", action="append", dest="models", default=None, help="served model (repeatable)"
    )
    return parser.parse_args(argv)


def _serve_until_signalled(server: ScriptedServer) -> None:
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A timed wait keeps the main thread responsive to signals.
    while not done.wait(0.2):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    kwargs: dict[str, Any] = {}
    if args.models:
        kwargs["models"] = args.models
    server = ScriptedServer(
        api_key=args.api_key,
        default=Stream(text=args.text, delay=args.delay),
        port=args.port,
        **kwargs,
    )
    server.start()
    print(f"READY {server.base_url}", flush=True)
    try:
        _serve_until_signalled(server)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
