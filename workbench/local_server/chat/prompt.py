"""Messages to prompt text through the model's own chat template."""

from __future__ import annotations

import json
from typing import Any

from workbench.local_server.chat.request import ChatRequest
from workbench.local_server.chat.tools import history_text, system_text
from workbench.local_server.engine import ChatEngine
from workbench.local_server.errors import bad_field


def build_prompt(engine: ChatEngine, request: ChatRequest) -> str:
    extra = []
    if request.tools is not None:
        extra.append(system_text(request.tools))
    if request.schema_hint is not None:
        schema = json.dumps(request.schema_hint, ensure_ascii=False)
        extra.append(f"Reply with only a JSON object that follows this JSON Schema: {schema}")
    elif request.json_mode:
        extra.append("Reply with only a JSON object.")
    messages = [_for_template(m, plain_tools=False) for m in request.messages]
    try:
        text = engine.render(_with_system(messages, extra))
    except Exception:
        # Some templates reject a `tool` role or insist on strict alternation: retry with tool
        # results written as user turns before giving up.
        messages = [_for_template(m, plain_tools=True) for m in request.messages]
        try:
            text = engine.render(_with_system(messages, extra))
        except Exception as exc:
            raise bad_field(
                "messages", f"The model's chat template rejected these messages: {exc}"
            ) from exc
    if request.prefix is not None:
        text += request.prefix  # continuation: the assistant turn stays open
    return text


def _for_template(message: dict[str, Any], plain_tools: bool) -> dict[str, Any]:
    role, content = message["role"], message["content"]
    if role == "developer":
        role = "system"  # OpenAI's newer name for the same thing
    if role == "assistant" and message.get("tool_calls"):
        content = history_text(content, message["tool_calls"])
    if role == "tool" and plain_tools:
        role, content = "user", f"Result of function call {message['tool_call_id']}: {content}"
    return {"role": role, "content": content}


def _with_system(messages: list[dict[str, Any]], extra: list[str]) -> list[dict[str, Any]]:
    if not extra:
        return messages
    addition = "\n\n".join(extra)
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        return [{"role": "system", "content": f"{first['content']}\n\n{addition}"}, *messages[1:]]
    return [{"role": "system", "content": addition}, *messages]
