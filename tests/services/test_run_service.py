"""The one run path: every run, whoever starts it and however it ends, is announced once; runs
ask for logprobs while a panel wants them; estimates come before sending."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.runs import (
    ChatTurn,
    RunKind,
    RunParams,
    RunRecord,
    RunRequest,
    RunStatus,
)
from workbench.core.sessions import MessageStatus, Role
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.run_pipeline import RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store import Store

KEY = "sk-run-service-test-0123456789"


@pytest.fixture
def scripted() -> ScriptedServer:
    with ScriptedServer(api_key=KEY) as server:
        yield server


def _service(tmp_path: Path, store: Store, server: ScriptedServer, kind=EndpointKind.CUSTOM):
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    endpoint = new_endpoint(kind, "Scripted").with_changes(
        base_url=server.base_url, default_model="gpt-4o"
    )
    registry.upsert(endpoint)
    keys = KeyVault()
    keys.set(endpoint, KEY)
    announced: list[RunRecord] = []
    connector = Connector(registry, keys, LocalServer(), max_retries=0)
    return RunService(store, connector, announce=announced.append), endpoint, announced


def _answer(store: Store) -> tuple[int, int]:
    session = store.sessions.create("t")
    question = store.conversation.add(session, Role.USER, "Hi", None)
    return session, store.conversation.add(
        session, Role.ASSISTANT, "", question, MessageStatus.STREAMING
    )


def _request(endpoint_id: str, **params: object) -> RunRequest:
    return RunRequest(
        RunKind.CHAT_COMPLETION,
        endpoint_id,
        RunParams(model="gpt-4o", **params),  # type: ignore[arg-type]
        (ChatTurn.of("user", "Hi"),),
    )


def test_a_finished_run_is_announced_once_after_its_starter_saw_it(
    tmp_path: Path, store: Store, scripted: ScriptedServer
) -> None:
    scripted.script("chat", Stream(text="Hello."))
    runs, endpoint, announced = _service(tmp_path, store, scripted)
    session, answer = _answer(store)
    order: list[str] = []
    runs.announce = lambda record: (order.append("bus"), announced.append(record))
    run = runs.start(_request(endpoint.id), RunOrigin(session, answer))

    async def go() -> RunRecord:
        try:
            return await runs.execute(run, lambda _record: order.append("starter"))
        finally:
            await runs.connector.close()

    record = asyncio.run(go())
    assert record.status is RunStatus.COMPLETE
    assert announced == [record] and order == ["starter", "bus"]
    # The run remembers where it went, so a renamed endpoint still shows the right code.
    stored = store.runs.get(record.run_id)
    assert stored is not None
    assert (stored.endpoint_id, stored.base_url) == (endpoint.id, scripted.base_url.rstrip("/"))


def _cut_short(
    tmp_path: Path, store: Store, scripted: ScriptedServer, close_window: bool
) -> tuple[list[RunRecord], int]:
    """A long answer cancelled after 0.3 s: stopped by the user, or with the window closing."""
    scripted.script("chat", Stream(text=" ".join(f"w{i}" for i in range(400)), delay=0.01))
    runs, endpoint, announced = _service(tmp_path, store, scripted)
    session, answer = _answer(store)
    run = runs.start(_request(endpoint.id), RunOrigin(session, answer))

    async def go() -> None:
        task = asyncio.create_task(runs.execute(run))
        await asyncio.sleep(0.3)
        if close_window:
            runs.abandon_all()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await runs.connector.close()

    asyncio.run(go())
    return announced, answer


def test_a_stopped_run_is_announced_too(
    tmp_path: Path, store: Store, scripted: ScriptedServer
) -> None:
    announced, answer = _cut_short(tmp_path, store, scripted, close_window=False)
    assert [r.status for r in announced] == [RunStatus.STOPPED]
    assert store.conversation.get(answer).status is MessageStatus.STOPPED


def test_abandoned_runs_are_kept_interrupted_and_not_announced(
    tmp_path: Path, store: Store, scripted: ScriptedServer
) -> None:
    announced, answer = _cut_short(tmp_path, store, scripted, close_window=True)
    assert announced == []
    message = store.conversation.get(answer)
    assert message.status is MessageStatus.INTERRUPTED and message.content.startswith("w0")


def test_runs_ask_for_logprobs_while_a_panel_wants_them(
    tmp_path: Path, store: Store, scripted: ScriptedServer
) -> None:
    runs, endpoint, _ = _service(tmp_path, store, scripted)
    plain = _request(endpoint.id)
    assert runs.prepared(plain) is plain
    runs.logprobs_wanted = True
    wanted = runs.prepared(plain)
    assert (wanted.params.logprobs, wanted.params.top_logprobs) == (True, 5)
    chosen = runs.prepared(_request(endpoint.id, logprobs=True, top_logprobs=2))
    assert chosen.params.top_logprobs == 2  # the user's own choice stays


def test_the_estimate_prices_the_request_on_its_endpoint(
    tmp_path: Path, store: Store, scripted: ScriptedServer
) -> None:
    runs, endpoint, _ = _service(tmp_path, store, scripted, EndpointKind.OPENAI)
    bounded = runs.estimate(_request(endpoint.id, max_tokens=100), 1_000)
    unbounded = runs.estimate(_request(endpoint.id), 1_000)
    assert bounded.bounded and not unbounded.bounded
    assert bounded.usd is not None and unbounded.usd is not None
    assert 0 < bounded.usd < unbounded.usd
