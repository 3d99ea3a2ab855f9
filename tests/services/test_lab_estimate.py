"""A matrix's size and cost before it runs: requests, tiktoken counts, genai-prices, budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from workbench.core.budget import Level, judge
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.prompt_lab.model import Assertion, AssertionKind, Dataset, ModelColumn
from workbench.core.runs import PriceStatus, RunParams
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.prompt_lab.estimate import estimate_matrix
from workbench.services.prompt_lab.matrices import new_matrix
from workbench.services.run_service import RunService
from workbench.services.store import Store
from workbench.services.tokens import TokenCounter

ROWS = Dataset("d", ("topic",), tuple({"topic": f"topic number {i}"} for i in range(10)))


def service(tmp_path: Path, store: Store, kind: EndpointKind) -> tuple[RunService, str]:
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    endpoint = new_endpoint(kind, "E")
    registry.upsert(endpoint)
    connector = Connector(registry, KeyVault(), LocalServer())
    return RunService(store, connector), endpoint.id


def test_requests_tokens_and_price_of_a_matrix(tmp_path: Path, store: Store) -> None:
    runs, endpoint_id = service(tmp_path, store, EndpointKind.OPENAI)
    counter = TokenCounter(tmp_path / "cache")
    plain = store.lab.save_version("p", "Be brief.", "Explain {{ topic }}.")
    judged = store.lab.save_version(
        "p", "Be brief.", "Explain {{ topic }}.", (Assertion(AssertionKind.JUDGE, "Is short."),)
    )
    columns = [
        ModelColumn(endpoint_id, "gpt-4o-mini", RunParams(max_tokens=50)),
        ModelColumn(endpoint_id, "gpt-4o", RunParams(max_tokens=50)),
    ]
    once = new_matrix(store, "once", [plain], ROWS, columns)
    estimate = estimate_matrix(runs, counter, once, [plain], ROWS)
    assert estimate.requests == 20
    per_row = [
        counter.count_messages(m, [("system", "Be brief."), ("user", f"Explain {r['topic']}.")])
        for r in ROWS.rows
        for m in ("gpt-4o-mini", "gpt-4o")
    ]
    assert estimate.prompt_tokens == sum(per_row)
    assert estimate.estimate.price.status is PriceStatus.PRICED
    assert estimate.estimate.usd > 0 and estimate.estimate.bounded

    twice = replace(once, repeats=2)
    doubled = estimate_matrix(runs, counter, twice, [plain], ROWS)
    assert doubled.requests == 40 and doubled.prompt_tokens == 2 * estimate.prompt_tokens
    assert abs(doubled.estimate.usd - 2 * estimate.estimate.usd) < 1e-12

    with_judge = new_matrix(store, "judged", [judged], ROWS, columns)
    judged_estimate = estimate_matrix(runs, counter, with_judge, [judged], ROWS)
    assert judged_estimate.requests == 40
    assert judged_estimate.estimate.usd > estimate.estimate.usd
    # The budget question the app already asks.
    verdict = judge(0.0, judged_estimate.estimate, limit=judged_estimate.estimate.usd / 2)
    assert verdict.level is Level.OVER and "would take today's spend" in verdict.message
    assert judge(0.0, judged_estimate.estimate, limit=100.0).level is Level.OK


def test_a_matrix_on_this_machine_is_free(tmp_path: Path, store: Store) -> None:
    runs, endpoint_id = service(tmp_path, store, EndpointKind.LOCAL)
    version = store.lab.save_version("p", "", "Explain {{ topic }}.")
    columns = [ModelColumn(endpoint_id, "smollm2", RunParams(max_tokens=8))]
    matrix = new_matrix(store, "m", [version], ROWS, columns)
    estimate = estimate_matrix(runs, TokenCounter(tmp_path / "cache"), matrix, [version], ROWS)
    assert estimate.requests == 10 and estimate.estimate.free
