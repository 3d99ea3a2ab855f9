"""The store failing under a send: said where the user is looking, nothing typed or received lost,
and the window never waits on a lock another program holds."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest

from tests.support.driving import press_send, start_sending, type_message
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.core.runs import RunStatus
from workbench.core.sessions import MessageStatus, Role

QUESTION = "Is the kettle on?"
# Long enough to outlast the moment the store fails, in chunks that each need room on disk.
LONG_ANSWER = " ".join(f"word{i:04d}-" * 6 for i in range(400))


@pytest.fixture
def window(ctx: AppContext, server: ScriptedServer, qtbot) -> MainWindow:
    use_scripted_endpoint(ctx, server)
    return open_window(ctx, qtbot)


@pytest.fixture
def other_program(ctx: AppContext) -> Iterator[sqlite3.Connection]:
    """A second connection to the app's database, as another program would hold it."""
    other = sqlite3.connect(ctx.store.path, isolation_level=None)
    yield other
    other.close()


def _chat_requests(server: ScriptedServer) -> list:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_a_locked_store_refuses_the_send_at_once_keeps_the_draft_and_retry_works(
    window, ctx, server, other_program, qtbot
) -> None:
    other_program.execute("BEGIN EXCLUSIVE")
    type_message(qtbot, window, QUESTION)
    started = time.monotonic()
    press_send(qtbot, window)
    assert time.monotonic() - started < 1.5  # not a frozen window waiting on the lock

    composer = window.chat.composer
    assert composer.text() == QUESTION
    assert "another program" in window.statusBar().currentMessage()
    assert composer.problem.isVisible() and "retry" in composer.problem.text().lower()
    assert _chat_requests(server) == []

    other_program.execute("ROLLBACK")  # the other program let go
    with qtbot.waitSignal(ctx.bus.run_finished, timeout=10_000) as finished:
        press_send(qtbot, window)
    assert finished.args[0].status is RunStatus.COMPLETE
    assert composer.text() == "" and not composer.problem.isVisible()


def test_a_full_disk_at_send_keeps_the_draft_and_says_so(window, ctx, server, qtbot, monkeypatch):
    def full(*_args: object, **_kwargs: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ctx.store.conversation, "add", full)
    start_sending(qtbot, window, QUESTION)

    assert window.chat.composer.text() == QUESTION
    assert "full" in window.statusBar().currentMessage()
    assert "full" in window.chat.composer.problem.text()
    assert _chat_requests(server) == []


def _max_pages(ctx: AppContext, pages: int) -> None:
    # A limit of each connection's: the UI's, and the writer thread's that keeps answers.
    ctx.store.db.execute(f"PRAGMA max_page_count = {pages}")
    ctx.store.writer.submit(lambda db: db.execute(f"PRAGMA max_page_count = {pages}")).result()


def _make_full(ctx: AppContext, _other: sqlite3.Connection) -> None:
    # Really full: the database may not grow by a single page from here on.
    _max_pages(ctx, ctx.store.db.execute("PRAGMA page_count").fetchone()[0])


def _lock(_ctx: AppContext, other: sqlite3.Connection) -> None:
    other.execute("BEGIN EXCLUSIVE")


@pytest.mark.parametrize(("fault", "words"), [(_make_full, "full"), (_lock, "in use")])
def test_a_store_failing_mid_answer_ends_the_run_and_keeps_what_arrived(
    window, ctx, server, other_program, qtbot, fault, words
) -> None:
    server.script("chat", Stream(text=LONG_ANSWER, delay=0.004))
    start_sending(qtbot, window, QUESTION)
    view = window.chat.view
    qtbot.waitUntil(
        lambda: any(c.body.text() for c in view.cards.values() if c.status is not None),
        timeout=10_000,
    )
    card = next(c for c in view.cards.values() if c.status is MessageStatus.STREAMING)
    try:
        with qtbot.waitSignal(ctx.bus.run_finished, timeout=10_000) as finished:
            fault(ctx, other_program)
        record = finished.args[0]
        shown = card.body.text()
    finally:
        _max_pages(ctx, 1073741823)
        if other_program.in_transaction:
            other_program.execute("ROLLBACK")

    assert record.status is RunStatus.ERROR and words in record.error.title
    assert card.status is MessageStatus.ERROR  # not left "answering…"
    assert words in card.error_label.text()
    assert words in window.statusBar().currentMessage()
    stored = ctx.store.conversation.get(card.message.id).content
    assert shown.startswith("word0000") and shown.startswith(stored) and len(shown) > len(stored)


def test_a_regenerate_the_store_cannot_start_says_so_on_the_card(
    window, ctx, server, qtbot, monkeypatch
) -> None:
    with qtbot.waitSignal(ctx.bus.run_finished, timeout=10_000):
        start_sending(qtbot, window, QUESTION)

    def full(*_args: object, **_kwargs: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ctx.store.runs, "start", full)
    answer = next(c for c in window.chat.view.cards.values() if c.message.role is Role.ASSISTANT)
    answer.regenerate_button.click()

    card = next(
        c
        for c in window.chat.view.cards.values()
        if c.message.id != answer.message.id and c.message.parent_id == answer.message.parent_id
    )
    assert card.status is MessageStatus.ERROR and "full" in card.error_label.text()
    assert "full" in window.statusBar().currentMessage()
