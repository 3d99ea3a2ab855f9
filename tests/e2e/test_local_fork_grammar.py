"""Forking a structured answer on the built-in model: the continuation carries on the same JSON
document after the fork's prefix, and a prefix the format cannot continue is refused plainly."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import openai
import pytest

from tests.e2e.conftest import RunningServer
from tests.support.openapi import assert_valid
from workbench.local_server.model_files import DEFAULT_CHAT_MODEL_ID

pytestmark = pytest.mark.timeout(300)

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 30},
        "country": {"type": "string", "maxLength": 30},
    },
    "required": ["city", "country"],
    "additionalProperties": False,
}
CITY_FORMAT = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA}}
QUESTION = [{"role": "user", "content": "Name a city in France and its country, as JSON."}]


@pytest.fixture(scope="module")
def client(local_server: RunningServer) -> openai.OpenAI:
    return local_server.client(timeout=60)


@pytest.fixture(scope="module")
def answer_tokens(client: openai.OpenAI) -> list[dict[str, Any]]:
    """The tokens of a JSON answer, each with its alternatives, as the heatmap shows them."""
    body = client.chat.completions.create(
        model=DEFAULT_CHAT_MODEL_ID,
        messages=QUESTION,
        response_format=CITY_FORMAT,  # type: ignore[arg-type]
        temperature=0,
        max_tokens=60,
        logprobs=True,
        top_logprobs=5,
    ).to_dict()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    jsonschema.validate(json.loads(choice["message"]["content"]), SCHEMA)
    return choice["logprobs"]["content"]


def continue_from(client: openai.OpenAI, prefix: str, **kwargs: Any) -> str:
    """What the app streams after `prefix` when the user forks there."""
    chunks = [
        c.to_dict()
        for c in client.chat.completions.create(
            model=DEFAULT_CHAT_MODEL_ID,
            messages=[*QUESTION, {"role": "assistant", "content": prefix, "prefix": True}],  # type: ignore[list-item]
            stream=True,
            temperature=0,
            max_tokens=60,
            **kwargs,
        )
    ]
    for chunk in chunks:
        assert_valid("CreateChatCompletionStreamResponse", chunk)
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def _inside_first_value(text: str) -> bool:
    """`text` ends inside the first string value: `{"city": "Pa`."""
    _key, colon, rest = text.partition(":")
    value = rest.lstrip()
    return bool(colon) and value.startswith('"') and len(value) > 1 and '"' not in value[1:]


def test_a_fork_inside_a_string_value_continues_that_string(
    client: openai.OpenAI, answer_tokens: list[dict[str, Any]]
) -> None:
    texts = [t["token"] for t in answer_tokens]
    # The first token of the city's value, swapped for the model's own next-best plain word.
    at = next(i for i in range(len(texts)) if _inside_first_value("".join(texts[: i + 1])))
    alternatives = [
        a["token"]
        for a in answer_tokens[at]["top_logprobs"]
        if a["token"] != texts[at] and a["token"].strip().isalpha()
    ]
    prefix = "".join(texts[:at]) + (alternatives[0] if alternatives else texts[at])
    assert _inside_first_value(prefix)

    continuation = continue_from(client, prefix, response_format=CITY_FORMAT)

    document = json.loads(prefix + continuation)
    jsonschema.validate(document, SCHEMA)
    assert document["city"].startswith(prefix.partition('"city"')[2].split('"')[1])


def test_a_fork_between_members_continues_the_object(
    client: openai.OpenAI, answer_tokens: list[dict[str, Any]]
) -> None:
    texts = [t["token"] for t in answer_tokens]
    at = next(i for i in range(len(texts)) if "," in "".join(texts[: i + 1]))
    prefix = "".join(texts[: at + 1])  # `{"city": "Paris",` and maybe a space

    continuation = continue_from(client, prefix, response_format=CITY_FORMAT)

    assert not continuation.lstrip().startswith("{")
    jsonschema.validate(json.loads(prefix + continuation), SCHEMA)


def test_a_json_object_fork_stays_one_object(client: openai.OpenAI) -> None:
    prefix = '{"name": "Ada'
    continuation = continue_from(client, prefix, response_format={"type": "json_object"})
    assert isinstance(json.loads(prefix + continuation), dict)


@pytest.mark.parametrize(
    ("prefix", "response_format"),
    [
        ("Paris is the capital", CITY_FORMAT),  # not JSON at all
        ('{"town": "', CITY_FORMAT),  # a key the schema does not allow
        ('{"city": "Paris"}}', CITY_FORMAT),  # past the end of the document
        ("[1, 2", {"type": "json_object"}),  # JSON, but not an object
    ],
)
def test_a_prefix_the_format_cannot_continue_is_refused(
    client: openai.OpenAI, prefix: str, response_format: dict[str, Any]
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        continue_from(client, prefix, response_format=response_format)
    error = caught.value
    assert_valid("ErrorResponse", {"error": error.body})  # the SDK hands over the inner object
    assert error.body["param"] == "messages[1].content"  # type: ignore[index]
    assert "messages[1].content" in error.message and "response_format" in error.message
    # The server is still there and well.
    assert json.loads(continue_from(client, "", response_format=CITY_FORMAT))


def test_a_forced_tool_call_after_a_prefix_is_still_a_valid_call(client: openai.OpenAI) -> None:
    # The prefix belongs to the text answer; the tool-call grammar starts afresh.
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}]
    body = client.chat.completions.create(
        model=DEFAULT_CHAT_MODEL_ID,
        messages=[*QUESTION, {"role": "assistant", "content": "Let me", "prefix": True}],  # type: ignore[list-item]
        temperature=0,
        max_tokens=60,
        tools=tools,  # type: ignore[arg-type]
        tool_choice="required",
    )
    calls = body.choices[0].message.tool_calls or []
    assert calls and calls[0].function.name == "get_weather"  # type: ignore[union-attr]
    jsonschema.validate(json.loads(calls[0].function.arguments), SCHEMA)  # type: ignore[union-attr]
