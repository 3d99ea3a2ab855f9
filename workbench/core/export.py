"""Export a conversation branch as Markdown or JSON, and title a session from its first message.

JSON export format, version 1 (bump `EXPORT_VERSION` on any incompatible change):

    {
      "format": "workbench.session",
      "version": 1,
      "title": str,
      "system_prompt": str,
      "exported_at": str,            # ISO 8601, UTC
      "messages": [
        {
          "id": int, "parent_id": int | null,
          "role": "user" | "assistant" | "system" | "tool",
          "content": str,            # Markdown, as shown
          "status": "complete" | "streaming" | "interrupted" | "stopped" | "error",
          "created_at": str,
          "run": {...} | null,       # model, endpoint, usage… of the run that wrote it
          "tool_calls": [...],       # only on an answer that called functions (API's shape)
          "tool_call_id": str,       # only on a tool message: the call it answers
          "images": [{"url": "data:image/png;base64,…", "detail", "width", "height"}]
        }, ...
      ]
    }

Messages are in branch order, root first. No key is ever written: run info is passed through a
filter that drops anything named like a credential, whatever the caller put in it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.clock import utc_now_iso
from workbench.core.sessions import DEFAULT_SESSION_TITLE, Message, MessageStatus, Role
from workbench.core.tools import calls_markdown

EXPORT_FORMAT = "workbench.session"
EXPORT_VERSION = 1

RunInfo = Mapping[int, Mapping[str, Any]]

_HEADINGS = {
    Role.USER: "You",
    Role.ASSISTANT: "Assistant",
    Role.SYSTEM: "System",
    Role.TOOL: "Tool",
}
_STATUS_NOTES = {
    MessageStatus.STOPPED: "_(stopped)_",
    MessageStatus.INTERRUPTED: "_(interrupted)_",
    MessageStatus.STREAMING: "_(unfinished)_",  # only left so if the app died mid-answer
    MessageStatus.ERROR: "_(error)_",
}


def to_markdown(
    title: str,
    system_prompt: str,
    messages: Sequence[Message],
    runs: RunInfo | None = None,
    image_files: Mapping[str, str] | None = None,
) -> str:
    """The branch as one Markdown document; message content goes in as is (it is Markdown).
    A message's images are linked from `image_files` (digest -> path relative to the document),
    files the caller writes beside it (see `image_file_names`)."""
    parts = [f"# {_one_line(title) or DEFAULT_SESSION_TITLE}"]
    if system_prompt.strip():
        parts.append(_blockquote(system_prompt))
    for message in messages:
        parts.append(f"### {_HEADINGS.get(message.role, str(message.role).title())}")
        run = _run_for(message, runs)
        if run and (line := _run_line(run)):
            parts.append(line)
        if message.content:
            parts.append(message.content.strip("\n"))
        for number, image in enumerate(message.images, 1):
            where = (image_files or {}).get(image.digest)
            if where:
                parts.append(f"![Image {number}](<{where}>)")
        if message.tool_calls:
            parts.append(calls_markdown(message.tool_calls).strip("\n"))
        if note := _STATUS_NOTES.get(message.status):
            parts.append(note)
    return "\n\n".join(parts) + "\n"


def to_json(
    title: str,
    system_prompt: str,
    messages: Sequence[Message],
    runs: RunInfo | None = None,
    exported_at: str | None = None,
    image_data: Mapping[str, bytes] | None = None,
) -> str:
    """The branch in the versioned structure described at the top of this module; images as
    data URLs from `image_data` (digest -> bytes)."""
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "title": title,
        "system_prompt": system_prompt,
        "exported_at": exported_at or utc_now_iso(),
        "messages": [_message_json(m, runs, image_data or {}) for m in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def image_file_names(stem: str, messages: Sequence[Message]) -> dict[str, str]:
    """digest -> "<stem>_images/<n>.<ext>": where a Markdown export's images go."""
    names: dict[str, str] = {}
    for message in messages:
        for image in message.images:
            if image.digest not in names:
                ext = _EXTENSIONS.get(image.mime, "img")
                names[image.digest] = f"{stem}_images/{len(names) + 1}.{ext}"
    return names


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def _images_json(message: Message, image_data: Mapping[str, bytes]) -> list[dict[str, Any]]:
    shown = []
    for image in message.images:
        data = image_data.get(image.digest)
        url = f"data:{image.mime};base64,{base64.b64encode(data).decode()}" if data else None
        shown.append(
            {"url": url, "detail": image.detail, "width": image.width, "height": image.height}
        )
    return shown


