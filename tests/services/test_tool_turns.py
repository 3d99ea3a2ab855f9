"""A tool conversation as stored and as sent: calls on answers, results as tool messages, saved
tool sets, and the turns a request carries (calls left unanswered are not sent)."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from workbench.core.sessions import MessageStatus, Role
from workbench.core.tools import FunctionTool, ToolCall, ToolSet
from workbench.services.chat_service import history_turns, tool_rounds
from workbench.services.store import Store
from workbench.services.store.migrations import migrate

CALLS = (ToolCall("call_1", "now", '{"city": "Oslo"}'), ToolCall("call_2", "now", "{}"))


def _conversation(store: Store) -> list:
    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "Weather?", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    store.conversation.settle(answer, "", MessageStatus.COMPLETE, None, CALLS)
    first = store.conversation.add(session, Role.TOOL, "sunny", answer, tool_call_id="call_1")
    second = store.conversation.add(session, Role.TOOL, "rain", first, tool_call_id="call_2")
    store.conversation.add(session, Role.ASSISTANT, "Sunny, then rain.", second)
    return store.conversation.visible(session)


def test_calls_and_results_are_kept(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    messages = _conversation(store)
    assert [m.role for m in messages] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.TOOL,
        Role.ASSISTANT,
    ]
    assert messages[1].tool_calls == CALLS
    assert [m.tool_call_id for m in messages[2:4]] == ["call_1", "call_2"]
    # Reopened, the same.
    store.close()
    again = Store.open(tmp_path / "w.db")
    assert again.conversation.visible(messages[0].session_id) == messages


def test_the_turns_sent_carry_calls_with_their_results(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    messages = _conversation(store)
    turns = history_turns(messages[:4])
    assert [t.role for t in turns] == ["user", "assistant", "tool", "tool"]
    assert turns[1].tool_calls == CALLS
    assert [(t.tool_call_id, t.content) for t in turns[2:]] == [
        ("call_1", "sunny"),
        ("call_2", "rain"),
    ]
    assert tool_rounds(messages[:4]) == 1
    assert tool_rounds(messages[:1]) == 0


def test_calls_never_answered_are_not_sent(tmp_path: Path) -> None:
    # The user asked something else instead: the API refuses calls with no results after them.
    store = Store.open(tmp_path / "w.db")
    messages = _conversation(store)
    session = messages[0].session_id
    store.conversation.add(session, Role.USER, "Never mind.", messages[1].id)
    path = [*messages[:2], store.conversation.visible(session)[-1]]
    assert [(t.role, t.tool_calls) for t in history_turns(path)] == [
        ("user", ()),
        ("user", ()),
    ]


def test_tool_sets_are_saved_by_name_for_every_session(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    weather = ToolSet("weather", (FunctionTool("now"),))
    store.tool_sets.save(weather)
    store.tool_sets.save(ToolSet("Alpha", ()))
    renamed = ToolSet("weather", (FunctionTool("now"), FunctionTool("later")))
    store.tool_sets.save(renamed)  # same name: replaced
    assert store.tool_sets.names() == ["Alpha", "weather"]
    store.close()
    again = Store.open(tmp_path / "w.db")
    assert again.tool_sets.get("weather") == renamed
    again.tool_sets.delete("Alpha")
    assert again.tool_sets.names() == ["weather"] and again.tool_sets.get("Alpha") is None


def test_a_database_from_before_tools_opens_with_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    old = sqlite_utils.Database(path)
    migrate(old, upto=8)
    old["sessions"].insert({"id": 1, "title": "t", "created_at": "x", "last_used_at": "x"})
    old["messages"].insert(
        {"session_id": 1, "role": "user", "content": "hi", "status": "complete", "created_at": "x"}
    )
    old.close()
    [message] = Store.open(path).conversation.visible(1)
    assert message.content == "hi" and message.tool_calls == () and message.tool_call_id is None


def test_the_wire_body_of_a_tool_round_is_what_the_api_takes(tmp_path: Path) -> None:
    from tests.support.openapi import assert_valid
    from workbench.core.runs import RunKind, RunParams, RunRequest
    from workbench.services.adapters.chat_completion import chat_body

    store = Store.open(tmp_path / "w.db")
    messages = _conversation(store)
    tools = ToolSet("t", (FunctionTool("now"),), choice="required")
    params = RunParams(model="gpt-4o", tools=tools.to_json())
    request = RunRequest(
        RunKind.CHAT_COMPLETION,
        "e",
        params,
        tuple(history_turns(messages[:4])),
        tool_round=tool_rounds(messages[:4]),
    )
    body = chat_body(request)
    assert_valid("CreateChatCompletionRequest", body)
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [c.wire() for c in CALLS],
    }
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    assert body["tool_choice"] == "auto"  # forced in the first round only
