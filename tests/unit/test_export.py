"""Exported conversations read well as Markdown, load back as JSON, and never carry a key."""

from __future__ import annotations

import json

import pytest

from workbench.core.export import EXPORT_FORMAT, EXPORT_VERSION, auto_title, to_json, to_markdown
from workbench.core.sessions import DEFAULT_SESSION_TITLE, Message, MessageStatus, Role


def _message(
    id: int,
    role: Role,
    content: str,
    status: MessageStatus = MessageStatus.COMPLETE,
    run_id: int | None = None,
) -> Message:
    return Message(
        id=id,
        session_id=1,
        parent_id=id - 1 if id > 1 else None,
        role=role,
        content=content,
        status=status,
        created_at=f"2025-03-0{id}T10:00:00.000+00:00",
        run_id=run_id,
    )


BRANCH = [
    _message(1, Role.USER, "Write a **haiku** about SQLite."),
    _message(2, Role.ASSISTANT, "Rows in quiet files\n\n```sql\nSELECT 1;\n```", run_id=7),
    _message(3, Role.USER, "Another, please."),
    _message(4, Role.ASSISTANT, "Pages turn to", MessageStatus.STOPPED),
]
RUNS = {
    7: {
        "model": "gpt-4o-mini",
        "endpoint": "OpenAI",
        "usage": {"prompt_tokens": 12, "completion_tokens": 40},
        "api_key": "sk-live-abcdefghijklmnopqrstuvwxyz",
        "request": {
            "headers": {"Authorization": "Bearer sk-abc", "X-Title": "Workbench"},
            "max_tokens": 100,
        },
    }
}


def test_markdown_has_title_system_prompt_and_each_turn() -> None:
    text = to_markdown("SQLite poems", "Be brief.\n\nRhyme if you can.", BRANCH, RUNS)
    assert text.startswith("# SQLite poems\n\n> Be brief.\n>\n> Rhyme if you can.\n")
    assert text.count("### You") == 2
    assert text.count("### Assistant") == 2
    # Content goes in as written: it is already Markdown.
    assert "Write a **haiku** about SQLite." in text
    assert "```sql\nSELECT 1;\n```" in text
    assert "Pages turn to\n\n_(stopped)_" in text
    assert "gpt-4o-mini · OpenAI · 12 in / 40 out tokens" in text
    assert (
        text.index("Write a") < text.index("Rows in") < text.index("Another") < text.index("Pages")
    )


def test_markdown_without_system_prompt_or_runs() -> None:
    text = to_markdown("", "  ", BRANCH[:1])
    assert text == f"# {DEFAULT_SESSION_TITLE}\n\n### You\n\nWrite a **haiku** about SQLite.\n"


@pytest.mark.parametrize(
    ("status", "note"),
    [
        (MessageStatus.INTERRUPTED, "_(interrupted)_"),
        (MessageStatus.ERROR, "_(error)_"),
        (MessageStatus.STREAMING, "_(unfinished)_"),
    ],
)
def test_markdown_marks_unfinished_answers(status: MessageStatus, note: str) -> None:
    text = to_markdown("t", "", [_message(1, Role.ASSISTANT, "Half an", status)])
    assert text.rstrip().endswith(note)


def test_json_is_the_documented_versioned_structure() -> None:
    text = to_json("SQLite poems", "Be brief.", BRANCH, RUNS, exported_at="2025-03-09T00:00Z")
    data = json.loads(text)
    assert data["format"] == EXPORT_FORMAT == "workbench.session"
    assert data["version"] == EXPORT_VERSION == 1
    assert data["title"] == "SQLite poems"
    assert data["system_prompt"] == "Be brief."
    assert data["exported_at"] == "2025-03-09T00:00Z"
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "user", "assistant"]
    assert data["messages"][3] == {
        "id": 4,
        "parent_id": 3,
        "role": "assistant",
        "content": "Pages turn to",
        "status": "stopped",
        "created_at": "2025-03-04T10:00:00.000+00:00",
        "run": None,
    }
    run = data["messages"][1]["run"]
    assert run["model"] == "gpt-4o-mini"
    assert run["usage"] == {"prompt_tokens": 12, "completion_tokens": 40}
    assert run["request"]["max_tokens"] == 100


def test_json_never_carries_a_key() -> None:
    text = to_json("t", "", BRANCH, RUNS)
    assert "sk-" not in text
    assert "api_key" not in text
    assert "Authorization" not in text
    assert json.loads(text)["messages"][1]["run"]["request"]["headers"] == {"X-Title": "Workbench"}
    pairs = {7: {"headers": [["Authorization", "Bearer sk-abcdef"]], "key_ref": "openai-1"}}
    assert "sk-" not in to_json("t", "", BRANCH, pairs)
    assert "openai-1" not in to_json("t", "", BRANCH, pairs)


def test_json_stamps_the_export_time_when_not_given() -> None:
    data = json.loads(to_json("t", "", []))
    assert data["exported_at"].startswith("20")
    assert data["messages"] == []


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("How do I vacuum an SQLite database?", "How do I vacuum an SQLite database?"),
        ("\n\n  # Fix   my **regex**\nmore text", "Fix my regex"),
        ("> quoted `code` and [a link](http://x.y)", "quoted code and a link"),
        ("- [ ] a task item", "a task item"),
        ("```python\nprint('hi')\n```\nWhy does this print hi?", "Why does this print hi?"),
        ("```\nSELECT * FROM t;\n```", "SELECT * FROM t;"),
        ("keep snake_case and 2*3 intact", "keep snake_case and 2*3 intact"),
        ("", DEFAULT_SESSION_TITLE),
        ("  \n ** ** \n", DEFAULT_SESSION_TITLE),
    ],
)
def test_auto_title_takes_the_first_real_line(message: str, title: str) -> None:
    assert auto_title(message) == title


def test_auto_title_cuts_long_lines_at_a_word_boundary() -> None:
    title = auto_title(
        "Please explain the difference between optimistic and pessimistic locking in detail"
    )
    assert title == "Please explain the difference between…"
    assert len(title) <= 48
    assert auto_title("a" * 100, max_chars=10) == "a" * 9 + "…"
    assert auto_title("Explain this, please now", max_chars=16) == "Explain this…"


def test_a_tool_conversation_exports_its_calls_and_results() -> None:
    from dataclasses import replace

    from workbench.core.tools import ToolCall

    call = ToolCall("call_9", "get_weather", '{"city": "Oslo"}')
    branch = [
        _message(1, Role.USER, "Weather in Oslo?"),
        replace(_message(2, Role.ASSISTANT, ""), tool_calls=(call,)),
        replace(_message(3, Role.TOOL, '{"sky": "clear"}'), tool_call_id="call_9"),
        _message(4, Role.ASSISTANT, "Clear skies."),
    ]
    markdown = to_markdown("Oslo", "", branch)
    assert (
        '**Tool call** `get_weather`\n```json\n{\n  "arguments": {\n    "city": "Oslo"' in markdown
    )
    assert '### Tool\n\n{"sky": "clear"}' in markdown
    messages = json.loads(to_json("Oslo", "", branch))["messages"]
    assert messages[1]["tool_calls"] == [call.wire()]
    assert messages[2]["tool_call_id"] == "call_9"
    assert "tool_calls" not in messages[0] and "tool_call_id" not in messages[3]
