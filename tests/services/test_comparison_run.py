"""A comparison against two scripted servers: columns run at once, each on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.scripted_server import Fault, ScriptedServer, Stream
from workbench.core.comparison import ColumnSpec
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.run_errors import ErrorKind
from workbench.core.runs import ChatTurn, RetryScheduled, RunEvent, RunFailed, RunParams
from workbench.core.sessions import MessageStatus, Role
from workbench.services.comparison_run import ComparisonRun
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.run_service import RunService
from workbench.services.store import Store

KEY = "sk-compare-test-key-0123456789"


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with ScriptedServer(api_key=KEY) as a, ScriptedServer(api_key=KEY) as b:
        yield a, b


def _connector(tmp_path: Path, *servers: ScriptedServer) -> tuple[Connector, list[str]]:
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    keys = KeyVault()
    ids = []
    for number, server in enumerate(servers):
        endpoint = new_endpoint(EndpointKind.CUSTOM, f"Scripted {number}").with_changes(
            base_url=server.base_url, default_model="gpt-4o"
        )
        registry.upsert(endpoint)
        keys.set(endpoint, KEY)
        ids.append(endpoint.id)
    return Connector(registry, keys, LocalServer(), max_retries=0), ids


def _column(endpoint_id: str, name: str, model: str, **params) -> ColumnSpec:
    return ColumnSpec(endpoint_id, name, RunParams(model=model, **params))


def _run(store: Store, connector: Connector, comparison) -> tuple[list, list]:
    events: list[tuple[int, int, RunEvent]] = []
    finished: list[tuple[int, int, object]] = []
    announced: list[object] = []
    runs = RunService(store, connector, announce=announced.append)
    run = ComparisonRun(
        runs,
        comparison,
        lambda c, r, _a, e: events.append((c, r, e)),
        lambda c, r, _a, record: finished.append((c, r, record)),
    )

    async def go() -> None:
        try:
            await run.execute()
        finally:
            await connector.close()

    asyncio.run(go())
    # Every answer, however it ended, is announced once, as the chat's are.
    assert [r for _c, _r, r in finished] == announced
    return events, finished


def test_a_failing_column_does_not_hold_up_the_others(
    tmp_path: Path, store: Store, servers: tuple[ScriptedServer, ScriptedServer]
) -> None:
    a, b = servers
    a.script("chat", Stream(text="Paris is the capital.", headers={"x-request-id": "req_a1"}))
    b.script("chat", Fault(500, "the server is down"), Fault(500, "the server is down"))
    connector, (ea, eb) = _connector(tmp_path, a, b)
    connector.max_retries = 1  # the failing column retries once, and says so
    comparison = store.comparisons.create(
        "Capital of France?",
        [_column(ea, "Scripted 0", "gpt-4o"), _column(eb, "Scripted 1", "gpt-4o-mini")],
        repeats=1,
    )
    events, finished = _run(store, connector, comparison)

    saved = store.comparisons.get(comparison.id)
    ok, failed = saved.columns
    assert ok.answers[0].content == "Paris is the capital."
    assert ok.answers[0].status == MessageStatus.COMPLETE
    assert failed.answers[0].status == MessageStatus.ERROR
    records = {column: record for column, _r, record in finished}
    assert records[0].status == "complete" and records[0].request_id == "req_a1"
    assert records[1].error is not None and records[1].error.kind == ErrorKind.SERVER
    retries = [e for c, _r, e in events if c == 1 and isinstance(e, RetryScheduled)]
    assert len(retries) == 1  # shown in the column while it waited
    exchange = store.runs.exchange(records[1].run_id)
    assert len(exchange["retries"]) == 1 and exchange["error"]["status"] == 500
    assert store.runs.request(records[0].run_id)["model"] == "gpt-4o"
    assert store.runs.request(records[1].run_id)["model"] == "gpt-4o-mini"


def test_a_slow_column_finishes_after_a_fast_one_that_started_with_it(
    tmp_path: Path, store: Store, servers: tuple[ScriptedServer, ScriptedServer]
) -> None:
    a, b = servers
    a.script("chat", Stream(text="slow " * 12, delay=0.08))
    b.script("chat", Stream(text="quick answer"))
    connector, (ea, eb) = _connector(tmp_path, a, b)
    comparison = store.comparisons.create(
        "Go", [_column(ea, "A", "gpt-4o"), _column(eb, "B", "gpt-4o")], repeats=1
    )
    _events, finished = _run(store, connector, comparison)
    assert [column for column, _r, _rec in finished] == [1, 0]
    fast, slow = finished[0][2], finished[1][2]
    # Both were sent at once: the quick one did not wait for the slow one to start.
    assert fast.timings.total_s < 0.5 < slow.timings.total_s


def test_repeats_run_in_turn_and_each_is_kept_with_its_run(
    tmp_path: Path, store: Store, servers: tuple[ScriptedServer, ScriptedServer]
) -> None:
    a, b = servers
    a.script("chat", Stream(text="one"), Stream(text="two"), Stream(text="one"))
    b.script("chat", Fault(404, "The model `nope` does not exist", code="model_not_found"))
    b.script("chat", Stream(text="fine"), Stream(text="fine"))
    connector, (ea, eb) = _connector(tmp_path, a, b)
    comparison = store.comparisons.create(
        "Say a number",
        [_column(ea, "A", "gpt-4o", temperature=1.0), _column(eb, "B", "gpt-4o")],
        repeats=3,
    )
    _events, finished = _run(store, connector, comparison)
    assert len(finished) == 6
    saved = store.comparisons.get(comparison.id)
    assert [x.content for x in saved.columns[0].answers] == ["one", "two", "one"]
    assert [x.repeat_index for x in saved.columns[0].answers] == [0, 1, 2]
    assert [x.status for x in saved.columns[1].answers] == ["error", "complete", "complete"]
    run_ids = {x.run_id for column in saved.columns for x in column.answers}
    assert len(run_ids) == 6 and None not in run_ids
    assert saved.columns[0].spec.params.temperature == 1.0
    assert store.comparisons.answer_for_run(saved.columns[0].answers[1].run_id).content == "two"


def test_a_deleted_endpoint_fails_its_column_in_plain_words(
    tmp_path: Path, store: Store, servers: tuple[ScriptedServer, ScriptedServer]
) -> None:
    a, _b = servers
    connector, (ea,) = _connector(tmp_path, a)
    comparison = store.comparisons.create(
        "Hi", [_column(ea, "A", "gpt-4o"), _column("gone", "Old endpoint", "gpt-4o")], repeats=2
    )
    events, finished = _run(store, connector, comparison)
    failures = [e for c, _r, e in events if c == 1 and isinstance(e, RunFailed)]
    assert len(failures) == 1 and "Old endpoint" in failures[0].error.title
    assert len(finished) == 2  # the first column's two answers
    assert store.comparisons.get(comparison.id).columns[1].answers[0].status == "error"


def test_comparisons_are_saved_listed_reopened_and_recovered(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    session = store.sessions.create("chat")
    question = store.conversation.add(session, Role.USER, "Earlier question", None)
    history = (ChatTurn.of("user", "Earlier question"), ChatTurn.of("assistant", "Earlier answer"))
    spec = ColumnSpec("e1", "Local", RunParams(model="m", seed=7), system_prompt="Be brief.")
    first = store.comparisons.create(
        "Why is the sky blue?", [spec, spec], 2, history, session, question
    )
    second = store.comparisons.create("Second", [spec, spec], 1)
    answer = store.comparisons.add_answer(first.columns[0].id, 0)
    store.comparisons.append_chunk(answer, "Rayleigh ")
    store.comparisons.append_chunk(answer, "scattering")
    store.close()  # the app died mid-answer

    store = Store.open(path)
    assert store.recovered == 1
    assert [s.id for s in store.comparisons.recent()] == [second.id, first.id]
    assert store.comparisons.recent()[1].columns == 2
    saved = store.comparisons.get(first.id)
    assert saved.history == history and saved.session_id == session and saved.leaf_id == question
    assert saved.columns[1].spec == spec and saved.repeats == 2
    assert "Why is the sky blue?" in saved.title
    recovered = saved.columns[0].answers[0]
    assert (recovered.content, recovered.status) == ("Rayleigh scattering", "interrupted")
    store.comparisons.delete(first.id)
    assert store.comparisons.get(first.id) is None
    assert [s.id for s in store.comparisons.recent()] == [second.id]
    store.close()
