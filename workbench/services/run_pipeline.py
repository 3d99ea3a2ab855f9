"""One run of any kind from request to stored record: send it, checkpoint it, time it, keep it.

The adapter for the request's kind builds the wire body and makes the SDK call; everything
around it (the run's row, checkpoints, timings, price, the settled record) is the same for every
kind. Qt-free, so the same path runs in the app, the tests and the benches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent import futures
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.endpoints import Endpoint, endpoint_secrets, redact
from workbench.core.pricing import price_usage
from workbench.core.run_errors import (
    describe_local_failure,
    describe_store_failure,
    describe_unexpected,
)
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
    RunRequest,
    RunStatus,
    RunTimings,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageReported,
    rate_limit_headers,
)
from workbench.core.sessions import MessageStatus
from workbench.core.tools import ToolCall
from workbench.services.adapters import adapter_for
from workbench.services.local import LocalServerError
from workbench.services.store import Store, StoreError, WriteQueue
from workbench.services.store.conversation import ConversationQueries

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 0.2
REFUSAL_MARK = "**Refused:** "
ClientFactory = Callable[[], Awaitable["openai.AsyncOpenAI"]]


class AnswerSink(Protocol):
    """Where an answer's text goes as it streams: a chat message, or a comparison's answer."""

    def attach_run(self, run_id: int) -> None: ...
    def append_chunk(self, text: str) -> None:
        """Keeps `text` (maybe later, in order); raises if an earlier write failed."""

    def settle(
        self, content: str, status: MessageStatus, run_id: int, calls: tuple[ToolCall, ...]
    ) -> Future[None]:
        """The final text replaces the checkpoints; done (or failed) when the future is."""
        ...


class MessageSink:
    """A chat message. Its writes go through the store's writer thread: a huge answer's
    checkpoints and final text (indexed for search) must not hold the UI thread."""

    def __init__(self, store: Store, message_id: int) -> None:
        self.message_id = message_id
        self._writes = WriteQueue(store.writer)

    def attach_run(self, run_id: int) -> None:
        self._writes.put(lambda db: ConversationQueries(db).attach_run(self.message_id, run_id))

    def append_chunk(self, text: str) -> None:
        self._writes.raise_failure()
        self._writes.put(lambda db: ConversationQueries(db).append_chunk(self.message_id, text))

    def settle(
        self, content: str, status: MessageStatus, run_id: int, calls: tuple[ToolCall, ...]
    ) -> Future[None]:
        message_id = self.message_id
        return self._writes.put(
            lambda db: ConversationQueries(db).settle(message_id, content, status, run_id, calls)
        )


class NoMessageSink:
    """For runs whose answer is not a chat message (a transcription, speech): what they made
    stays in their run and with whoever asked."""

    def attach_run(self, run_id: int) -> None: ...
    def append_chunk(self, text: str) -> None: ...
    def settle(
        self, content: str, status: MessageStatus, run_id: int, calls: tuple[ToolCall, ...]
    ) -> Future[None]:
        done: Future[None] = Future()
        done.set_result(None)
        return done


@dataclass(frozen=True, slots=True)
class RunOrigin:
    """Where a run's answer belongs."""

    session_id: int | None  # None for a comparison sent without a session's history
    message_id: int | None  # the chat's assistant message being written; None in a comparison


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


