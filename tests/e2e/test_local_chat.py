"""Chat completions against the real embedded server and model, through the openai SDK."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import jsonschema
import openai
import pytest

from tests.e2e.conftest import RunningServer
from tests.support.openapi import assert_valid

MODEL = "smollm2-135m-instruct"
HELLO = [{"role": "user", "content": "Say hello and introduce yourself."}]
STORY = [{"role": "user", "content": "Write a long story about a dragon."}]
WEATHER_PARAMS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 30},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city",
            "parameters": WEATHER_PARAMS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Get the local time in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    },
]


@pytest.fixture(scope="module")
def client(local_server: RunningServer) -> openai.OpenAI:
    return local_server.client(timeout=60)


def create(client: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    """A non-streamed completion as the raw JSON the server sent, checked against the spec."""
    kwargs.setdefault("model", MODEL)
    raw = client.chat.completions.with_raw_response.create(**kwargs)
    body = raw.http_response.json()
    assert_valid("CreateChatCompletionResponse", body)
    assert body["id"].startswith("chatcmpl-")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    return body


def stream(client: openai.OpenAI, **kwargs: Any) -> list[dict[str, Any]]:
    """Every chunk of a streamed completion as sent (unset fields left out), each checked."""
    kwargs.setdefault("model", MODEL)
    chunks = [c.to_dict() for c in client.chat.completions.create(stream=True, **kwargs)]
    for chunk in chunks:
        assert_valid("CreateChatCompletionStreamResponse", chunk)
        assert chunk["id"] == chunks[0]["id"]
    return chunks


def content_of(chunks: list[dict[str, Any]], index: int = 0) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in chunks
        if c["choices"] and c["choices"][0]["index"] == index
    )


def finish_of(chunks: list[dict[str, Any]], index: int = 0) -> list[str]:
    return [
        c["choices"][0]["finish_reason"]
        for c in chunks
        if c["choices"] and c["choices"][0]["index"] == index and c["choices"][0]["finish_reason"]
    ]


def collect_tool_calls(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for delta in (
            chunk["choices"][0]["delta"].get("tool_calls") or [] if chunk["choices"] else []
        ):
            call = calls.setdefault(delta["index"], {"id": None, "name": "", "arguments": ""})
            call["id"] = delta.get("id") or call["id"]
            call["name"] += delta.get("function", {}).get("name") or ""
            call["arguments"] += delta.get("function", {}).get("arguments") or ""
    return [calls[i] for i in sorted(calls)]


def assert_weather_call(name: str, arguments: str) -> None:
    assert name == "get_weather"
    jsonschema.validate(json.loads(arguments), WEATHER_PARAMS)


def api_error(client: openai.OpenAI, **kwargs: Any) -> openai.APIStatusError:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", HELLO)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(max_tokens=5, **kwargs)
    return caught.value


# --------------------------------------------------------------------------- plain chat


def test_streamed_chat_joins_into_the_answer_and_reports_usage(client: openai.OpenAI) -> None:
    chunks = stream(
        client, messages=HELLO, max_tokens=24, temperature=0, stream_options={"include_usage": True}
    )
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert content_of(chunks).strip()
    assert finish_of(chunks) == ["length"]
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == 24
    assert all(c["usage"] is None for c in chunks[:-1])
    # The same request without streaming gives the same greedy answer.
    body = create(client, messages=HELLO, max_tokens=24, temperature=0)
    assert body["choices"][0]["message"]["content"] == content_of(chunks)


def test_non_streamed_chat(client: openai.OpenAI) -> None:
    body = create(client, messages=HELLO, max_tokens=16, temperature=0)
    (choice,) = body["choices"]
    assert body["object"] == "chat.completion" and body["model"] == MODEL
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"].strip()
    assert choice["logprobs"] is None
    assert choice["finish_reason"] in ("stop", "length")
    assert body["usage"]["completion_tokens"] <= 16


def test_logprobs_are_real_and_consistent(client: openai.OpenAI) -> None:
    body = create(
        client, messages=HELLO, max_tokens=20, temperature=0, logprobs=True, top_logprobs=5
    )
    choice = body["choices"][0]
    tokens = choice["logprobs"]["content"]
    assert len(tokens) == body["usage"]["completion_tokens"]
    assert "".join(t["token"] for t in tokens) == choice["message"]["content"]
    for token in tokens:
        top = token["top_logprobs"]
        assert token["logprob"] <= 0
        assert len(top) == 5
        assert [t["logprob"] for t in top] == sorted((t["logprob"] for t in top), reverse=True)
        assert sum(math.exp(t["logprob"]) for t in top) <= 1 + 1e-6
        # Greedy: the sampled token is the most likely one.
        assert token["bytes"] == top[0]["bytes"]
        assert token["logprob"] == pytest.approx(top[0]["logprob"])


def test_streamed_logprobs_match_each_delta(client: openai.OpenAI) -> None:
    chunks = stream(
        client, messages=HELLO, max_tokens=12, temperature=0, logprobs=True, top_logprobs=2
    )
    for chunk in chunks[1:]:
        choice = chunk["choices"][0]
        if choice["finish_reason"] is None:
            pieces = [t["token"] for t in choice["logprobs"]["content"]]
            assert "".join(pieces) == choice["delta"]["content"]


# --------------------------------------------------------------------------- structured output


def test_strict_json_schema_output_validates(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 24},
            "age": {"type": "integer"},
            "pets": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3},
        },
        "required": ["name", "age", "pets"],
        "additionalProperties": False,
    }
    body = create(
        client,
        messages=[{"role": "user", "content": "Describe a person."}],
        temperature=0,
        max_tokens=80,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "strict": True, "schema": schema},
        },
    )
    assert body["choices"][0]["finish_reason"] == "stop"
    jsonschema.validate(json.loads(body["choices"][0]["message"]["content"]), schema)


def test_json_object_output_parses(client: openai.OpenAI) -> None:
    question = "Reply with a JSON object with two keys: name and age."
    body = create(
        client,
        messages=[{"role": "user", "content": question}],
        temperature=0,
        max_tokens=100,
        response_format={"type": "json_object"},
    )
    assert body["choices"][0]["finish_reason"] == "stop"
    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)


# --------------------------------------------------------------------------- tools

WEATHER_QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_required_tool_call(client: openai.OpenAI) -> None:
    body = create(
        client,
        messages=WEATHER_QUESTION,
        tools=TOOLS,
        tool_choice="required",
        temperature=0,
        max_tokens=60,
        parallel_tool_calls=False,
    )
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    if call["function"]["name"] == "get_time":
        pytest.skip("the model chose the other allowed function")
    assert_weather_call(call["function"]["name"], call["function"]["arguments"])


@pytest.mark.parametrize(
    "tool_choice", ["required", {"type": "function", "function": {"name": "get_weather"}}]
)
def test_tool_call_streamed(client: openai.OpenAI, tool_choice: Any) -> None:
    chunks = stream(
        client,
        messages=WEATHER_QUESTION,
        tools=TOOLS,
        tool_choice=tool_choice,
        temperature=0,
        max_tokens=60,
    )
    assert finish_of(chunks) == ["tool_calls"]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    calls = collect_tool_calls(chunks)
    assert calls and all(c["id"].startswith("call_") for c in calls)
    for call in calls:
        if call["name"] == "get_time":
            assert tool_choice == "required" and "city" in json.loads(call["arguments"])
        else:
            assert_weather_call(call["name"], call["arguments"])
    # The first delta of a call names it; later ones only add arguments.
    named = [
        d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls") or [] if "id" in d
    ]
    assert [d["function"]["name"] for d in named] == [c["name"] for c in calls]


def test_tool_choice_none_answers_in_text(client: openai.OpenAI) -> None:
    body = create(
        client,
        messages=WEATHER_QUESTION,
        tools=TOOLS,
        tool_choice="none",
        temperature=0,
        max_tokens=20,
    )
    message = body["choices"][0]["message"]
    assert message["content"] and not message.get("tool_calls")


def test_tool_choice_auto_gives_text_or_a_valid_call(client: openai.OpenAI) -> None:
    body = create(client, messages=WEATHER_QUESTION, tools=TOOLS, temperature=0, max_tokens=40)
    choice = body["choices"][0]
    if choice["message"].get("tool_calls"):
        assert choice["finish_reason"] == "tool_calls"
        for call in choice["message"]["tool_calls"]:
            json.loads(call["function"]["arguments"])
    else:
        assert choice["message"]["content"]


def test_tool_results_in_the_history(client: openai.OpenAI) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    messages = [
        *WEATHER_QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 24 degrees"},
    ]
    body = create(
        client, messages=messages, tools=TOOLS, tool_choice="none", temperature=0, max_tokens=20
    )
    assert body["choices"][0]["message"]["content"]


# --------------------------------------------------------------------------- limits and options


def test_stop_sequence_is_left_out(client: openai.OpenAI) -> None:
    full = create(client, messages=STORY, max_tokens=40, temperature=0)
    text = full["choices"][0]["message"]["content"]
    words = text.split(" ")
    stop = " " + words[len(words) // 2]
    expected = text[: text.index(stop)]
    body = create(client, messages=STORY, max_tokens=40, temperature=0, stop=[stop, "zzzz"])
    assert body["choices"][0]["message"]["content"] == expected
    assert body["choices"][0]["finish_reason"] == "stop"
    chunks = stream(client, messages=STORY, max_tokens=40, temperature=0, stop=stop)
    assert content_of(chunks) == expected and finish_of(chunks) == ["stop"]


def test_max_tokens_finishes_with_length(client: openai.OpenAI) -> None:
    body = create(client, messages=STORY, max_completion_tokens=5, temperature=0)
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5


def test_sampling_options_and_harmless_parameters(client: openai.OpenAI) -> None:
    sampling = {
        "max_tokens": 12,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 42,
        "presence_penalty": 1.5,
        "frequency_penalty": 1.0,
        "logit_bias": {"2": -100},  # <|im_end|>: never end early
    }
    harmless = {
        "user": "someone",
        "metadata": {"k": "v"},
        "store": False,
        "service_tier": "auto",
        "parallel_tool_calls": True,
        "stream_options": {"include_usage": True},
    }
    body = create(client, messages=STORY, **sampling, **harmless)
    assert body["choices"][0]["finish_reason"] == "length"
    again = create(client, messages=STORY, **sampling)
    # A seed makes sampling reproducible.
    assert again["choices"][0]["message"] == body["choices"][0]["message"]


def test_n_choices(client: openai.OpenAI) -> None:
    body = create(client, messages=STORY, max_tokens=8, n=2, seed=7, temperature=1.0)
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert all(c["message"]["content"] for c in body["choices"])
    chunks = stream(client, messages=STORY, max_tokens=8, n=2, seed=7, temperature=1.0)
    assert [content_of(chunks, i) for i in (0, 1)] == [
        c["message"]["content"] for c in body["choices"]
    ]


def test_continuation_of_a_prefix(client: openai.OpenAI) -> None:
    full = create(client, messages=STORY, max_tokens=24, temperature=0, logprobs=True)
    tokens = [t["token"] for t in full["choices"][0]["logprobs"]["content"]]
    prefix = "".join(tokens[:8])
    body = create(
        client,
        messages=[*STORY, {"role": "assistant", "content": prefix, "prefix": True}],
        max_tokens=16,
        temperature=0,
    )
    continuation = body["choices"][0]["message"]["content"]
    assert not continuation.startswith(prefix)
    assert prefix + continuation == full["choices"][0]["message"]["content"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"temperature": 5}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"logprobs": True, "top_logprobs": 30}, "top_logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"n": 9}, "n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "bad",
                        "schema": {"type": "object", "properties": {"x": {"type": 7}}},
                    },
                }
            },
            "response_format.json_schema.schema",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is this?"},
                            {
                                "type": "image_url",
                                "image_url": {"url": "https://example.com/a.png"},
                            },
                        ],
                    }
                ]
            },
            "messages[0].content",
        ),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"extra_body": {"reasoning_effort": "high"}}, "reasoning_effort"),
        ({"extra_body": {"frobnicate": 1}}, "frobnicate"),
    ],
)
def test_bad_fields_are_named(client: openai.OpenAI, kwargs: dict[str, Any], param: str) -> None:
    error = api_error(client, **kwargs)
    assert error.status_code == 400
    assert error.body["param"] == param  # type: ignore[index]
    assert param in error.message


def test_too_long_a_prompt_is_refused(client: openai.OpenAI) -> None:
    error = api_error(client, messages=[{"role": "user", "content": "dragon " * 6000}])
    assert error.status_code == 400 and error.code == "context_length_exceeded"


def test_developer_role_and_text_parts(client: openai.OpenAI) -> None:
    messages = [
        {"role": "developer", "content": [{"type": "text", "text": "Answer in one word."}]},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Name a "}, {"type": "text", "text": "colour."}],
        },
    ]
    assert create(client, messages=messages, max_tokens=5, temperature=0)["choices"][0]


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    error = api_error(client, model="gpt-9")
    assert isinstance(error, openai.NotFoundError)
    assert error.code == "model_not_found"


# --------------------------------------------------------------------------- cancellation


def test_closed_stream_stops_generation(client: openai.OpenAI) -> None:
    endless = client.chat.completions.create(
        model=MODEL, messages=STORY, stream=True, max_tokens=3000, temperature=0.8, seed=1
    )
    for received, _chunk in enumerate(endless, start=1):
        if received == 3:
            break
    endless.close()
    started = time.monotonic()
    body = create(client, messages=HELLO, max_tokens=5, temperature=0)
    # 3000 tokens would take over 20 s; the lock must come back as soon as the loop sees cancel.
    assert time.monotonic() - started < 5
    assert body["choices"][0]["message"]["content"]
