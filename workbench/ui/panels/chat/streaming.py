"""Answers being streamed: their tasks (so Esc can cancel them) and the cards showing them.

A run keeps going when its session is closed; reopening the session re-attaches its card.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.core.endpoints import Endpoint
from workbench.core.runs import RetryScheduled, RunEvent, RunFailed, TextDelta
from workbench.core.sessions import MessageStatus
from workbench.services.chat_run import ChatRun, RunTarget
from workbench.ui.panels.chat.message_card import MessageCard


@dataclass(slots=True)
class _Live:
    run: ChatRun
    task: asyncio.Task[Any]
    card: MessageCard | None


class AnswerStreams(QObject):
    finished = Signal(object)  # RunRecord, when an answer completes, fails or is stopped

    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self._live: dict[int, _Live] = {}
        self._closed = False  # after abandon_all: the window is going, tell no one

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def is_running(self, message_id: int) -> bool:
        return message_id in self._live

    def start(
        self,
        session_id: int,
        message_id: int,
        endpoint: Endpoint,
        body: dict[str, Any],
        prefix: str,
        card: MessageCard | None,
    ) -> None:
        deps = self.panel.deps
        target = RunTarget(
            session_id,
            message_id,
            endpoint.name,
            body,
            prefix,
            endpoint_kind=str(endpoint.kind),
            endpoint_url=endpoint.base_url,
        )
        run = ChatRun(deps.store, target, lambda event: self._on_event(message_id, event))
        task = deps.tasks.start("Answering", self._execute(message_id, run, endpoint.id))
        self._live[message_id] = _Live(run, task, card)
        if card is not None:
            card.set_status(MessageStatus.STREAMING)

    async def _execute(self, message_id: int, run: ChatRun, endpoint_id: str) -> None:
        cancelled = False
        connector = self.panel.deps.connector
        try:
            record = await run.execute(lambda: connector.client(endpoint_id))
        except asyncio.CancelledError:
            if self._closed:
                raise
            cancelled = True
            record = run.record("stopped")
        live = self._live.pop(message_id, None)
        if live is not None and live.card is not None and not _deleted(live.card):
            card = live.card
            card.body.finish()
            card.set_status(
                MessageStatus.STOPPED
                if cancelled
                else MessageStatus.ERROR
                if record.error
                else MessageStatus.COMPLETE
            )
            card.show_record(record)
        self.finished.emit(record)
        if cancelled:
            raise asyncio.CancelledError

    def attach(self, card: MessageCard) -> None:
        """A card was (re)built for a message; if it is streaming, show what has arrived."""
        live = self._live.get(card.message.id)
        if live is not None:
            live.card = card
            card.body.set_markdown(live.run.text)
            card.set_status(MessageStatus.STREAMING)

    def _on_event(self, message_id: int, event: RunEvent) -> None:
        live = self._live.get(message_id)
        card = live.card if live is not None else None
        if card is None or _deleted(card):
            return
        if isinstance(event, TextDelta):
            card.body.append(event.text)
        elif isinstance(event, RetryScheduled):
            card.show_retry(event)
        elif isinstance(event, RunFailed):
            card.show_error(event.error)

    def stop_message(self, message_id: int) -> bool:
        live = self._live.get(message_id)
        if live is None:
            return False
        live.task.cancel()
        return True

    def stop_session(self, session_id: int) -> bool:
        ids = [i for i, live in self._live.items() if live.run.target.session_id == session_id]
        return any([self.stop_message(i) for i in ids])

    def abandon_all(self) -> None:
        self._closed = True
        for live in self._live.values():
            live.run.abandon()
            live.task.cancel()
        self._live.clear()


def _deleted(card: MessageCard) -> bool:
    try:
        card.objectName()
    except RuntimeError:  # the C++ widget is gone (the session was closed)
        return True
    return False
