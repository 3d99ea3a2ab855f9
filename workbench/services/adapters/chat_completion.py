"""Chat completions: the body from a RunRequest, streamed through `chat.completions.create`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.runs import AudioPart, ChatTurn, ImagePart, RunKind, RunRequest, TextPart
from workbench.services.adapters.base import Emit

if TYPE_CHECKING:
    import openai


class ChatCompletion:
    kind = RunKind.CHAT_COMPLETION

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        return chat_body(request, endpoint.kind)

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        from workbench.services.runner import run_chat

        await run_chat(client, body, emit)


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
