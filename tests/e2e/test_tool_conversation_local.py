"""A tool conversation on the built-in model: its grammar forces the first call, the saved mock
result answers it, and the conversation goes on by itself to the next round."""

from __future__ import annotations

import json

import pytest

from workbench.core.sessions import MessageStatus, Role
from workbench.core.tools import FunctionTool, MockResult, ToolSet, call_problems
from workbench.ui.panels.chat import ChatPanel

WAIT_MS = 180_000
WEATHER = FunctionTool(
    "get_weather",
    "The current weather in a city",
    json.dumps(
        {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 40},
                "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "units"],
            "additionalProperties": False,
        }
    ),
)
TOOLS = ToolSet(
    "weather",
    (WEATHER,),
    choice="required",
    mocks=(MockResult("get_weather", '{"temperature": 18, "sky": "sunny"}'),),
    max_rounds=2,
)


@pytest.fixture
def panel(local_chat) -> ChatPanel:
    return local_chat(max_tokens=60)


def test_two_rounds_with_a_mock_result(panel, ctx, qtbot) -> None:
    assert ctx.endpoints.active.is_local
    ctx.bus.tools_chosen.emit(TOOLS.to_json())
    panel.composer.editor.setPlainText("What is the weather in Paris?")
    panel.composer.send_requested.emit(panel.composer.editor.toPlainText())

    def second_round_over() -> bool:
        answers = [m for m in panel.path if m.role is Role.ASSISTANT]
        return len(answers) == 2 and answers[1].status is not MessageStatus.STREAMING

    qtbot.waitUntil(second_round_over, timeout=WAIT_MS)
    first, tool, second = panel.path[1:]
    # Round 1: the forced call, valid against its schema, answered with the saved mock.
    assert first.status is MessageStatus.COMPLETE
    (call,) = first.tool_calls
    assert call.name == "get_weather" and call_problems(call, TOOLS) == []
    assert tool.role is Role.TOOL and tool.tool_call_id == call.id
    assert tool.content == '{"temperature": 18, "sky": "sunny"}'
    # Round 2: sent with the call and its result, tool_choice back to auto.
    assert second.status is MessageStatus.COMPLETE
    request = ctx.store.runs.request(second.run_id)
    assert request["tool_choice"] == "auto"
    roles = [m["role"] for m in request["messages"]]
    assert roles == ["user", "assistant", "tool"]
    assert request["messages"][1]["tool_calls"][0]["id"] == call.id
    # Free to answer in text (temperature 0), it does, with what the mock said.
    assert second.content.strip() and not second.tool_calls, second
    assert "sunny" in second.content.lower()
    for round_ in (first, second):
        record = ctx.store.runs.get(round_.run_id)
        assert record is not None and record.usage.completion_tokens > 0
