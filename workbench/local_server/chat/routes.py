"""POST /v1/chat/completions: validation, then OpenAI-shaped responses and SSE chunks."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import string
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from workbench.local_server.body import read_json
from workbench.local_server.chat import tools
from workbench.local_server.chat.generate import FinishEvent, PieceEvent, ToolModeEvent, generate
from workbench.local_server.chat.prompt import build_prompt
from workbench.local_server.chat.request import ChatRequest
from workbench.local_server.chat.request import parse as parse_request
from workbench.local_server.chat.worker import Job, start
from workbench.local_server.engine import ChatEngine, GrammarError, PrefixRejected
from workbench.local_server.errors import ApiError, bad_field
from workbench.local_server.state import ServerState

_ALPHABET = string.ascii_letters + string.digits
DISCONNECT_POLL_S = 0.25
# Bodies up to this size are checked, templated and tokenized on the loop: well under a
# millisecond, where the hop to a thread and back costs about 0.4 ms of time to first token.
INLINE_PREPARE_BYTES = 4 * 1024


@dataclass
class _Meta:
    """The fields every response and chunk of one completion share."""

    model: str
    fingerprint: str
    id: str = field(
        default_factory=lambda: "chatcmpl-" + "".join(secrets.choice(_ALPHABET) for _ in range(29))
    )
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class _Choice:
    """What one choice has produced so far, shared by the streaming and non-streaming paths."""

    index: int
    content: str = ""
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    calls: tools.ToolCallParser | None = None
    finish_reason: str | None = None
    announced: bool = False


def fingerprint(state: ServerState) -> str:
    seed = f"{state.chat_model_path.name}:{llama_cpp.__version__}".encode()
    return "fp_" + hashlib.sha256(seed).hexdigest()[:10]


async def handle(request: Request, state: ServerState) -> Response:
    body = await read_json(request)
    engine: ChatEngine = state.chat_engine
    # Validating, templating and tokenizing a long conversation takes seconds of CPU: in a thread,
    # so the loop keeps answering other clients (and streaming other answers) meanwhile. None of it
    # touches the llama.cpp context, only the read-only vocabulary, so it needs no model lock.
    if _declared_size(request) <= INLINE_PREPARE_BYTES:
        req, prompt, tool_grammar = _prepare(body, state, engine)
    else:
        req, prompt, tool_grammar = await asyncio.to_thread(_prepare, body, state, engine)
    meta = _Meta(state.chat_model_id, fingerprint(state))
    job = await start(state.model_lock, lambda j: generate(j, engine, req, prompt, tool_grammar))
    if req.stream:
        return _EventStream(job, _sse(job, req, meta, len(prompt)))
    return await _complete(request, job, req, meta, len(prompt))


def _declared_size(request: Request) -> int:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else INLINE_PREPARE_BYTES + 1  # chunked: unknown


def _prepare(
    body: dict[str, Any], state: ServerState, engine: ChatEngine
) -> tuple[ChatRequest, list[int], str | None]:
    """The checked request, its prompt tokens, and the tool-call grammar if tools may be called."""
    req = parse_request(body, state.chat_model_id, engine.n_vocab)
    text = build_prompt(engine, req)
    at_least = engine.surely_too_long(text)
    if at_least is not None:
        raise _too_long(engine, f"at least {at_least}")
    prompt = engine.tokenize(text)
    if len(prompt) >= engine.n_ctx:
        raise _too_long(engine, str(len(prompt)))
    tool_grammar = None
    if req.tools is not None and req.tools.choice in ("auto", "required"):
        try:
            grammar = tools.call_grammar(req.tools)
        except Exception as exc:  # the schema converter raises freely on what it cannot do
            message = f"tools: a function's parameters cannot be turned into a grammar: {exc}"
            raise bad_field("tools", message) from exc
        tool_grammar = _checked(engine, grammar, "tools")
    if req.grammar is not None:
        _checked(engine, req.grammar, "response_format")
        if req.prefix:
            _check_prefix(engine, req)
    return req, prompt, tool_grammar


def _check_prefix(engine: ChatEngine, req: ChatRequest) -> None:
    """A continued answer must be one the response format allows, or no continuation is."""
    assert req.grammar is not None and req.prefix is not None
    try:
        engine.check_grammar(req.grammar, req.prefix)
    except PrefixRejected as exc:
        param = f"messages[{len(req.messages)}].content"  # the prefix message, last of all
        shown = req.prefix[max(0, exc.offset - 20) : exc.offset + 20]
        raise bad_field(
            param,
            f"{param}: the answer to continue does not fit response_format: it cannot go on "
            f"after character {exc.offset} (near {shown!r}).",
        ) from exc


def _too_long(engine: ChatEngine, tokens: str) -> ApiError:
    return ApiError(
        400,
        f"This model's maximum context length is {engine.n_ctx} tokens. However, your "
        f"messages resulted in {tokens} tokens. Please reduce the length of the messages.",
        param="messages",
        code="context_length_exceeded",
    )


def _checked(engine: ChatEngine, grammar: str, param: str) -> str:
    try:
        engine.check_grammar(grammar)
    except GrammarError as exc:
        raise bad_field(param, f"{param} could not be turned into a grammar: {exc}") from exc
    return grammar


def _usage(prompt_tokens: int, completion_tokens: int, cached: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _finish_reason(choice: _Choice, reason: str) -> str:
    if choice.calls is not None and reason == "stop" and choice.calls.calls:
        return "tool_calls"
    return reason


def _tool_calls(parser: tools.ToolCallParser) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in parser.calls
    ]


# --------------------------------------------------------------------------- non-streaming


async def _complete(
    request: Request, job: Job, req: ChatRequest, meta: _Meta, prompt_tokens: int
) -> Response:
    choices = [_Choice(i) for i in range(req.n)]
    completion_tokens = cached = 0
    watcher = asyncio.create_task(_cancel_on_disconnect(request, job))
    try:
        async for event in job.events():
            choice = choices[event.index]
            if isinstance(event, ToolModeEvent):
                choice.calls = tools.ToolCallParser()
            elif isinstance(event, PieceEvent):
                if choice.calls is not None:
                    choice.calls.feed(event.piece.text)
                else:
                    choice.content += event.piece.text
                    choice.logprobs += event.piece.logprobs
            elif isinstance(event, FinishEvent):
                choice.finish_reason = _finish_reason(choice, event.result.finish_reason)
                completion_tokens += event.result.completion_tokens
                cached = event.result.cached_tokens if event.index == 0 else cached
    finally:
        job.cancel.set()  # no-op when done; stops the thread if this task was cancelled
        watcher.cancel()
    if any(c.finish_reason is None for c in choices):  # stopped early: the client is gone
        raise ApiError(499, "The client closed the request.", code="client_closed_request")
    return JSONResponse(
        {
            "id": meta.id,
            "object": "chat.completion",
            "created": meta.created,
            "model": meta.model,
            "system_fingerprint": meta.fingerprint,
            "service_tier": "default",
            "choices": [_final_choice(c, req) for c in choices],
            "usage": _usage(prompt_tokens, completion_tokens, cached),
        }
    )


def _final_choice(choice: _Choice, req: ChatRequest) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": choice.content,
        "refusal": None,
        "annotations": [],
    }
    logprobs = None
    if choice.calls is not None:
        message["content"] = None
        message["tool_calls"] = _tool_calls(choice.calls)
    elif req.logprobs:
        logprobs = {"content": choice.logprobs, "refusal": None}
    return {
        "index": choice.index,
        "message": message,
        "logprobs": logprobs,
        "finish_reason": choice.finish_reason or "stop",
    }


async def _cancel_on_disconnect(request: Request, job: Job) -> None:
    while not job.cancel.is_set():
        await asyncio.sleep(DISCONNECT_POLL_S)
        if await request.is_disconnected():
            job.cancel.set()


# --------------------------------------------------------------------------- streaming


class _EventStream(StreamingResponse):
    """SSE whose generation stops however the response ends (disconnect, error, cancel)."""

    def __init__(self, job: Job, content: AsyncIterator[str]) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.job = job

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.job.cancel.set()


async def _sse(job: Job, req: ChatRequest, meta: _Meta, prompt_tokens: int) -> AsyncIterator[str]:
    choices = [_Choice(i) for i in range(req.n)]
    completion_tokens = cached = 0

    def chunk(
        index: int | None,
        delta: dict[str, Any],
        finish: str | None = None,
        logprobs: Any = None,
        usage: Any = None,
    ) -> str:
        body: dict[str, Any] = {
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "system_fingerprint": meta.fingerprint,
            "service_tier": "default",
            "choices": []
            if index is None
            else [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
        }
        if req.include_usage:
            body["usage"] = usage
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    try:
        async for event in job.events():
            choice = choices[event.index]
            if isinstance(event, ToolModeEvent):
                choice.calls = tools.ToolCallParser()
            if not choice.announced:
                choice.announced = True
                first: dict[str, Any] = {"role": "assistant", "refusal": None}
                first["content"] = None if choice.calls is not None else ""
                yield chunk(choice.index, first)
            if isinstance(event, PieceEvent):
                if choice.calls is None:
                    logprobs = None
                    if req.logprobs:
                        logprobs = {"content": event.piece.logprobs, "refusal": None}
                    yield chunk(choice.index, {"content": event.piece.text}, logprobs=logprobs)
                    continue
                events = choice.calls.feed(event.piece.text)
                deltas = [_call_delta(choice.calls, *e) for e in events]
                if deltas:
                    yield chunk(choice.index, {"tool_calls": deltas})
            elif isinstance(event, FinishEvent):
                reason = _finish_reason(choice, event.result.finish_reason)
                completion_tokens += event.result.completion_tokens
                cached = event.result.cached_tokens if event.index == 0 else cached
                yield chunk(choice.index, {}, finish=reason)
    except Exception as exc:  # headers are out: report in-band, as OpenAI does
        error = (
            exc
            if isinstance(exc, ApiError)
            else ApiError(
                500, "The built-in model server failed on this request.", type="server_error"
            )
        )
        body = {
            "message": error.message,
            "type": error.type,
            "param": error.param,
            "code": error.code,
        }
        yield f"data: {json.dumps({'error': body})}\n\n"
        return
    finally:
        job.cancel.set()
    if req.include_usage:
        yield chunk(None, {}, usage=_usage(prompt_tokens, completion_tokens, cached))
    yield "data: [DONE]\n\n"


def _call_delta(
    parser: tools.ToolCallParser, index: int, name: str | None, arguments: str
) -> dict[str, Any]:
    if name is None:
        return {"index": index, "function": {"arguments": arguments}}
    call = parser.calls[index]
    return {
        "index": index,
        "id": call.id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
