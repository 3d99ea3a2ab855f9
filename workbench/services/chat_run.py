"""One chat answer from request to stored record: stream it, checkpoint it, time it, keep it.

Qt-free, so the same path runs in the app, the tests and the benches.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai

from workbench.core.pricing import price_run
from workbench.core.run_errors import describe_local_failure, describe_unexpected
from workbench.core.runs import (
    LogprobsDelta,
    RefusalDelta,
    ResponseOpened,
    RetryScheduled,
    RunError,
    RunEvent,
    RunFailed,
    RunFinished,
    RunRecord,
    RunTimings,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageReported,
    rate_limit_headers,
)
from workbench.core.sessions import MessageStatus
from workbench.services.local import LocalServerError
from workbench.services.runner import run_chat
from workbench.services.store import Store

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 0.2
REFUSAL_MARK = "**Refused:** "
ClientFactory = Callable[[], Awaitable[openai.AsyncOpenAI]]


class AnswerSink(Protocol):
    """Where an answer's text goes as it streams: a chat message, or a comparison's answer."""

    def attach_run(self, run_id: int) -> None: ...
    def append_chunk(self, text: str) -> None: ...
    def settle(self, content: str, status: MessageStatus, run_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class MessageSink:
    store: Store
    message_id: int

    def attach_run(self, run_id: int) -> None:
        self.store.conversation.attach_run(self.message_id, run_id)

    def append_chunk(self, text: str) -> None:
        self.store.conversation.append_chunk(self.message_id, text)

    def settle(self, content: str, status: MessageStatus, run_id: int) -> None:
        self.store.conversation.settle(self.message_id, content, status, run_id)


@dataclass(slots=True)
class RunTarget:
    session_id: int | None  # None for a comparison sent without a session's history
    message_id: int | None  # the chat's assistant message being written; None in a comparison
    endpoint: str  # the endpoint's name, for the record
    body: dict[str, Any]  # chat.completions.create arguments; never a key
    prefix: str = ""  # text already in the message that this run continues
    endpoint_kind: str = ""  # with the URL, says which provider's prices apply
    endpoint_url: str = ""


@dataclass(slots=True)
class _Progress:
    text: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    tools: dict[int, dict[str, str]] = field(default_factory=dict)
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    retries: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None
    usage: Usage | None = None
    deltas: int = 0
    first_token_s: float | None = None
    finish_reason: str | None = None
    model: str | None = None
    error: RunError | None = None
    refused: bool = False


class ChatRun:
    def __init__(
        self,
        store: Store,
        target: RunTarget,
        on_event: Callable[[RunEvent], None] = lambda _e: None,
        *,
        clock: Callable[[], float] = time.monotonic,
        checkpoint_s: float = CHECKPOINT_SECONDS,
        sink: AnswerSink | None = None,
    ) -> None:
        self.store = store
        self.target = target
        self.on_event = on_event
        self.clock = clock
        self.checkpoint_s = checkpoint_s
        self.progress = _Progress()
        self.run_id = store.runs.start(
            target.session_id,
            target.message_id,
            target.endpoint,
            str(target.body.get("model", "")),
            target.body,
        )
        if sink is None:
            assert target.message_id is not None, "a run writes into a message or a sink"
            sink = MessageSink(store, target.message_id)
        self.sink = sink
        sink.attach_run(self.run_id)
        if target.prefix:  # a crash during Continue must not lose what was there before
            sink.append_chunk(target.prefix)
        self._settled: RunRecord | None = None
        self._started = clock()
        self._last_checkpoint = self._started

    @property
    def text(self) -> str:
        return self.target.prefix + "".join(self.progress.text)

    async def execute(self, client_factory: ClientFactory) -> RunRecord:
        try:
            try:
                client = await client_factory()
            except LocalServerError as exc:
                self._emit(RunFailed(describe_local_failure(str(exc))))
            else:
                await run_chat(client, self.target.body, self._emit)
        except asyncio.CancelledError:
            self._settle(MessageStatus.STOPPED, "stopped")
            raise
        except Exception as exc:  # a bug must not leave the answer "streaming" forever
            log.exception("run %s failed", self.run_id)
            self._emit(RunFailed(describe_unexpected(exc)))
        failed = self.progress.error is not None
        return self._settle(
            MessageStatus.ERROR if failed else MessageStatus.COMPLETE,
            "error" if failed else "complete",
        )

    def abandon(self) -> RunRecord:
        """The app is closing mid-stream: keep what arrived, marked interrupted, no questions."""
        return self._settle(MessageStatus.INTERRUPTED, "interrupted")

    # --- events --------------------------------------------------------------------------------
    def _emit(self, event: RunEvent) -> None:
        p = self.progress
        match event:
            case TextDelta(text=text) | RefusalDelta(text=text):
                if p.first_token_s is None:
                    p.first_token_s = self.clock() - self._started
                p.refused = p.refused or isinstance(event, RefusalDelta)
                p.deltas += 1
                p.text.append(text)
                p.pending.append(text)
                if self.clock() - self._last_checkpoint >= self.checkpoint_s:
                    self._checkpoint()
            case ToolCallDelta():
                call = p.tools.setdefault(event.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = event.id or call["id"]
                call["name"] = event.name or call["name"]
                call["arguments"] += event.arguments
            case LogprobsDelta(tokens=tokens):
                p.logprobs.extend(
                    {
                        "token": t.token,
                        "logprob": t.logprob,
                        "top": [[a.token, a.logprob] for a in t.top],
                    }
                    for t in tokens
                )
            case ResponseOpened():
                p.headers, p.request_id = event.headers, event.request_id
            case UsageReported(usage=usage):
                p.usage = usage
            case RetryScheduled():
                p.retries.append(
                    {"attempt": event.attempt, "wait_s": event.wait_s, "reason": event.reason}
                )
            case RunFailed(error=error):
                p.error = error
            case RunFinished():
                p.finish_reason, p.model = event.finish_reason, event.model
        self.on_event(event)

    def _checkpoint(self) -> None:
        if self.progress.pending:
            self.sink.append_chunk("".join(self.progress.pending))
            self.progress.pending.clear()
        self._last_checkpoint = self.clock()

    def _settle(self, status: MessageStatus, run_status: str) -> RunRecord:
        if self._settled is not None:  # abandoned at shutdown, then cancelled: keep the first
            return self._settled
        p = self.progress
        content = self.text + _tool_calls_markdown(p.tools)
        if p.refused:
            content = REFUSAL_MARK + content
        self.sink.settle(content, status, self.run_id)
        record = self.record(run_status)
        self.store.runs.finish(
            record, p.headers, p.retries, p.logprobs if self.target.body.get("logprobs") else None
        )
        self._settled = record
        return record

    def record(self, status: str) -> RunRecord:
        p = self.progress
        usage = p.usage or Usage(completion_tokens=p.deltas)
        model = p.model or str(self.target.body.get("model", ""))
        price = price_run(
            model,
            self.target.endpoint_kind,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.reasoning_tokens,
            provider_hint=self.target.endpoint_url or None,
        )
        return RunRecord(
            run_id=self.run_id,
            session_id=self.target.session_id,
            message_id=self.target.message_id,
            endpoint=self.target.endpoint,
            model=model,
            status=status,
            timings=RunTimings(
                p.first_token_s, self.clock() - self._started, usage.completion_tokens
            ),
            usage=usage,
            finish_reason=p.finish_reason,
            request_id=p.request_id,
            rate_limits=rate_limit_headers(p.headers),
            error=p.error,
            cost_usd=price.usd,
            price_status=price.status,
        )


def _tool_calls_markdown(tools: dict[int, dict[str, str]]) -> str:
    """Assembled tool calls, appended to the answer as readable JSON blocks."""
    blocks = []
    for _index, call in sorted(tools.items()):
        try:
            arguments: Any = json.loads(call["arguments"] or "{}")
        except ValueError:
            arguments = call["arguments"]  # cut off mid-way: show what arrived
        shown = json.dumps({"arguments": arguments}, indent=2, ensure_ascii=False)
        blocks.append(f"\n\n**Tool call** `{call['name']}`\n```json\n{shown}\n```")
    return "".join(blocks)
