"""Answers being streamed: their tasks (so Esc can cancel them) and the cards showing them.

A run keeps going when its session is closed; reopening the session re-attaches its card.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.core.runs import (
    RetryScheduled,
    RunEvent,
    RunFailed,
    RunRecord,
    RunStatus,
    TextDelta,
    ToolCallDelta,
)
from workbench.core.sessions import MessageStatus
from workbench.services.run_pipeline import Run
from workbench.ui.panels.chat.message_card import MessageCard


@dataclass(slots=True)
class _Live:
    run: Run
    task: asyncio.Task[Any]
    card: MessageCard | None


class AnswerStreams(QObject):
    # (RunRecord, the text its run settled the message with, or None if it never settled),
    # when an answer completes, fails or is stopped.
    finished = Signal(object, object)

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

    def start(self, run: Run, card: MessageCard | None) -> None:
        """Send `run` (built with `on_event` as its listener) and show it in `card`."""
        message_id = run.origin.message_id
        assert message_id is not None, "a chat run writes into a message"
        task = self.panel.deps.tasks.start("Answering", self._execute(message_id, run))
        self._live[message_id] = _Live(run, task, card)
        if card is not None:
            card.set_status(MessageStatus.STREAMING)

    async def _execute(self, message_id: int, run: Run) -> None:
        runs = self.panel.deps.chat.runs
        try:
            await runs.execute(run, lambda record: self._settled(message_id, record))
        except asyncio.CancelledError:
            if not self._closed and run.result is None:  # cancelled before it was settled
                self._settled(message_id, run.record(RunStatus.STOPPED))
            raise

    def _settled(self, message_id: int, record: RunRecord) -> None:
        """The run ended (complete, failed or stopped): the card shows its record."""
        if self._closed:  # the window is going: tell no one
            return
        live = self._live.pop(message_id, None)
        if live is not None and live.card is not None and not _deleted(live.card):
            card = live.card
            card.body.finish()
            card.set_status(record.status)
            card.show_record(record)
        self.finished.emit(record, live.run.settled_content if live is not None else None)

    def attach(self, card: MessageCard) -> None:
        """A card was (re)built for a message; if it is streaming, show what has arrived."""
        live = self._live.get(card.message.id)
        if live is not None:
            live.card = card
            card.body.set_markdown(live.run.text)
            for index, call in enumerate(live.run.tool_calls):
                card.tool_calls.stream(index, call.id, call.name, call.arguments)
            card.set_status(MessageStatus.STREAMING)

    def on_event(self, message_id: int, event: RunEvent) -> None:
        live = self._live.get(message_id)
        card = live.card if live is not None else None
        if card is None or _deleted(card):
            return
        if isinstance(event, TextDelta):
            card.body.show()
            card.body.append(event.text)
            card.stop_waiting()
        elif isinstance(event, ToolCallDelta):  # the name first, then the arguments growing
            card.tool_calls.stream(event.index, event.id, event.name, event.arguments)
            card.body.setVisible(card.body.received_chars > 0)  # no empty box above the calls
            card.stop_waiting()
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
        ids = [i for i, live in self._live.items() if live.run.origin.session_id == session_id]
        return any([self.stop_message(i) for i in ids])

    def abandon_all(self) -> None:
        """The window is closing: keep every answer as it is, marked interrupted."""
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