class Run:
    def __init__(
        self,
        store: Store,
        request: RunRequest,
        endpoint: Endpoint,
        origin: RunOrigin,
        on_event: Callable[[RunEvent], None] = lambda _e: None,
        *,
        sink: AnswerSink | None = None,
        prefix: str = "",
        clock: Callable[[], float] = time.monotonic,
        checkpoint_s: float = CHECKPOINT_SECONDS,
    ) -> None:
        """`prefix` is text already in the message that this run continues."""
        self.store = store
        self.request = request
        self.endpoint = endpoint
        self.origin = origin
        self.prefix = prefix
        self.on_event = on_event
        self.clock = clock
        self.checkpoint_s = checkpoint_s
        self.progress = _Progress()
        self.adapter = adapter_for(request.kind)
        self.body = self.adapter.body(request, endpoint)
        self.base_url = endpoint.base_url  # the built-in server's is known once it runs
        self.secrets = endpoint_secrets(endpoint, None)  # the key joins once the client exists
        self.run_id = store.runs.start(
            origin.session_id,
            origin.message_id,
            endpoint,
            request.kind,
            request.model,
            self.body,
        )
        if sink is None:
            assert origin.message_id is not None, "a run writes into a message or a sink"
            sink = MessageSink(store, origin.message_id)
        self.sink = sink
        sink.attach_run(self.run_id)
        if prefix:  # a crash during Continue must not lose what was there before
            sink.append_chunk(prefix)
        self.result: RunRecord | None = None  # set once the run is settled
        self._settling: tuple[RunRecord, Future[None]] | None = None  # final text being written
        self.settled_content: str | None = None  # the final text, once it is being written
        self._started = clock()
        self._last_checkpoint = self._started

    @property
    def text(self) -> str:
        return self.prefix + "".join(self.progress.text)

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The calls assembled so far, in the order the model made them."""
        tools = self.progress.tools
        return tuple(ToolCall(c["id"], c["name"], c["arguments"]) for _, c in sorted(tools.items()))

    async def execute(self, client_factory: ClientFactory) -> RunRecord:
        try:
            try:
                client = await client_factory()
            except LocalServerError as exc:
                self._emit(RunFailed(describe_local_failure(str(exc))))
            else:
                self.base_url = str(client.base_url).rstrip("/")
                self.secrets = endpoint_secrets(self.endpoint, client.api_key)
                await self.adapter.send(client, self.request, self.body, self._emit)
        except asyncio.CancelledError:
            await self._settle_async(RunStatus.STOPPED)
            raise
        except StoreError as problem:  # a checkpoint failed: streaming on would keep nothing
            self._emit(RunFailed(describe_store_failure(str(problem), problem.advice)))
        except Exception as exc:  # a bug must not leave the answer "streaming" forever
            log.exception("run %s failed", self.run_id)
            self._emit(RunFailed(describe_unexpected(exc)))
        failed = self.progress.error is not None
        return await self._settle_async(RunStatus.ERROR if failed else RunStatus.COMPLETE)

    def abandon(self) -> RunRecord:
        """The app is closing mid-stream: keep what arrived, marked interrupted, no questions."""
        return self._settle(RunStatus.INTERRUPTED)

    # --- events --------------------------------------------------------------------------------
    def _emit(self, event: RunEvent) -> None:
        # A server may echo the key back (a 401 body, a header): nothing past here may hold it.
        event = _redacted(event, self.secrets)
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
                if p.first_token_s is None:  # an answer that only calls functions starts here
                    p.first_token_s = self.clock() - self._started
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
            with self.store.failures():
                self.sink.append_chunk("".join(self.progress.pending))
            self.progress.pending.clear()
        self._last_checkpoint = self.clock()

    def _settle(self, status: RunStatus) -> RunRecord:
        """Settles and waits for the writes (the app is closing: nothing else to do)."""
        if self.result is not None:  # abandoned at shutdown, then cancelled: keep the first
            return self.result
        record, written = self._settling or self._start_settle(status)
        futures.wait([written])
        return self._end_settle(record, written)

    async def _settle_async(self, status: RunStatus) -> RunRecord:
        """Settles without holding the UI thread while a huge answer is written and indexed."""
        if self.result is not None:
            return self.result
        record, written = self._settling or self._start_settle(status)
        # Shielded: a second cancel must not drop the queued write of the final text.
        with contextlib.suppress(Exception):
            await asyncio.shield(asyncio.wrap_future(written))
        return self._end_settle(record, written)

    def _start_settle(self, status: RunStatus) -> tuple[RunRecord, Future[None]]:
        """The answer and the run end with the same status."""
        p = self.progress
        content = self.text
        if p.refused:
            content = REFUSAL_MARK + content
        record = self.record(status)
        self.settled_content = content
        self._settling = record, self.sink.settle(content, status, self.run_id, self.tool_calls)
        return self._settling

    def _end_settle(self, record: RunRecord, written: Future[None]) -> RunRecord:
        if self.result is not None:
            return self.result
        p = self.progress
        try:
            with self.store.failures():
                written.result()  # the writer's failure, raised here to be named
                self.store.runs.finish(
                    record, p.headers, p.retries, p.logprobs if self.body.get("logprobs") else None
                )
        except StoreError as problem:
            # The run still ends, failed, with what arrived held in memory for the screen; the
            # store keeps its last checkpoint, marked interrupted at the next start.
            p.error = p.error or describe_store_failure(str(problem), problem.advice)
            record = self.record(RunStatus.ERROR)
        self.result = record
        return record

    def record(self, status: RunStatus) -> RunRecord:
        """The run as it stands, settled with `status`."""
        p = self.progress
        usage = p.usage or Usage(completion_tokens=p.deltas)
        model = p.model or self.request.model
        price = price_usage(
            model, self.endpoint.kind, usage, provider_hint=self.endpoint.base_url or None
        )
        return RunRecord(
            run_id=self.run_id,
            session_id=self.origin.session_id,
            message_id=self.origin.message_id,
            endpoint=self.endpoint.name,
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
            kind=self.request.kind,
            endpoint_id=self.endpoint.id,
            endpoint_kind=str(self.endpoint.kind),
            base_url=self.base_url,
        )


def _redacted(event: RunEvent, secrets: tuple[str, ...]) -> RunEvent:
    """The parts of an event that quote the server (headers, error text) without `secrets`."""
    match event:
        case ResponseOpened(headers=headers):
            return replace(event, headers={k: redact(v, secrets) for k, v in headers.items()})
        case RunFailed(error=error):
            detail, title = redact(error.detail, secrets), redact(error.title, secrets)
            return replace(event, error=replace(error, detail=detail, title=title))
        case RetryScheduled(reason=reason):
            return replace(event, reason=redact(reason, secrets))
    return event
