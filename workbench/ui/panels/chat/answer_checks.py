"""A finished JSON schema answer checked against the schema its run was sent with (from the
stored request, not the form's current text), shown under the answer in its card."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from shiboken6 import Shiboken

from workbench.core.answer_check import check_answer, schema_sent
from workbench.core.sessions import Message, MessageStatus, Role
from workbench.services.store.runs import RunQueries
from workbench.ui.panels.chat.message_card import MessageCard
from workbench.ui.tasks import BackgroundTasks

INLINE_LIMIT = 1_000_000  # characters; a longer answer is checked by a worker thread
_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-check")


def show_answer_check(
    card: MessageCard, message: Message | None, runs: RunQueries, tasks: BackgroundTasks
) -> None:
    """Shows whether `message` (the card's answer, complete) matches the schema it was asked
    for; nothing when no JSON schema was asked for."""
    if message is None or message.role is not Role.ASSISTANT or message.run_id is None:
        return
    if message.status is not MessageStatus.COMPLETE:
        return
    schema = schema_sent({"response_format": runs.response_format(message.run_id)})
    if schema is None:
        return
    text = message.content
    if len(text) <= INLINE_LIMIT:
        card.schema_check.show_check(check_answer(text, schema))
        return
    card.schema_check.show_check(None, "Checking the answer against the schema…")
    tasks.start("Checking the answer against its schema", _check_later(card, text, schema))


async def _check_later(card: MessageCard, text: str, schema: dict) -> None:
    check = await asyncio.get_running_loop().run_in_executor(_checks, check_answer, text, schema)
    if Shiboken.isValid(card):  # the card may have gone with its session meanwhile
        card.schema_check.show_check(check)
