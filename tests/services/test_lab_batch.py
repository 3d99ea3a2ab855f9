"""A Prompt Lab matrix through the Batch API, against the scripted server's Files and Batches.

Each test states what the grid ends up holding (the cells in the store) and what the user was
told along the way (the progress reported), for every way a batch can end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.openapi import assert_valid
from tests.support.scripted_server import BatchScript, ScriptedServer
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.prompt_lab.model import (
    Assertion,
    AssertionKind,
    Cell,
    CellStatus,
    Dataset,
    Matrix,
    ModelColumn,
)
from workbench.core.prompt_lab.plan import plan_cells
from workbench.core.runs import RunParams, Usage
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.prompt_lab.batch import BatchRefused, BatchRunner
from workbench.services.prompt_lab.batch_lines import BatchProgress, key_of
from workbench.services.store import Store

KEY = "sk-batch-test-key-0123456789"
COUNTRIES = ("France", "Japan", "Peru")
T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(api_key=KEY, models=("gpt-4o", "gpt-4o-mini")) as running:
        yield running


def echo(body: dict[str, Any]) -> str:
    """The scripted model answers each line with the question it was asked."""
    return f"Re: {body['messages'][-1]['content']}"


class Lab:
    """A store, a connector to the scripted server as an OpenAI endpoint, and a batch runner."""

    def __init__(self, path: Path, server: ScriptedServer, kind: EndpointKind) -> None:
        self.path = path
        self.store = Store.open(path / "lab.db")
        registry = EndpointRegistry(path / "endpoints.json")
        endpoint = registry.get("batch") or new_endpoint(kind, "Scripted OpenAI").with_changes(
            id="batch", base_url=server.base_url, default_model="gpt-4o-mini"
        )
        registry.upsert(endpoint)
        keys = KeyVault()
        keys.set(endpoint, KEY)
        self.connector = Connector(registry, keys, LocalServer(), max_retries=0)
        self.progress: list[BatchProgress] = []
        self.runner = BatchRunner(
            self.store, self.connector, on_progress=self.progress.append, poll_s=0.0
        )

    def matrix(self, models: tuple[str, ...] = ("gpt-4o-mini",), versions: int = 1) -> Matrix:
        dataset = Dataset("countries", ("country",), tuple({"country": c} for c in COUNTRIES))
        self.store.lab.save_dataset(dataset)
        ids = []
        for number in range(versions):
            version = self.store.lab.save_version(
                "capital",
                "Answer in one line." if number == 0 else "",
                "What is the capital of {{country}}?",
                (
                    Assertion(AssertionKind.CONTAINS, "capital"),
                    Assertion(AssertionKind.MAX_LENGTH, "2000"),
                ),
            )
            assert version.id is not None
            ids.append(version.id)
        columns = tuple(
            ModelColumn("batch", model, RunParams(model=model, temperature=0.2)) for model in models
        )
        matrix = Matrix(None, "capitals", tuple(ids), "countries", columns, via_batch=True)
        return self.store.lab.create_matrix(matrix, dataset, plan_cells(matrix, len(COUNTRIES)))

    def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        async def go() -> T:
            try:
                return await make()
            finally:
                await self.connector.close()

        return asyncio.run(go())

    def submit_and_follow(self, matrix_id: int) -> list[BatchProgress]:
        async def go() -> list[BatchProgress]:
            sent = await self.runner.submit(matrix_id)
            return [await self.runner.follow(p.batch_id) for p in sent]

        return self.run(go)

    def cells(self, matrix_id: int) -> list[Cell]:
        return self.store.lab.cells(matrix_id)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def lab(tmp_path: Path, server: ScriptedServer) -> Iterator[Lab]:
    opened = Lab(tmp_path, server, EndpointKind.OPENAI)
    yield opened
    opened.close()


def _uploaded_lines(server: ScriptedServer) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for upload in server.batch_book.uploads()
        for line in upload.data.decode().splitlines()
    ]


def test_a_matrix_goes_through_the_batch_api_and_fills_the_grid(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(progress_polls=3, answer=echo), BatchScript(answer=echo))
    matrix = lab.matrix(models=("gpt-4o-mini", "gpt-4o"), versions=2)
    assert matrix.id is not None
    ended = lab.submit_and_follow(matrix.id)

    # One batch per model, each with a line per cell: the chat body, not streamed.
    assert [p.status for p in ended] == ["completed", "completed"]
    lines = _uploaded_lines(server)
    assert len(lines) == 2 * 3 * 2
    assert {line["body"]["model"] for line in lines[:6]} == {"gpt-4o-mini"}
    for line in lines:
        assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
        assert "stream" not in line["body"] and line["body"]["temperature"] == 0.2
        assert_valid("CreateChatCompletionRequest", line["body"])
    assert sorted(key_of(line["custom_id"]) for line in lines) == sorted(
        c.key for c in lab.cells(matrix.id)
    )

    # The user saw every status, and the counts move while it runs.
    first = [p for p in lab.progress if p.batch_id == ended[0].batch_id]
    statuses = [p.status for p in first]
    assert statuses[0] == "validating" and statuses[-1] == "completed"
    assert {"in_progress", "finalizing"} <= set(statuses)
    running = [p.completed for p in first if p.status == "in_progress"]
    assert running == sorted(running) and running[0] < running[-1] < 6
    assert first[-1].text == "Batch completed: 6 of 6 done"

    cells = lab.cells(matrix.id)
    assert {c.status for c in cells} == {CellStatus.DONE}
    for cell in cells:
        country = COUNTRIES[cell.key.row]
        assert cell.output == f"Re: What is the capital of {country}?"
        assert cell.prompt_tokens and cell.completion_tokens
        assert cell.batch_discount and cell.price_status == "priced"
        assert cell.cost_usd is not None and cell.cost_usd > 0
        # Every check ran on the batch's answer.
        assert [(c.index, c.passed) for c in cell.checks] == [(0, True), (1, True)]
        # Each answer is a run: the inspector shows its request, the cost meter counts it.
        assert cell.run_id is not None
        run = lab.store.runs.get(cell.run_id)
        assert run is not None and run.cost_usd == cell.cost_usd
        request = lab.store.runs.request(cell.run_id)
        assert request is not None and request["messages"][-1]["content"].endswith(f"{country}?")
    spent = lab.store.costs.today()
    assert spent.runs == 12
    assert spent.usd == pytest.approx(sum(c.cost_usd or 0 for c in cells))
    assert all(row["ended"] == 1 for row in lab.store.lab.batches(matrix.id))
    assert lab.runner.open_batches() == []


def test_the_batch_price_is_genai_prices_own_batch_price() -> None:
    from genai_prices import Usage as PricedUsage
    from genai_prices import data_snapshot

    from workbench.core.pricing import price_usage
    from workbench.services.prompt_lab.batch_cells import batch_price

    endpoint = new_endpoint(EndpointKind.OPENAI, "OpenAI")
    usage = Usage(prompt_tokens=12_000, completion_tokens=3_000)
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"):
        half = batch_price(model, endpoint, usage)
        provider, info = data_snapshot.get_snapshot().find_provider_model(
            model, None, "openai", None
        )
        listed = info.calc_price(
            PricedUsage(input_tokens=12_000, output_tokens=3_000),
            provider,
            price_context={"processing": "batch"},
        )
        assert half.usd == pytest.approx(float(listed.total_price))
        assert half.usd == pytest.approx(price_usage(model, "openai", usage).usd / 2)


def test_failed_lines_fail_their_cells_and_the_rest_are_answered(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(failing_lines=(1,), line_status=400, answer=echo))
    matrix = lab.matrix()
    assert matrix.id is not None
    [ended] = lab.submit_and_follow(matrix.id)
    assert (ended.status, ended.completed, ended.failed) == ("completed", 2, 1)
    assert ended.text == "Batch completed: 2 of 3 done, 1 failed"
    by_row = {c.key.row: c for c in lab.cells(matrix.id)}
    assert by_row[1].status is CellStatus.FAILED
    assert by_row[1].error == "The server rejected the request (400). Invalid request."
    assert by_row[1].passed is False
    assert by_row[1].run_id is not None
    failed_run = lab.store.runs.get(by_row[1].run_id)
    assert failed_run is not None and failed_run.error is not None
    assert failed_run.error.status == 400
    assert [by_row[r].status for r in (0, 2)] == [CellStatus.DONE, CellStatus.DONE]
    assert by_row[2].output == "Re: What is the capital of Peru?"


def test_an_expired_batch_keeps_what_ran_and_the_rest_is_sent_again(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(outcome="expired", expire_after=1, answer=echo))
    matrix = lab.matrix()
    assert matrix.id is not None
    [ended] = lab.submit_and_follow(matrix.id)
    assert ended.status == "expired"
    assert ended.text == "Batch expired after 24 h: 1 of 3 done, 2 failed"
    by_row = {c.key.row: c for c in lab.cells(matrix.id)}
    assert by_row[0].status is CellStatus.DONE
    for row in (1, 2):
        assert by_row[row].status is CellStatus.CANCELLED
        assert "expired" in by_row[row].error
    assert [k.row for k in lab.store.lab.unfinished(matrix.id)] == [1, 2]

    # A second submit sends only what did not run.
    server.script_batch(BatchScript(answer=echo))
    [again] = lab.submit_and_follow(matrix.id)
    assert again.status == "completed" and again.total == 2
    assert {c.status for c in lab.cells(matrix.id)} == {CellStatus.DONE}


def test_a_batch_that_fails_validation_says_why_and_nothing_is_lost(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(outcome="failed"))
    matrix = lab.matrix()
    assert matrix.id is not None
    [ended] = lab.submit_and_follow(matrix.id)
    assert ended.status == "failed"
    assert ended.text.startswith("Batch failed validation: Enqueued token limit reached")
    cells = lab.cells(matrix.id)
    assert {c.status for c in cells} == {CellStatus.CANCELLED}
    assert all("Enqueued token limit reached for gpt-4o-mini" in c.error for c in cells)
    assert len(lab.store.lab.unfinished(matrix.id)) == 3


def test_a_line_validation_refuses_fails_its_own_cell(lab: Lab, server: ScriptedServer) -> None:
    refused = ("invalid_value", "Invalid value for 'temperature'.")
    server.script_batch(BatchScript(outcome="failed", validation_error=refused, validation_line=2))
    matrix = lab.matrix()
    assert matrix.id is not None
    lab.submit_and_follow(matrix.id)
    by_row = {c.key.row: c for c in lab.cells(matrix.id)}
    assert by_row[1].status is CellStatus.FAILED
    assert by_row[1].error == "Refused by the Batch API (line 2): Invalid value for 'temperature'."
    assert [by_row[r].status for r in (0, 2)] == [CellStatus.CANCELLED, CellStatus.CANCELLED]


def test_cancel_keeps_what_was_done(lab: Lab, server: ScriptedServer) -> None:
    server.script_batch(BatchScript(progress_polls=50, answer=echo))
    matrix = lab.matrix(versions=2)
    assert matrix.id is not None
    lab.runner.poll_s = 0.01

    async def go() -> BatchProgress:
        [sent] = await lab.runner.submit(matrix.id)
        following = asyncio.ensure_future(lab.runner.follow(sent.batch_id))
        while not any(p.status == "in_progress" and p.completed for p in lab.progress):
            await asyncio.sleep(0.005)
        cancelling = await lab.runner.cancel(sent.batch_id)
        assert cancelling.status == "cancelling"
        return await following

    ended = lab.run(go)
    assert ended.status == "cancelled"
    assert any(p.text.startswith("Batch cancelling") for p in lab.progress)
    cells = lab.cells(matrix.id)
    done = [c for c in cells if c.status is CellStatus.DONE]
    rest = [c for c in cells if c.status is not CellStatus.DONE]
    assert len(done) == ended.completed > 0 and rest
    assert all(c.status is CellStatus.CANCELLED and "cancelled" in c.error for c in rest)


def test_a_running_batch_is_picked_up_after_a_restart(
    tmp_path: Path, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(progress_polls=2, answer=echo))
    before = Lab(tmp_path, server, EndpointKind.OPENAI)
    matrix = before.matrix()
    assert matrix.id is not None
    [sent] = before.run(lambda: before.runner.submit(matrix.id))
    assert {c.status for c in before.cells(matrix.id)} == {CellStatus.BATCHED}
    before.close()  # the app quits while the batch runs

    after = Lab(tmp_path, server, EndpointKind.OPENAI)
    try:
        assert after.runner.open_batches() == [sent.batch_id]
        [ended] = after.run(after.runner.resume_batches)
        assert (ended.batch_id, ended.status) == (sent.batch_id, "completed")
        assert {c.status for c in after.cells(matrix.id)} == {CellStatus.DONE}
        assert after.cells(matrix.id)[0].output == "Re: What is the capital of France?"
        assert after.runner.open_batches() == []
        assert len(server.batch_book.uploads()) == 1  # picked up, not sent again
    finally:
        after.close()


def test_endpoints_without_a_batch_api_are_refused_before_sending(
    tmp_path: Path, server: ScriptedServer
) -> None:
    other = Lab(tmp_path, server, EndpointKind.VLLM)
    try:
        matrix = other.matrix()
        assert matrix.id is not None
        with pytest.raises(BatchRefused, match="has no Batch API: only OpenAI endpoints"):
            other.run(lambda: other.runner.submit(matrix.id))
        assert not [r for r in server.requests if r.path.startswith(("/v1/files", "/v1/batches"))]
        assert {c.status for c in other.cells(matrix.id)} == {CellStatus.PENDING}
    finally:
        other.close()


@pytest.mark.parametrize("kind", [AssertionKind.JUDGE, AssertionKind.MAX_LATENCY_MS])
def test_checks_a_batch_cannot_make_are_refused_before_sending(
    lab: Lab, server: ScriptedServer, kind: AssertionKind
) -> None:
    version = lab.store.lab.save_version(
        "judged", "", "Capital of {{country}}?", (Assertion(kind, "5"),)
    )
    matrix = lab.matrix()
    judged = lab.store.lab.create_matrix(
        replace(matrix, id=None, version_ids=(version.id,)),
        lab.store.lab.dataset("countries"),
        plan_cells(replace(matrix, version_ids=(version.id,)), len(COUNTRIES)),
    )
    assert "run this matrix without the Batch API" in (lab.runner.refusal(judged) or "")
    with pytest.raises(BatchRefused, match="judge or a max-latency check"):
        lab.run(lambda: lab.runner.submit(judged.id))
    assert not [r for r in server.requests if r.path.startswith(("/v1/files", "/v1/batches"))]
    assert lab.runner.refusal(matrix) is None  # the same matrix without them may batch


def test_a_model_with_more_cells_than_a_batch_takes_is_split_in_key_order(
    lab: Lab, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workbench.services.prompt_lab.batch.MAX_LINES", 2)
    server.script_batch(BatchScript(answer=echo), BatchScript(answer=echo))
    matrix = lab.matrix()
    assert matrix.id is not None

    async def first_only() -> list[BatchProgress]:
        sent = await lab.runner.submit(matrix.id)
        await lab.runner.follow(sent[0].batch_id)
        return sent

    sent = lab.run(first_only)
    assert [len(u.data.splitlines()) for u in server.batch_book.uploads()] == [2, 1]
    # The first batch's end leaves the second one's cell waiting, not "not run".
    by_row = {c.key.row: c.status for c in lab.cells(matrix.id)}
    assert by_row == {0: CellStatus.DONE, 1: CellStatus.DONE, 2: CellStatus.BATCHED}
    assert lab.runner.open_batches(matrix.id) == [sent[1].batch_id]
    lab.run(lambda: lab.runner.follow(sent[1].batch_id))
    assert {c.status for c in lab.cells(matrix.id)} == {CellStatus.DONE}


def test_following_an_ended_batch_again_stores_nothing_twice(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(answer=echo))
    matrix = lab.matrix()
    assert matrix.id is not None
    [ended] = lab.submit_and_follow(matrix.id)
    before = lab.cells(matrix.id)
    runs = lab.store.costs.today().runs
    # As if the app had died after the results were stored but before the batch was marked
    # ended: the next start follows it again.
    row = lab.store.lab.batch(ended.batch_id)
    assert row is not None
    lab.store.lab.save_batch({**row, "ended": 0})
    [again] = lab.run(lab.runner.resume_batches)
    assert again.status == "completed"
    assert lab.cells(matrix.id) == before
    assert lab.store.costs.today().runs == runs == 3
    assert lab.runner.open_batches() == []


def test_a_batch_that_cannot_be_reached_at_start_stays_open_with_the_reason(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(answer=echo))
    matrix = lab.matrix()
    assert matrix.id is not None
    [sent] = lab.run(lambda: lab.runner.submit(matrix.id))
    server.stop()
    [stalled] = lab.run(lab.runner.resume_batches)
    assert stalled.batch_id == sent.batch_id and stalled.errors
    assert stalled.text == (
        "Batch: validating the requests…: could not check on it (Connection error.); "
        "it is tried again next start"
    )
    assert lab.progress[-1] == stalled
    assert lab.runner.open_batches() == [sent.batch_id]
    assert {c.status for c in lab.cells(matrix.id)} == {CellStatus.BATCHED}


def test_a_cell_whose_template_cannot_be_rendered_fails_and_the_rest_are_sent(
    lab: Lab, server: ScriptedServer
) -> None:
    server.script_batch(BatchScript(answer=echo))
    dataset = Dataset("mixed", ("country",), ({"country": "France"}, {"place": "Peru"}))
    lab.store.lab.save_dataset(dataset)
    version = lab.store.lab.save_version("capital", "", "What is the capital of {{country}}?")
    assert version.id is not None
    column = ModelColumn("batch", "gpt-4o-mini", RunParams(model="gpt-4o-mini"))
    matrix = Matrix(None, "mixed", (version.id,), "mixed", (column,), via_batch=True)
    matrix = lab.store.lab.create_matrix(matrix, dataset, plan_cells(matrix, 2))
    assert matrix.id is not None
    [ended] = lab.submit_and_follow(matrix.id)
    assert ended.total == 1
    assert [line["custom_id"] for line in _uploaded_lines(server)] == [
        f"cell-v{version.id}-r0-c0-k0"
    ]
    by_row = {c.key.row: c for c in lab.cells(matrix.id)}
    assert by_row[0].status is CellStatus.DONE
    assert by_row[1].status is CellStatus.FAILED and "country" in by_row[1].error
