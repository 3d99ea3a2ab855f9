"""The store's writer thread: an answer's checkpoints and final text never wait on the caller's
thread, land in order, stop at the first failure (no gap in the kept text), and are all written
before the store closes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from workbench.core.sessions import MessageStatus, Role
from workbench.services.run_pipeline import MessageSink
from workbench.services.store import Store, StoreFull


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "workbench.db")
    yield opened
    opened.close()


def _streaming_answer(store: Store) -> int:
    session = store.sessions.create("Writer")
    question = store.conversation.add(session, Role.USER, "Go on.", None)
    return store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)


def _hold_writer(store: Store) -> threading.Event:
    """Keeps the writer thread busy until the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def job(_db) -> None:  # type: ignore[no-untyped-def]
        started.set()
        release.wait(10)

    store.writer.submit(job)
    assert started.wait(5)
    return release


def test_settling_returns_at_once_and_the_text_is_stored_when_the_writer_gets_to_it(store):
    answer = _streaming_answer(store)
    sink = MessageSink(store, answer)
    release = _hold_writer(store)
    try:
        sink.append_chunk("Hello, ")
        written = sink.settle("Hello, world.", MessageStatus.COMPLETE, 1, ())
        # The caller was not held: nothing is written yet, the writer is still busy.
        assert not written.done()
        assert store.conversation.get(answer).status is MessageStatus.STREAMING
    finally:
        release.set()
    written.result(timeout=10)
    stored = store.conversation.get(answer)
    assert (stored.content, stored.status) == ("Hello, world.", MessageStatus.COMPLETE)
    assert store.conversation.streamed_text(answer) == ""  # checkpoints folded into the text


def test_checkpoints_land_in_order(store):
    answer = _streaming_answer(store)
    sink = MessageSink(store, answer)
    pieces = [f"piece {n}; " for n in range(200)]
    for piece in pieces:
        sink.append_chunk(piece)
    store.writer.submit(lambda _db: None).result(timeout=10)  # everything queued before it
    assert store.conversation.streamed_text(answer) == "".join(pieces)


def test_after_a_failed_checkpoint_nothing_more_is_kept_and_the_next_one_says_why(store):
    answer = _streaming_answer(store)
    sink = MessageSink(store, answer)
    sink.append_chunk("kept. ")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.writer.submit(lambda db: db.execute(f"PRAGMA max_page_count = {pages}")).result()
    sink.append_chunk("x" * 200_000)  # more than the full database can take
    store.writer.submit(lambda _db: None).result(timeout=10)
    store.writer.submit(lambda db: db.execute("PRAGMA max_page_count = 1073741823")).result()

    with pytest.raises(StoreFull), store.failures():
        sink.append_chunk("lost. ")  # refused: it would leave a gap where the big one failed
    settled = sink.settle("kept. lost. ", MessageStatus.COMPLETE, 1, ())
    with pytest.raises(sqlite3.OperationalError):
        settled.result(timeout=10)
    assert store.conversation.streamed_text(answer) == "kept. "
    assert store.conversation.get(answer).status is MessageStatus.STREAMING  # recovered later


def test_closing_the_store_writes_what_was_queued_first(tmp_path: Path):
    store = Store.open(tmp_path / "workbench.db")
    answer = _streaming_answer(store)
    sink = MessageSink(store, answer)
    release = _hold_writer(store)
    sink.append_chunk("queued while the writer was busy")
    release.set()
    store.close()

    reopened = Store.open(tmp_path / "workbench.db")
    try:
        # Never settled: the next start recovers what was checkpointed, marked interrupted.
        recovered = reopened.conversation.get(answer)
        assert recovered.content == "queued while the writer was busy"
        assert recovered.status is MessageStatus.INTERRUPTED
    finally:
        reopened.close()


def test_a_settled_answer_is_read_back_without_its_text_unless_it_did_not_settle(store):
    settled = _streaming_answer(store)
    text = "The whole answer."
    store.conversation.settle(settled, text, MessageStatus.COMPLETE)
    read = store.conversation.get(settled, text)
    assert read.content is text and read.status is MessageStatus.COMPLETE  # not a copy of it

    unsettled = _streaming_answer(store)  # its settle failed: the store holds something else
    read = store.conversation.get(unsettled, "what the run tried to write")
    assert read.content == "" and read.status is MessageStatus.STREAMING
