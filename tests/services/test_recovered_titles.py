"""A session cut off by a crash is named after its first question, as a finished one is."""

from __future__ import annotations

from pathlib import Path

from workbench.core.sessions import DEFAULT_SESSION_TITLE, MessageStatus, Role
from workbench.services.store import Store


def test_recovery_titles_an_untitled_session_from_its_first_question(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    untitled = store.sessions.create()
    named = store.sessions.create("My own name")
    for session in (untitled, named):
        question = store.conversation.add(session, Role.USER, "How do kettles boil?", None)
        answer = store.conversation.add(
            session, Role.ASSISTANT, "", question, MessageStatus.STREAMING
        )
        store.conversation.append_chunk(answer, "They heat")
    store.close()

    reopened = Store.open(tmp_path / "w.db")
    assert reopened.recovered == 2
    assert reopened.sessions.get(untitled).title == "How do kettles boil?"
    assert reopened.sessions.get(named).title == "My own name"
    assert DEFAULT_SESSION_TITLE not in {s.title for s in reopened.sessions.list()}
    reopened.close()
