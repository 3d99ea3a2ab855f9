"""A finished JSON schema answer checked against the schema its run was sent with (from the
stored request, not the form's current text), shown under the answer in its card."""

from __future__ import annotations

from workbench.core.answer_check import schema_sent
from workbench.core.sessions import Message, MessageStatus, Role
from workbench.services.store.runs import RunQueries
from workbench.ui.panels.chat.message_card import MessageCard
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.widgets.schema_check_view import PENDING, check_soon

INLINE_LIMIT = 1_000_000  # characters; a longer answer is checked by a worker thread


def show_answer_check(
    card: MessageCard, message: Message | None, runs: RunQueries, tasks: BackgroundTasks
) -> None:
    """Shows whether `message` (the card's answer, complete) matches the schema it was asked
    for; nothing when no JSON schema was asked for."""
    if message is None or message.role is not Role.ASSISTANT or message.run_id is None:
        return
    if message.status is not MessageStatus.COMPLETE or message.tool_calls:
        return  # an answer that calls functions holds no JSON answer to check
    schema = schema_sent({"response_format": runs.response_format(message.run_id)})
    if schema is None:
        return
    box = card.schema_check
    check = check_soon(message.content, schema, tasks, card, box.show_check, INLINE_LIMIT)
    box.show_check(check, PENDING)
