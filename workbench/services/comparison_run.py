"""Running a comparison: every column at once, each column's repeats one after another.

Columns run concurrently so a slow or failing one never holds up the rest. A column's repeats
run in turn, so each one's latency is its own, not time spent queued behind its siblings.
Qt-free; every answer takes the one run path (RunService), so it is announced like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future

from workbench.core.comparison import ColumnSpec, SavedColumn, SavedComparison, column_turns
from workbench.core.export import auto_title
from workbench.core.run_errors import ErrorKind
from workbench.core.runs import RunError, RunEvent, RunFailed, RunKind, RunRecord, RunRequest
from workbench.core.sessions import MessageStatus, Role
from workbench.core.tools import ToolCall, calls_markdown
from workbench.services.run_pipeline import Run, RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store import Store, WriteQueue
from workbench.services.store.comparisons import ComparisonQueries


class ComparisonAnswerSink:
    """A comparison's answer, written on the store's writer thread like a chat message."""

    def __init__(self, store: Store, answer_id: int) -> None:
        self.answer_id = answer_id
        self._writes = WriteQueue(store.writer)

    def attach_run(self, run_id: int) -> None:
        self._writes.put(lambda db: ComparisonQueries(db).attach_run(self.answer_id, run_id))

    def append_chunk(self, text: str) -> None:
        self._writes.raise_failure()
        self._writes.put(lambda db: ComparisonQueries(db).append_chunk(self.answer_id, text))

    def settle(
        self, content: str, status: MessageStatus, run_id: int, calls: tuple[ToolCall, ...]
    ) -> Future[None]:
        # A column shows its answer as markdown: calls to functions as JSON blocks after it.
        text = content + calls_markdown(calls)
        return self._writes.put(
            lambda db: ComparisonQueries(db).settle(self.answer_id, text, status, run_id)
        )


# (column position, repeat index, answer id, event): the panel routes it to the right column.
EventHandler = Callable[[int, int, int, RunEvent], None]
FinishedHandler = Callable[[int, int, int, RunRecord], None]


class ComparisonRun:
    def __init__(
        self,
        runs: RunService,
        comparison: SavedComparison,
        on_event: EventHandler,
        on_finished: FinishedHandler,
    ) -> None:
        self.runs = runs
        self.store = runs.store
        self.comparison = comparison
        self.on_event = on_event
        self.on_finished = on_finished
        self._active: set[Run] = set()

    async def execute(self) -> None:
        await asyncio.gather(*(self._column(c) for c in self.comparison.columns))

    def abandon(self) -> None:
        """The app is closing: every answer still streaming is kept, marked interrupted."""
        for run in list(self._active):
            run.abandon()

    async def _column(self, column: SavedColumn) -> None:
        for repeat in range(self.comparison.repeats):
            answer_id = self.store.comparisons.add_answer(column.id, repeat)
            endpoint = self.runs.find_endpoint(column.spec.endpoint_id)
            if endpoint is None:  # deleted since the column was set up: say so in the column
                error = RunError(
                    ErrorKind.BAD_REQUEST,
                    f'The endpoint "{column.spec.endpoint_name}" no longer exists: '
                    "choose another one for this column.",
                    retryable=False,
                )
                self.store.comparisons.settle(answer_id, "", MessageStatus.ERROR)
                self.on_event(column.position, repeat, answer_id, RunFailed(error))
                return
            turns = column_turns(column.spec, self.comparison.history, self.comparison.prompt)
            request = self.runs.prepared(
                RunRequest(RunKind.CHAT_COMPLETION, endpoint.id, column.spec.params, turns)
            )
            run = self.runs.start(
                request,
                RunOrigin(self.comparison.session_id, None),
                lambda event, r=repeat, a=answer_id: self.on_event(column.position, r, a, event),
                sink=ComparisonAnswerSink(self.store, answer_id),
            )
            self._active.add(run)
            try:
                await self.runs.execute(
                    run,
                    lambda record, r=repeat, a=answer_id: self.on_finished(
                        column.position, r, a, record
                    ),
                )
            finally:
                self._active.discard(run)


def answer_into_chat(
    store: Store, comparison: SavedComparison, spec: ColumnSpec, content: str, run_id: int
) -> tuple[int, int]:
    """Put a column's answer into the chat as a branch; returns (session id, message id).

    It goes under the comparison's prompt as asked in its session (the question is added once,
    then reused), or into a new session when the comparison was sent without one.
    """
    conversation = store.conversation
    session_id = comparison.session_id
    parent = comparison.leaf_id
    if session_id is None or store.sessions.get(session_id) is None:
        session_id = store.sessions.create(auto_title(comparison.prompt), spec.system_prompt)
        conversation.save_settings(session_id, spec.system_prompt, spec.endpoint_id, spec.params)
        parent = None
        for turn in comparison.history:  # a comparison reopened after its session was deleted
            parent = conversation.add(session_id, Role(turn.role), turn.content, parent)
    elif parent is not None and conversation.get(parent) is None:
        parent = None
    question = next(
        (
            m.id
            for m in conversation.visible(session_id)
            if m.parent_id == parent and m.role is Role.USER and m.content == comparison.prompt
        ),
        None,
    )
    if question is None:
        question = conversation.add(session_id, Role.USER, comparison.prompt, parent)
    answer = conversation.add(session_id, Role.ASSISTANT, content, question)
    conversation.attach_run(answer, run_id)
    return session_id, answer
