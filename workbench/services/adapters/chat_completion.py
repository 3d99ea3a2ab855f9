"""Chat completions: the body from a RunRequest, streamed through `chat.completions.create`,
its chunks turned into RunEvents.

Retries are the SDK's own (`max_retries`); `services.attempts` sees each one its client schedules,
so the user sees "retrying in 2 s" while it happens instead of a silent pause.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.run_errors import describe_unfinished_stream
from workbench.core.runs import (
    AudioPart,
    ChatTurn,
    ImagePart,
    LogprobsDelta,
    RefusalDelta,
    ResponseOpened,
    RunFailed,
    RunFinished,
    RunKind,
    RunRequest,
    TextDelta,
    TextPart,
    TokenAlternative,
    TokenLogprob,
    ToolCallDelta,
    Usage,
    UsageReported,
)
from workbench.core.tools import ToolSet, tools_body
from workbench.services.adapters.base import Emit
from workbench.services.adapters.failures import reported_failures

if TYPE_CHECKING:
    import openai


class ChatCompletion:
    kind = RunKind.CHAT_COMPLETION

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        return chat_body(request, endpoint.kind)

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        await stream_chat(client, body, emit)


async def stream_chat(client: openai.AsyncOpenAI, body: dict[str, Any], emit: Emit) -> None:
    """Stream one chat completion, reporting everything through `emit`; never raises for
    failures of the request (they become RunFailed) but lets cancellation through."""
    received = False
    with reported_failures(client, emit, midstream=lambda: received):
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
        if finish_reason is None:  # [DONE] (or the end of the body) before any "why it stopped"
            emit(RunFailed(describe_unfinished_stream()))


def chat_body(request: RunRequest, endpoint_kind: str = "") -> dict[str, Any]:
    """Keyword arguments for `chat.completions.create`: streamed, without any secret."""
    p = request.params
    messages: list[dict[str, Any]] = [_message(t) for t in request.messages]
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
    if request.continue_from and endpoint_kind == EndpointKind.VLLM:
        body["extra_body"] = {"continue_final_message": True, "add_generation_prompt": False}
    if p.stop:
        body["stop"] = list(p.stop)
    if p.logprobs:
        body["logprobs"] = True
        if p.top_logprobs:
            body["top_logprobs"] = p.top_logprobs
    tools = ToolSet.from_json(p.tools)
    if tools is not None:
        body.update(tools_body(tools, first_round=request.tool_round == 0))
    if p.response_format == "json_object":
        body["response_format"] = {"type": "json_object"}
    elif p.response_format == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": json.loads(p.json_schema), "strict": True},
        }
    return body


def _message(turn: ChatTurn) -> dict[str, Any]:
    # Plain text goes as a string, which every OpenAI-compatible server takes; parts only when
    # there is more than text.
    if turn.tool_call_id:
        return {"role": "tool", "tool_call_id": turn.tool_call_id, "content": turn.content}
    if turn.tool_calls:  # content may be null beside calls
        calls = [c.wire() for c in turn.tool_calls]
        return {"role": turn.role, "content": turn.content or None, "tool_calls": calls}
    if all(isinstance(p, TextPart) for p in turn.parts):
        return {"role": turn.role, "content": turn.content}
    return {"role": turn.role, "content": [_part(p) for p in turn.parts]}


def _part(part: TextPart | ImagePart | AudioPart) -> dict[str, Any]:
    match part:
        case TextPart(text=text):
            return {"type": "text", "text": text}
        case ImagePart():
            return {
                "type": "image_url",
                "image_url": {"url": _image_url(part), "detail": part.detail},
            }
        case AudioPart():
            data = base64_text(part.data)
            return {"type": "input_audio", "input_audio": {"data": data, "format": part.format}}


def _image_url(part: ImagePart) -> str:
    return part.url or f"data:{part.mime};base64,{base64_text(part.data)}"


def base64_text(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


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
