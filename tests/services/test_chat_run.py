"""A chat run against the scripted server: what is stored, what the user is told."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
import pytest

from tests.support.fixtures import SCRIPTED_KEY
from tests.support.scripted_server import Drop, Fault, ScriptedServer, Stream, recording_names
from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.pricing import price_run
from workbench.core.run_errors import ErrorKind
from workbench.core.runs import ChatTurn, RetryScheduled, RunKind, RunParams, RunRequest
from workbench.core.sessions import MessageStatus, Role
from workbench.services.clients import make_client
from workbench.services.run_pipeline import Run, RunOrigin
from workbench.services.store import Store

KEY = SCRIPTED_KEY  # what the shared `server` fixture wants


def _endpoint(kind: EndpointKind = EndpointKind.CUSTOM) -> Endpoint:
    return Endpoint("scripted-id", "Scripted", kind, "http://127.0.0.1:9/v1")


def _start(store: Store, params: RunParams | None = None) -> tuple[int, int, RunRequest]:
    session = store.sessions.create("t")
    question = store.conversation.add(session, Role.USER, "Say hello", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    request = RunRequest(
        RunKind.CHAT_COMPLETION,
        "scripted-id",
        params or RunParams(model="gpt-4o"),
        (ChatTurn.of("user", "Say hello"),),
    )
    return session, answer, request


def _run(
    store: Store,
    server: ScriptedServer,
    request: RunRequest,
    answer: int,
    session: int,
    retries: int = 0,
):
    events = []

    async def client() -> openai.AsyncOpenAI:
        # The app's own client: it is the one through which the SDK's retries are seen.
        endpoint = _endpoint()
        return make_client(endpoint, KEY, base_url=server.base_url, max_retries=retries, timeout=5)

    run = Run(store, request, _endpoint(), RunOrigin(session, answer), events.append)
    record = asyncio.run(run.execute(client))
    return record, events


def test_streamed_answer_is_stored_with_its_run(store: Store, server: ScriptedServer) -> None:
    server.script(
        "chat",
        Stream(text="Hello there, friend.", headers={"x-ratelimit-remaining-requests": "59"}),
    )
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    message = store.conversation.get(answer)
    assert message.content == "Hello there, friend."
    assert message.status is MessageStatus.COMPLETE
    assert record.status == "complete" and record.finish_reason == "stop"
    assert record.usage.completion_tokens > 0 and record.usage.prompt_tokens > 0
    assert record.rate_limits["x-ratelimit-remaining-requests"] == "59"
    assert record.timings.first_token_s is not None
    stored = store.runs.get(record.run_id)
    assert stored.usage == record.usage and stored.model == "gpt-4o"
    assert store.runs.request(record.run_id)["messages"][0]["content"] == "Say hello"
    assert KEY not in store.db.execute("SELECT request_json FROM runs").fetchone()[0]


def test_slow_stream_is_checkpointed_while_it_arrives(store: Store, server: ScriptedServer) -> None:
    server.script("chat", Stream(text="one two three four five six", delay=0.05))
    session, answer, request = _start(store)
    seen: list[str] = []

    def watch(event) -> None:
        seen.append(store.conversation.streamed_text(answer))

    async def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

    origin = RunOrigin(session, answer)
    run = Run(store, request, _endpoint(), origin, watch, checkpoint_s=0.04)
    asyncio.run(run.execute(client))
    partial = [s for s in seen if s and s != "one two three four five six"]
    assert partial, "nothing was checkpointed before the end"
    assert store.conversation.streamed_text(answer) == ""  # the final text replaced the chunks


def test_mid_stream_drop_keeps_what_arrived(store: Store, server: ScriptedServer) -> None:
    server.script("chat", Stream(text="alpha beta gamma delta epsilon", drop_after=3))
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    message = store.conversation.get(answer)
    assert message.status is MessageStatus.ERROR
    assert message.content and "alpha" in message.content
    assert record.error.kind == ErrorKind.BROKEN_STREAM
    assert "dropped" in record.error.title


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        (Fault(401), ErrorKind.BAD_KEY, "key"),
        (Fault(404, code="model_not_found"), ErrorKind.MODEL_NOT_FOUND, "Model not found"),
        (Fault(429, retry_after=30), ErrorKind.RATE_LIMIT, "30 s"),
        (
            Fault(
                400,
                message="This model's maximum context length is 8192 tokens",
                code="context_length_exceeded",
            ),
            ErrorKind.CONTEXT_TOO_LONG,
            "too long",
        ),
        (Fault(503), ErrorKind.SERVER, "503"),
        (Drop(), ErrorKind.NETWORK, "reach"),
    ],
)
def test_errors_are_told_in_plain_words(store, server, fault, kind, words) -> None:
    server.script("chat", fault)
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    assert record.error.kind == kind
    assert words in record.error.title
    assert store.conversation.get(answer).status is MessageStatus.ERROR
    assert kind in store.db.execute("SELECT error_json FROM runs").fetchone()[0]


def test_malformed_event_is_reported(store: Store, server: ScriptedServer) -> None:
    server.script("chat", Stream(text="a b c d e f", malformed_at=2))
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    assert record.error.kind == ErrorKind.BROKEN_STREAM
    assert "malformed" in record.error.title


def test_sdk_retries_are_reported_as_they_happen(store: Store, server: ScriptedServer) -> None:
    server.script("chat", Fault(429, retry_after=0.1), Fault(500), Stream(text="finally"))
    session, answer, request = _start(store)
    _, events = _run(store, server, request, answer, session, retries=2)
    retries = [e for e in events if isinstance(e, RetryScheduled)]
    assert [(r.attempt, r.reason) for r in retries] == [(1, "status 429"), (2, "status 500")]
    assert retries[0].wait_s == pytest.approx(0.1, abs=0.05)
    assert store.conversation.get(answer).content == "finally"
    assert '"attempt": 2' in store.db.execute("SELECT retries_json FROM runs").fetchone()[0]


def test_cancel_keeps_partial_answer_marked_stopped(store: Store, server: ScriptedServer) -> None:
    server.script("chat", Stream(text=" ".join(f"w{i}" for i in range(200)), delay=0.01))
    session, answer, request = _start(store)

    async def main() -> None:
        async def client() -> openai.AsyncOpenAI:
            return openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

        run = Run(store, request, _endpoint(), RunOrigin(session, answer))
        task = asyncio.create_task(run.execute(client))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    message = store.conversation.get(answer)
    assert message.status is MessageStatus.STOPPED
    assert message.content.startswith("w0 w1")


def test_crash_leftovers_are_recovered_as_interrupted(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "c.db")
    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "q", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    store.conversation.append_chunk(answer, "half an ")
    store.conversation.append_chunk(answer, "answer")
    store.close()  # the process "dies" here
    reopened = Store.open(tmp_path / "c.db")
    assert reopened.recovered == 1
    message = reopened.conversation.get(answer)
    assert (message.content, message.status) == ("half an answer", MessageStatus.INTERRUPTED)
    reopened.close()


@pytest.mark.parametrize(
    ("model", "kind", "status"),
    [
        ("gpt-4o-mini", "openai", "priced"),
        ("smollm2", "local", "free"),
        ("my-model", "custom", "unknown"),
    ],
)
def test_each_run_is_priced_by_genai_prices(store, server, model, kind, status) -> None:
    server.script("chat", Stream(text="Some priced words here."))
    session, answer, request = _start(store, RunParams(model=model))

    async def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

    run = Run(store, request, _endpoint(EndpointKind(kind)), RunOrigin(session, answer))
    record = asyncio.run(run.execute(client))
    u = record.usage
    expected = price_run(model, kind, u.prompt_tokens, u.completion_tokens, u.cached_tokens)
    assert (record.cost_usd, record.price_status) == (expected.usd, status)
    if status == "priced":
        assert record.cost_usd > 0
    stored = store.runs.get(record.run_id)
    assert (stored.cost_usd, stored.price_status) == (record.cost_usd, status)


def test_stream_ending_without_a_finish_reason_is_an_error(store, server) -> None:
    # llama.cpp's server, given a prompt far past its window, sent chunks then [DONE] and no
    # choice ever said it was done: that is not a complete answer.
    server.script("chat", Stream(text="alpha beta gamma", finish_reason=None))
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    message = store.conversation.get(answer)
    assert message.status is MessageStatus.ERROR
    assert message.content == "alpha beta gamma"  # what arrived is kept
    assert record.error.kind == ErrorKind.BROKEN_STREAM
    assert "without saying it was done" in record.error.title
    assert record.error.retryable
    assert record.finish_reason is None


@pytest.mark.parametrize("stem", recording_names())
def test_every_recorded_stream_completes(store, server, stem: str) -> None:
    server.script("chat", Stream(recording=stem))
    session, answer, request = _start(store)
    record, _ = _run(store, server, request, answer, session)
    assert record.error is None and record.finish_reason
    assert store.conversation.get(answer).status is MessageStatus.COMPLETE