def _message_json(
    message: Message, runs: RunInfo | None, image_data: Mapping[str, bytes] | None = None
) -> dict[str, Any]:
    run = _run_for(message, runs)
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": str(message.role),
        "content": message.content,
        "status": str(message.status),
        "created_at": message.created_at,
        "run": _scrubbed(run) if run is not None else None,
        **({"tool_calls": [c.wire() for c in message.tool_calls]} if message.tool_calls else {}),
        **({"tool_call_id": message.tool_call_id} if message.tool_call_id else {}),
        **({"images": _images_json(message, image_data or {})} if message.images else {}),
    }


def _run_for(message: Message, runs: RunInfo | None) -> Mapping[str, Any] | None:
    # getattr: run_id is the newest field on Message; older callers may build it without one.
    run_id = getattr(message, "run_id", None)
    if runs is None or run_id is None:
        return None
    return runs.get(run_id)


def _run_line(run: Mapping[str, Any]) -> str:
    """'_gpt-4o-mini · OpenAI · 12 in / 40 out tokens_' under an answer's heading."""
    bits = [str(run[k]) for k in ("model", "endpoint") if run.get(k)]
    usage = _plain(run.get("usage"))
    if isinstance(usage, Mapping):
        tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
        tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
        if tokens_in or tokens_out:
            bits.append(f"{tokens_in or 0} in / {tokens_out or 0} out tokens")
    return f"_{' · '.join(_escape_emphasis(b) for b in bits)}_" if bits else ""


# Names that could hold a credential; usage's "prompt_tokens" and the like must survive.
_SECRET_NAME = re.compile(
    r"(^|[_-])(api[_-]?key|key|secret|password|passwd|authorization|auth|bearer|token|"
    r"key[_-]?ref|access[_-]?token|refresh[_-]?token|cookie)$",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(r"^\s*(bearer\s+\S|sk-[\w-]{16,})", re.IGNORECASE)


def _scrubbed(value: Any) -> Any:
    """A JSON-ready copy of run info with every credential-looking field dropped."""
    value = _plain(value)
    if isinstance(value, Mapping):
        return {str(k): _scrubbed(v) for k, v in value.items() if not _SECRET_NAME.search(str(k))}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, str) and _SECRET_VALUE.match(value):
        return "[redacted]"  # e.g. a header list of pairs, where no key name gives it away
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _plain(value: Any) -> Any:
    # Run info may hold core dataclasses (Usage) rather than dicts.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return value


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _escape_emphasis(text: str) -> str:
    return text.replace("_", r"\_").replace("*", r"\*")


_FENCE = re.compile(r"^\s*(```|~~~)")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+|\[[ xX]\]\s+)+")
_INLINE = re.compile(r"(\*\*|__|`|~~|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def auto_title(first_user_message: str, max_chars: int = 48) -> str:
    """A short session title from the first user message, without asking a model.

    Takes the first non-empty line outside code fences, strips Markdown, collapses whitespace
    and cuts at a word boundary with "…". Falls back to the first line of code if the message
    is nothing but code, and to the default title if it is empty.
    """
    line = _first_prose_line(first_user_message)
    text = _one_line(_INLINE.sub("", _LINK.sub(r"\1", _MARKUP.sub("", line))))
    if not text:
        return DEFAULT_SESSION_TITLE
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    head, space, _ = cut.rpartition(" ")
    # Cut at the last word boundary unless that throws away most of the line (one long word).
    if space and len(head) >= max_chars // 2:
        cut = head
    return cut.rstrip(" ,;:.-–—") + "…"


def _first_prose_line(text: str) -> str:
    in_fence = False
    first_code = ""
    for line in text.splitlines():
        if _FENCE.match(line) and not _is_inline_code(line):
            in_fence = not in_fence
            continue
        if not line.strip():
            continue
        if not in_fence:
            return line
        first_code = first_code or line
    return first_code


def _is_inline_code(line: str) -> bool:
    # ```like this``` on one line opens no block.
    stripped = line.strip()
    return len(stripped) > 6 and stripped.endswith(stripped[:3])
