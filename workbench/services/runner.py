"""The one place a chat request meets the `openai` SDK: stream it, turn chunks into RunEvents.

Retries are the SDK's own (`max_retries`); `services.attempts` sees each one its client schedules,
so the user sees "retrying in 2 s" while it happens instead of a silent pause.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openai

from workbench.core.rate_limits import retry_after_seconds
from workbench.core.run_errors import (
    describe_connection_error,
    describe_http_error,
    describe_malformed_stream,
)
from workbench.core.runs import (
    LogprobsDelta,
    RefusalDelta,
    ResponseOpened,
    RunEvent,
    RunFailed,
    RunFinished,
    TextDelta,
    TokenAlternative,
    TokenLogprob,
    ToolCallDelta,
    Usage,
    UsageReported,
)
from workbench.services.attempts import report_retries, stop_reporting

Emit = Callable[[RunEvent], None]


async def run_chat(client: openai.AsyncOpenAI, body: dict[str, Any], emit: Emit) -> None:
    """Stream one chat completion, reporting everything through `emit`; never raises for
    failures of the request (they become RunFailed) but lets cancellation through."""
    token = report_retries(emit, client.max_retries)
    received = False
    try:
        stream = await client.chat.completions.create(**body)
        headers = dict(stream.response.headers.items())
        emit(ResponseOpened(headers, headers.get("x-request-id")))
        finish_reason: str | None = None
        model: str | None = None
        try:
            async for chunk in stream:
                model = chunk.model or model
                if chunk.usage is not None:
                    emit(UsageReported(_usage(chunk.usage)))
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue  # the chat shows one answer; n > 1 is the compare panel's job
                    received = _emit_choice(choice, emit) or received
                    finish_reason = choice.finish_reason or finish_reason
        finally:
            await stream.close()
        emit(RunFinished(finish_reason, model))
    except openai.APIStatusError as exc:
        emit(RunFailed(_status_error(exc)))
    except openai.APITimeoutError as exc:
        emit(RunFailed(describe_connection_error(str(exc), timeout=True, midstream=received)))
    except openai.APIConnectionError as exc:
        emit(RunFailed(describe_connection_error(_cause(exc), midstream=received)))
    except openai.APIError as exc:  # an error event inside the stream
        emit(RunFailed(describe_http_error(500, exc.message, getattr(exc, "code", None))))
    except json.JSONDecodeError as exc:  # the SDK lets a malformed SSE event through as this
        emit(RunFailed(describe_malformed_stream(str(exc))))
    finally:
        stop_reporting(token)


def _emit_choice(choice: Any, emit: Emit) -> bool:
    delta = choice.delta
    got = False
    if delta is not None:
        if delta.content:
            emit(TextDelta(delta.content))
            got = True
        refusal = getattr(delta, "refusal", None)
        if refusal:
            emit(RefusalDelta(refusal))
            got = True
        for call in delta.tool_calls or ():
            fn = call.function
            emit(
                ToolCallDelta(
                    call.index,
                    call.id,
                    fn.name if fn else None,
                    (fn.arguments or "") if fn else "",
                )
            )
            got = True
    logprobs = getattr(choice, "logprobs", None)
    if logprobs is not None and logprobs.content:
        emit(LogprobsDelta(tuple(_token(t) for t in logprobs.content)))
    return got


def _token(item: Any) -> TokenLogprob:
    top = tuple(TokenAlternative(a.token, float(a.logprob)) for a in item.top_logprobs or ())
    return TokenLogprob(item.token, float(item.logprob), top)


def _usage(usage: Any) -> Usage:
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=(getattr(prompt_details, "cached_tokens", 0) or 0) if prompt_details else 0,
        reasoning_tokens=(getattr(completion_details, "reasoning_tokens", 0) or 0)
        if completion_details
        else 0,
    )


def _status_error(exc: openai.APIStatusError) -> Any:
    headers = dict(exc.response.headers.items())
    return describe_http_error(
        exc.status_code,
        _server_message(exc),
        exc.code,
        retry_after_seconds(headers, time.time()),
        exc.request_id,
    )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{exc} ({type(cause).__name__}: {cause})" if cause else str(exc)
