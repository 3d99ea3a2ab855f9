"""Tool sets as data: what the API would refuse in them, what they add to a request, which saved
mock result answers a call, and the checks on a call's arguments."""

from __future__ import annotations

import json

from tests.support.openapi import assert_valid
from workbench.core.tools import (
    EMPTY_PARAMETERS,
    FunctionTool,
    MockResult,
    ToolCall,
    ToolSet,
    call_problems,
    calls_from_json,
    calls_to_json,
    function_problems,
    mock_for,
    tools_body,
    toolset_problems,
)

CITY = json.dumps(
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
)
FORECAST = FunctionTool("forecast", "Weather to come", CITY)


def test_a_name_the_api_refuses_is_said_at_the_name() -> None:
    [problem] = function_problems(FunctionTool("get weather!", parameters=CITY))
    assert problem.where == "name" and "1 to 64 letters" in problem.message
    assert function_problems(FunctionTool("a" * 64, parameters=CITY)) == []
    assert function_problems(FunctionTool("a" * 65, parameters=CITY))[0].where == "name"


def test_parameters_not_json_not_a_schema_or_not_strict() -> None:
    broken = function_problems(FunctionTool("f", parameters='{"type": "object",'))
    assert [p.where for p in broken] == ["parameters"] and "not valid JSON" in broken[0].message
    not_object = function_problems(FunctionTool("f", parameters='{"type": "string"}'))
    assert "type object" in not_object[0].message
    not_schema = function_problems(
        FunctionTool("f", parameters='{"type": "object", "required": 3}')
    )
    assert not_schema[0].message.startswith("Not a JSON Schema")
    loose = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})
    said = [p.message for p in function_problems(FunctionTool("f", parameters=loose))]
    assert any("additionalProperties" in m for m in said), said
    # The same parameters are fine with strict off: the lint is strict mode's.
    assert function_problems(FunctionTool("f", parameters=loose, strict=False)) == []
    assert function_problems(FunctionTool("f")) == []  # the empty parameters a new one gets


def test_a_set_names_duplicates_and_a_choice_that_is_not_defined() -> None:
    twice = ToolSet("t", (FORECAST, FORECAST))
    assert [p.where for p in toolset_problems(twice)] == ["functions"]
    unknown = ToolSet("t", (FORECAST,), choice="nowcast")
    assert [p.where for p in toolset_problems(unknown)] == ["tool_choice"]
    assert toolset_problems(ToolSet("t", (FORECAST,), choice="forecast")) == []
    assert toolset_problems(ToolSet("t", (), choice="required"))[0].where == "tool_choice"


def test_the_body_offers_the_functions_and_forces_only_the_first_round() -> None:
    tools = ToolSet("t", (FORECAST,), choice="forecast", parallel=False)
    first = tools_body(tools)
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "forecast",
                "description": "Weather to come",
                "parameters": json.loads(CITY),
                "strict": True,
            },
        }
    ]
    assert first["tool_choice"] == {"type": "function", "function": {"name": "forecast"}}
    assert first["parallel_tool_calls"] is False
    assert tools_body(tools, first_round=False)["tool_choice"] == "auto"
    never = ToolSet("t", (FORECAST,), choice="none")
    assert tools_body(never, first_round=False)["tool_choice"] == "none"
    assert tools_body(ToolSet("t")) == {}  # no functions: nothing about tools is sent
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **first}
    assert_valid("CreateChatCompletionRequest", body)


def test_the_mock_that_matches_most_arguments_answers() -> None:
    tools = ToolSet(
        "t",
        (FORECAST,),
        mocks=(
            MockResult("forecast", "any city"),
            MockResult("forecast", "Oslo", '{"city": "Oslo"}'),
            MockResult("forecast", "Oslo, 3 days", '{"city": "Oslo", "days": 3}'),
            MockResult("other", "not this function's"),
            MockResult("forecast", "never", "{not json"),
        ),
    )

    def answer(arguments: dict) -> str | None:
        return mock_for(ToolCall("c1", "forecast", json.dumps(arguments)), tools)

    assert answer({"city": "Oslo", "days": 3}) == "Oslo, 3 days"
    assert answer({"city": "Oslo", "days": 5}) == "Oslo"
    assert answer({"city": "Rome", "days": 1}) == "any city"
    assert mock_for(ToolCall("c2", "other", "{}"), tools) == "not this function's"
    assert mock_for(ToolCall("c3", "missing", "{}"), tools) is None
    assert mock_for(ToolCall("c4", "forecast", "{cut"), tools) is None


def test_arguments_checked_against_the_functions_parameters() -> None:
    tools = ToolSet("t", (FORECAST,))
    assert call_problems(ToolCall("c", "forecast", '{"city": "Oslo", "days": 2}'), tools) == []
    wrong = call_problems(ToolCall("c", "forecast", '{"city": "Oslo", "days": "two"}'), tools)
    assert wrong == ["$.days: 'two' is not of type 'integer'"]
    cut = call_problems(ToolCall("c", "forecast", '{"city": "Os'), tools)
    assert cut[0].startswith("The arguments are not JSON: line 1")
    unknown = call_problems(ToolCall("c", "nowcast", "{}"), tools)
    assert unknown == ["The model called 'nowcast', which is not among the functions."]


def test_sets_and_calls_round_trip_as_stored() -> None:
    tools = ToolSet(
        "weather",
        (FORECAST, FunctionTool("now", strict=False)),
        choice="required",
        parallel=False,
        mocks=(MockResult("now", "sunny", '{"city": "Oslo"}'),),
        auto_answer=False,
        max_rounds=3,
    )
    assert ToolSet.from_json(tools.to_json()) == tools
    assert ToolSet.from_json("not json") is None and ToolSet.from_json("") is None
    assert ToolSet.from_json('{"functions": [{"nom": 1}]}') is None
    assert tools.function("now") == FunctionTool("now", "", EMPTY_PARAMETERS, False)
    calls = (ToolCall("a", "now", "{}"), ToolCall("b", "forecast", '{"city": "Oslo"}'))
    assert calls_from_json(calls_to_json(calls)) == calls
    assert calls_from_json("[{") == () and calls_from_json(None) == ()
