"""The scripted OpenAI server speaks shapes the official SDK and the OpenAPI spec accept.

These tests pin down both the server and how the ``openai`` SDK reacts to each failure mode,
because the app's error handling is written against exactly these exception types.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from tests.support.fixtures import SCRIPTED_KEY
from tests.support.openapi import assert_valid
from tests.support.scripted_server import (
    Drop,
    Fault,
    ScriptedServer,
    Stream,
    load_recording,
    recording_names,
)

REPO = Path(__file__).resolve().parents[2]
API_KEY = SCRIPTED_KEY  # what the shared `server` fixture wants
MESSAGES: list[dict[str, str]] = [{"role": "user", "content": "Say hello"}]
STREAM_SCHEMA = "CreateChatCompletionStreamResponse"
COMPLETION_SCHEMA = "CreateChatCompletionResponse"

RECORDINGS = recording_names()
REFUSAL = "173417d553406f03"
ONE_TOOL_CALL = "2018feb66ae13fcf"
TWO_TOOL_CALLS = "f82268f2fefd5cfb"
THREE_CHOICES = "a491adda08c3d4fd"
LOGPROBS = "83b060bae42eb41c"
FINISH_LENGTH = "4cc50a6135d25457"
PLAIN = "7e5ea4d12e7cc064"


def make_client(server: ScriptedServer, **kwargs: Any) -> openai.OpenAI:
    options: dict[str, Any] = {"api_key": API_KEY, "max_retries": 0, "timeout": 5.0}
    return openai.OpenAI(base_url=server.base_url, **{**options, **kwargs})


@pytest.fixture
def client(server: ScriptedServer) -> Iterator[openai.OpenAI]:
    with make_client(server) as sdk_client:
        yield sdk_client


def stream_chat(client: openai.OpenAI, **kwargs: Any) -> openai.Stream[ChatCompletionChunk]:
    options: dict[str, Any] = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    return client.chat.completions.create(**{**options, **kwargs})


def collect_until_error(
    stream: openai.Stream[ChatCompletionChunk],
) -> tuple[list[ChatCompletionChunk], BaseException | None]:
    received: list[ChatCompletionChunk] = []
    try:
        for chunk in stream:
            received.append(chunk)
    except Exception as exc:  # the point is to capture whatever the SDK raises
        return received, exc
    return received, None


def folded_text(chunks: list[dict[str, Any]], field: str) -> dict[int, str | None]:
    """Per choice index, the concatenation of a delta field (None if it never had text)."""
    texts: dict[int, str | None] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            piece = choice["delta"].get(field)
            current = texts.setdefault(choice["index"], None)
            if piece is not None:
                texts[choice["index"]] = (current or "") + piece
    return texts


# --------------------------------------------------------------------------- models


def test_models_list_via_sdk(server: ScriptedServer, client: openai.OpenAI) -> None:
    page = client.models.list()

    assert [model.id for model in page] == ["gpt-4o", "gpt-4o-mini", "o3-mini"]
    assert_valid("ListModelsResponse", {"object": "list", "data": [m.to_dict() for m in page]})
    assert server.requests[0].method == "GET"
    assert server.requests[0].path == "/v1/models"


def test_model_retrieve_and_unknown_model(client: openai.OpenAI) -> None:
    assert client.models.retrieve("o3-mini").owned_by == "system"

    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-9")
    assert caught.value.code == "model_not_found"
    assert_valid("ErrorResponse", caught.value.response.json())


# --------------------------------------------------------------------------- recordings


def test_all_recordings_are_present() -> None:
    assert len(RECORDINGS) == 12


@pytest.mark.parametrize("stem", RECORDINGS)
def test_recording_replays_through_sdk_stream(
    server: ScriptedServer, client: openai.OpenAI, stem: str
) -> None:
    server.script("chat", Stream(recording=stem))

    chunks = [chunk.to_dict() for chunk in stream_chat(client)]

    # to_dict() keeps exactly the fields the SDK saw, so this proves a verbatim replay.
    assert chunks == load_recording(stem)
    for chunk in chunks:
        assert_valid(STREAM_SCHEMA, chunk)


@pytest.mark.parametrize("stem", RECORDINGS)
def test_recording_assembles_when_not_streamed(
    server: ScriptedServer, client: openai.OpenAI, stem: str
) -> None:
    server.script("chat", Stream(recording=stem))
    recorded = load_recording(stem)

    completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert_valid(COMPLETION_SCHEMA, completion.to_dict())
    assert completion.id == recorded[0]["id"]
    assert completion.usage is not None
    assert completion.usage.to_dict() == recorded[-1]["usage"]
    contents, refusals = folded_text(recorded, "content"), folded_text(recorded, "refusal")
    assert [choice.index for choice in completion.choices] == sorted(contents)
    for choice in completion.choices:
        assert choice.message.content == contents[choice.index]
        assert choice.message.refusal == refusals[choice.index]


def test_assembled_tool_calls(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("chat", Stream(recording=ONE_TOOL_CALL), Stream(recording=TWO_TOOL_CALLS))

    one = client.chat.completions.create(model="gpt-4o", messages=MESSAGES).choices[0]
    two = client.chat.completions.create(model="gpt-4o", messages=MESSAGES).choices[0]

    assert one.finish_reason == "tool_calls"
    assert one.message.tool_calls is not None
    [call] = one.message.tool_calls
    assert call.id == "call_4XzlGBLtUe9dy3GVNV4jhq7h"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "New York City"}
    assert two.message.tool_calls is not None
    assert len(two.message.tool_calls) == 2
    for parallel_call in two.message.tool_calls:
        assert parallel_call.id.startswith("call_")
        assert isinstance(json.loads(parallel_call.function.arguments), dict)


def test_assembled_refusal_logprobs_length_and_choices(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    stems = (REFUSAL, LOGPROBS, FINISH_LENGTH, THREE_CHOICES)
    server.script("chat", *(Stream(recording=stem) for stem in stems))

    refusal, logprobs, length, several = (
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES) for _ in stems
    )

    assert refusal.choices[0].message.content is None
    assert (refusal.choices[0].message.refusal or "").startswith("I'm sorry")
    content_tokens = [c for c in load_recording(LOGPROBS) if c["choices"]][1:-1]
    assert logprobs.choices[0].logprobs is not None
    assert len(logprobs.choices[0].logprobs.content or []) == len(content_tokens)
    assert length.choices[0].finish_reason == "length"
    assert [choice.index for choice in several.choices] == [0, 1, 2]  # recorded with n=3


# --------------------------------------------------------------------------- synthetic text


def test_synthetic_text_stream_with_usage(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("chat", Stream(text="The quick brown fox"))

    chunks = list(stream_chat(client, model="gpt-4o-mini", stream_options={"include_usage": True}))

    for chunk in chunks:
        assert_valid(STREAM_SCHEMA, chunk.to_dict())
    assert {chunk.model for chunk in chunks} == {"gpt-4o-mini"}
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The quick brown fox"
    assert chunks[-2].choices[0].finish_reason == "stop"
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert usage is not None
    assert usage.completion_tokens == 4
    assert usage.total_tokens == usage.prompt_tokens + 4


def test_synthetic_stream_without_include_usage_has_no_usage(client: openai.OpenAI) -> None:
    chunks = list(stream_chat(client))

    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == "Hello from the scripted server."


def test_delay_slows_every_chunk(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("chat", Stream(text="one two", delay=0.05))

    started = time.monotonic()
    chunks = list(stream_chat(client))

    assert len(chunks) == 4  # role, "one", " two", finish
    assert time.monotonic() - started >= 4 * 0.05


# --------------------------------------------------------------------------- error statuses


def test_wrong_api_key_raises_authentication_error(server: ScriptedServer) -> None:
    with (
        make_client(server, api_key="sk-wrong-key-abcdef") as bad_client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        stream_chat(bad_client)

    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "sk-" in caught.value.message
    assert "sk-wrong-key-abcdef" not in caught.value.message  # masked, like the real API
    assert_valid("ErrorResponse", caught.value.response.json())


def test_unknown_model_raises_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        stream_chat(client, model="gpt-5-imaginary")

    assert caught.value.code == "model_not_found"
    assert "The model `gpt-5-imaginary` does not exist" in caught.value.message


def test_rate_limit_with_retry_after_is_retried(server: ScriptedServer) -> None:
    server.script("chat", Fault(429, retry_after=0.2), Stream(text="after the retry"))

    started = time.monotonic()
    with make_client(server, max_retries=1) as retrying_client:
        completion = retrying_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert completion.choices[0].message.content == "after the retry"
    assert len(server.requests) == 2
    assert server.requests[1].headers["x-stainless-retry-count"] == "1"
    # The SDK honoured Retry-After instead of its own 0.5-0.75 s backoff... but waited it.
    assert time.monotonic() - started >= 0.2


def test_server_error_raises_internal_server_error(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("chat", Fault(500))

    with pytest.raises(openai.InternalServerError) as caught:
        stream_chat(client)

    assert caught.value.status_code == 500
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("fault", "exception", "code"),
    [
        (Fault(400), openai.BadRequestError, None),
        (Fault(403), openai.PermissionDeniedError, "unsupported_country_region_territory"),
        (Fault(409), openai.ConflictError, None),
        (Fault(422), openai.UnprocessableEntityError, None),
        (Fault(429, code="insufficient_quota"), openai.RateLimitError, "insufficient_quota"),
        (Fault(503), openai.InternalServerError, None),
        (Fault(418, message="teapot", code="tea"), openai.APIStatusError, "tea"),
    ],
)
def test_fault_statuses_map_to_sdk_exceptions(
    server: ScriptedServer,
    client: openai.OpenAI,
    fault: Fault,
    exception: type[openai.APIStatusError],
    code: str | None,
) -> None:
    server.script("chat", fault)

    with pytest.raises(exception) as caught:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert caught.value.status_code == fault.status
    assert caught.value.code == code
    assert_valid("ErrorResponse", caught.value.response.json())


def test_fault_hang_lets_the_client_time_out(server: ScriptedServer) -> None:
    server.script("chat", Fault(500, hang=5.0))

    with (
        make_client(server, timeout=0.2) as impatient_client,
        pytest.raises(openai.APITimeoutError),
    ):
        stream_chat(impatient_client)


# --------------------------------------------------------------------------- broken transports


def test_drop_after_raises_api_connection_error_mid_stream(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("chat", Stream(recording=PLAIN, drop_after=5))

    received, error = collect_until_error(stream_chat(client))

    assert isinstance(error, openai.APIConnectionError)
    # Chunked transfer encoding makes the cut-off a protocol error rather than a clean EOF.
    assert isinstance(error.__cause__, httpx2.RemoteProtocolError)
    assert [chunk.to_dict() for chunk in received] == load_recording(PLAIN)[:5]


def test_drop_after_all_chunks_still_fails_without_done(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("chat", Stream(text="all there", drop_after=100))

    received, error = collect_until_error(stream_chat(client))

    assert isinstance(error, openai.APIConnectionError)
    assert len(received) == 4


def test_malformed_event_raises_json_decode_error(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("chat", Stream(text="a b c d e", malformed_at=3))

    received, error = collect_until_error(stream_chat(client))

    # The SDK does not wrap this: a bare json.JSONDecodeError escapes the iteration.
    assert type(error) is json.JSONDecodeError
    assert not isinstance(error, openai.OpenAIError)
    assert len(received) == 3


def test_drop_raises_api_connection_error(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("chat", Drop(), Drop())

    with pytest.raises(openai.APIConnectionError) as streamed:
        stream_chat(client)
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert isinstance(streamed.value.__cause__, httpx2.RemoteProtocolError)
    assert len(server.requests) == 2


def test_non_streamed_drop_and_malformed_body(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("chat", Stream(text="x y", drop_after=0), Stream(text="x y", malformed_at=0))

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_async_client_sees_the_same_failures(server: ScriptedServer) -> None:
    async def run() -> tuple[int, BaseException | None, BaseException | None]:
        server.script("chat", Stream(text="a b c d", drop_after=2), Drop())
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=5.0
        ) as async_client:
            received = 0
            mid_stream: BaseException | None = None
            try:
                stream = await async_client.chat.completions.create(
                    model="gpt-4o", messages=MESSAGES, stream=True
                )
                async for _chunk in stream:
                    received += 1
            except openai.APIError as exc:
                mid_stream = exc
            try:
                await async_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            except openai.APIError as exc:
                return received, mid_stream, exc
            return received, mid_stream, None

    received, mid_stream, dropped = asyncio.run(run())

    assert received == 2
    assert isinstance(mid_stream, openai.APIConnectionError)
    assert isinstance(dropped, openai.APIConnectionError)


def test_client_disconnect_is_silent(
    server: ScriptedServer, client: openai.OpenAI, capfd: pytest.CaptureFixture[str]
) -> None:
    server.script("chat", Stream(text=" ".join(["word"] * 40), delay=0.02))

    stream = stream_chat(client)
    next(stream)
    stream.close()  # walk away mid-stream: the server's next write hits a closed socket
    deadline = time.monotonic() + 3
    while server.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)

    assert server.open_connections == 0
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------- HTTP details


def test_responses_carry_realistic_headers(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("chat", Stream(text="hi", headers={"x-custom": "yes"}))

    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)

    headers = raw.headers
    assert headers["x-request-id"].startswith("req_")
    assert int(headers["openai-processing-ms"]) >= 1
    assert headers["x-ratelimit-reset-requests"] == "6ms"
    for name in ("requests", "tokens"):
        assert int(headers[f"x-ratelimit-limit-{name}"]) >= int(
            headers[f"x-ratelimit-remaining-{name}"]
        )
    assert headers["x-custom"] == "yes"
    assert raw.parse().choices[0].message.content == "hi"


def http(server: ScriptedServer, method: str, path: str, body: bytes | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}",
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_unknown_path_and_bad_json_are_openai_errors(server: ScriptedServer) -> None:
    status, unknown = http(server, "POST", "/v1/nope", b"{}")
    bad_status, bad = http(server, "POST", "/v1/chat/completions", b"{not json")

    assert (status, unknown["error"]["message"]) == (404, "Invalid URL (POST /v1/nope)")
    assert bad_status == 400
    assert "could not parse the JSON body" in bad["error"]["message"]
    for body in (unknown, bad):
        assert_valid("ErrorResponse", body)
    assert server.requests[1].body is None
    assert server.requests[1].raw == b"{not json"


def test_script_routes_queue_fifo(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script("any", Stream(text="from any"), Fault(503))
    server.script("models", Fault(500))

    with pytest.raises(openai.InternalServerError) as models_fault:
        client.models.list()  # the models queue wins; the Stream in "any" is not for models
    first = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with pytest.raises(openai.InternalServerError) as any_fault:
        client.models.list()
    default = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert models_fault.value.status_code == 500
    assert first.choices[0].message.content == "from any"
    assert any_fault.value.status_code == 503
    assert default.choices[0].message.content == "Hello from the scripted server."
    assert server.pending("any") == server.pending("chat") == server.pending("models") == 0


def test_requests_are_recorded(server: ScriptedServer, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="o3-mini", messages=MESSAGES, temperature=0.5)

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body == {"model": "o3-mini", "messages": MESSAGES, "temperature": 0.5}


def test_script_rejects_nonsense(server: ScriptedServer) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        server.script("completions", Fault(500))
    with pytest.raises(ValueError, match="cannot answer with a Stream"):
        server.script("models", Stream(text="no"))


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_ready_and_serves(stop_signal: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.support.scripted_server",
        "--port",
        "0",
        "--text",
        "cli says hi",
        "--api-key",
        API_KEY,
    ]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            ready = process.stdout.readline().strip()
            assert ready.startswith("READY http://127.0.0.1:")
            base_url = ready.removeprefix("READY ")
            with openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0) as cli_client:
                models = [model.id for model in cli_client.models.list()]
                answer = cli_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            assert "gpt-4o" in models
            assert answer.choices[0].message.content == "cli says hi"
        finally:
            process.send_signal(stop_signal)
            _, stderr = process.communicate(timeout=5)

    assert process.returncode == 0
    assert stderr == ""
