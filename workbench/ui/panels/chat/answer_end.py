"""What the chat does when one of its answers ends (complete, failed or stopped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.runs import ErrorKind, RunRecord
from workbench.core.sessions import Message, MessageStatus
from workbench.services.store import StoreError
from workbench.ui.panels.chat import tool_rounds
from workbench.ui.panels.chat.answer_checks import show_answer_check

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel


def answer_finished(panel: ChatPanel, record: RunRecord, settled_text: str | None) -> None:
    """`settled_text`: what the run settled the answer with (None if it never settled)."""
    panel.composer.set_busy(panel.streams.busy)
    session_id = record.session_id
    if session_id == panel.session_id and record.message_id is not None:
        message = _refreshed(panel, record.message_id, settled_text)
        card = panel.view.cards.get(record.message_id)
        # Only a settled answer replaces what streamed in: one the store could not settle
        # holds an older checkpoint, and what arrived must stay on screen.
        settled = message is not None and message.status is not MessageStatus.STREAMING
        if card is not None and settled and message.content != card.body.text():
            card.body.set_markdown(message.content)  # tool calls or a refusal mark added
        if card is not None and settled:
            show_answer_check(card, message, panel.deps.store.runs, panel.deps.tasks)
        if settled and message.tool_calls and record.status is MessageStatus.COMPLETE:
            tool_rounds.carry_on(panel, message)
    if record.error is not None and record.error.kind is ErrorKind.STORAGE:
        panel.status_message.emit(f"{record.error.title} {record.error.detail}")
    elif record.message_id in panel.forks:
        panel.forks.discard(record.message_id)
        ended = "failed" if record.error is not None else "is written"
        panel.status_message.emit(f"The forked branch {ended}.")
    try:
        with panel.deps.store.failures():
            title = panel.deps.chat.auto_title(session_id)
    except StoreError:  # said already, with the answer it could not keep
        title = None
    if title is not None and session_id is not None:
        panel.deps.bus.session_renamed.emit(session_id, title)
    panel.deps.bus.sessions_changed.emit()
    if session_id == panel.session_id:
        panel.deps.bus.answer_selected.emit(record.message_id)
    if not panel.deps.catalog.listed(panel.endpoint_id):
        panel.load_models()


def _refreshed(panel: ChatPanel, message_id: int, settled_text: str | None) -> Message | None:
    """The cards already show the answer: only its row is read again, not the session's (which
    may hold other huge answers: each one read is a copy of it on the UI thread), and not its
    text if the store holds the one the run settled it with."""
    message = panel.deps.store.conversation.get(message_id, settled_text)
    if message is None or message_id not in panel.tree.by_id:
        panel.reload_tree()
        return panel.tree.by_id.get(message_id)
    panel.tree = panel.tree.with_message(message)
    panel.path = panel.tree.path_to(panel.leaf_id)
    panel.count_history()
    return message
