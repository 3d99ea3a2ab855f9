"""Plain data for sessions, messages and search hits, as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workbench.core.tools import ToolCall


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"  # being written; left like this only if the process died
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: int
    title: str
    created_at: str
    last_used_at: str
    message_count: int


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image in a message: its bytes are in the store's assets, by `digest`."""

    digest: str
    mime: str
    detail: str  # "low", "high" or "auto", as sent
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    session_id: int
    parent_id: int | None
    role: Role
    content: str
    status: MessageStatus
    created_at: str
    run_id: int | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # an answer's calls to functions
    tool_call_id: str | None = None  # a tool message: the call it answers
    images: tuple[ImageRef, ...] = ()  # a question's images, in order


# Snippets come back with these around each matched term, so the view can style them safely.
MATCH_START = "\x02"
MATCH_END = "\x03"


@dataclass(frozen=True, slots=True)
class SearchHit:
    session_id: int
    session_title: str
    message_id: int
    snippet: str  # matched terms wrapped in MATCH_START / MATCH_END


DEFAULT_SESSION_TITLE = "New session"
