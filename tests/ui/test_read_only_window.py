"""A launch that finds the data folder owned by a live Workbench that does not answer (frozen)
opens it read-only: it shows the sessions, writes nothing, and says why wherever the user tries
(issue 13, item 2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.driving import press_send, type_message
from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.core.sessions import MessageStatus, Role
from workbench.services.store import Store, StoreInUse


@pytest.fixture
def owner(data_paths) -> Iterator[Store]:
    """The first Workbench: it owns the folder, and has an answer half written."""
    store = Store.open(data_paths.database)
    session = store.sessions.create("Owned")
    question = store.conversation.add(session, Role.USER, "Still there?", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    store.conversation.append_chunk(answer, "Yes, still ")
    yield store
    store.close()


@pytest.fixture
def second(owner, data_paths, aloop, qapp) -> Iterator[AppContext]:
    store = Store.open(data_paths.database)
    yield AppContext.build(data_paths, store, aloop)
    store.close()


def test_a_second_store_on_an_owned_folder_reads_but_never_writes(owner, data_paths) -> None:
    second = Store.open(data_paths.database)
    try:
        assert second.read_only and not owner.read_only
        assert [s.title for s in second.sessions.list()] == ["Owned"]
        with pytest.raises(StoreInUse) as refused, second.failures():
            second.sessions.create("Mine")
        assert "Another Workbench is using this data folder" in str(refused.value)
        assert "Close the other Workbench" in refused.value.advice
    finally:
        second.close()
    assert [s.title for s in owner.sessions.list()] == ["Owned"]


def test_the_read_only_window_shows_sessions_and_refuses_writes_saying_why(
    second, owner, qtbot
) -> None:
    window = open_window(second, qtbot)
    assert window.windowTitle() == "Owned (read-only) — Workbench"
    # The banner wraps: it never makes the window wider than a 1024-pixel screen.
    assert window.minimumSizeHint().width() <= 1024 and window.minimumWidth() <= 1024
    assert [m.role for m in window.chat.path] == [Role.USER, Role.ASSISTANT]
    composer = window.chat.composer
    assert composer.banner.isVisible() and "Read-only" in composer.banner.text()
    assert not composer.send_button.isEnabled()

    type_message(qtbot, window, "Can I write?")
    press_send(qtbot, window)
    assert composer.problem.isVisible() and "Not sent" in composer.problem.text()
    assert composer.text() == "Can I write?"  # the draft is kept

    sessions = window.panel("sessions")
    assert not sessions.new_button.isEnabled() and not sessions.delete_button.isEnabled()
    window.new_session_action.trigger()  # File ▸ New Session
    assert window.statusBar().currentMessage() == "No new session: this window is read-only."
    window.chat.delete(window.chat.path[-1].id)  # the card's Delete
    assert window.statusBar().currentMessage().startswith("Not deleted. Read-only")

    # The owner's answer is still its own: streaming, with what it wrote.
    (session,) = owner.sessions.list()
    answer = owner.conversation.visible(session.id)[-1]
    assert answer.status is MessageStatus.STREAMING
    assert owner.conversation.streamed_text(answer.id) == "Yes, still "
    assert len(owner.sessions.list()) == 1
