"""Tool-call grammar and the streaming parser, without a model."""

from __future__ import annotations

import json

import pytest

from workbench.local_server.chat.request import parse
from workbench.local_server.chat.tools import ToolCallParser, call_grammar, parse_tools
from workbench.local_server.errors import ApiError

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def feed_all(text: str, step: int) -> tuple[ToolCallParser, list[tuple[int, str | None, str]]]:
    parser = ToolCallParser()
    events = []
    for i in range(0, len(text), step):
        events += parser.feed(text[i : i + step])
    return parser, events


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_single_call_streams_name_then_exact_arguments(step: int) -> None:
    text = '{"name": "get_weather", "arguments": {"city": "Pa\\"ris", "n": [1, {"a": 2}]}} '
    parser, events = feed_all(text, step)
    (call,) = parser.calls
    assert call.name == "get_weather" and call.complete
    assert call.arguments == '{"city": "Pa\\"ris", "n": [1, {"a": 2}]}'
    assert events[0][1] == "get_weather"
    assert "".join(e[2] for e in events) == call.arguments
    json.loads(call.arguments)


def test_parallel_calls_in_an_array() -> None:
    text = '[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": 1}}]'
    parser, events = feed_all(text, 2)
    assert [(c.name, c.arguments) for c in parser.calls] == [("a", "{}"), ("b", '{"x": 1}')]
    assert [e[0] for e in events if e[1]] == [0, 1]
    assert parser.calls[0].id != parser.calls[1].id


def test_grammar_covers_allowed_tools_only() -> None:
    other = {"type": "function", "function": {"name": "other"}}
    body = {
        "tools": [TOOL, other],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    setup = parse_tools(body)
    assert setup is not None and setup.names == ["get_weather"] and setup.choice == "required"
    grammar = call_grammar(setup)
    assert "get_weather" in grammar and "other" not in grammar
    assert "root ::=" in grammar


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        (
            {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "bad name"}}]},
            "tools[0].function.name",
        ),
        (
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "f",
                            "parameters": {"type": "object", "properties": {"a": {"type": 3}}},
                        },
                    }
                ]
            },
            "tools[0].function.parameters",
        ),
    ],
)
def test_bad_tools_name_the_field(body: dict, param: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse({"model": "m", "messages": [{"role": "user", "content": "hi"}], **body}, "m", 100)
    assert caught.value.param == param


def test_prefix_message_becomes_the_continuation() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Once", "prefix": True},
        ],
    }
    request = parse(body, "m", 100)
    assert request.prefix == "Once" and len(request.messages) == 1
