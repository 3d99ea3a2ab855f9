"""Prompt Lab test helpers: a scripted endpoint, a small stored matrix, the cells a server saw."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.support.scripted_server import ScriptedServer
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.prompt_lab.model import Assertion, Dataset, Matrix, ModelColumn
from workbench.core.runs import RunParams
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.prompt_lab.matrices import new_matrix
from workbench.services.store import Store

LAB_KEY = "sk-lab-test-key-0123456789"
USER_TEMPLATE = "Question {{ n }}: say hello to {{ name }}."


def scripted_endpoint(
    registry_path: Path, server: ScriptedServer, key: str | None = LAB_KEY
) -> tuple[EndpointRegistry, KeyVault, str]:
    registry = EndpointRegistry(registry_path)
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
        base_url=server.base_url, default_model="gpt-4o"
    )
    registry.upsert(endpoint)
    registry.set_active(endpoint.id)
    keys = KeyVault()
    if key:
        keys.set(endpoint, key)
    return registry, keys, endpoint.id


def lab_connector(tmp_path: Path, server: ScriptedServer) -> tuple[Connector, str]:
    registry, keys, endpoint_id = scripted_endpoint(tmp_path / "endpoints.json", server)
    return Connector(registry, keys, LocalServer(), max_retries=0), endpoint_id


def dataset(rows: int) -> Dataset:
    return Dataset(
        "people", ("n", "name"), tuple({"n": str(i), "name": f"person{i}"} for i in range(rows))
    )


def sample_matrix(
    store: Store,
    endpoint_id: str,
    rows: int = 4,
    models: tuple[str, ...] = ("gpt-4o", "gpt-4o-mini"),
    assertions: tuple[Assertion, ...] = (),
    repeats: int = 1,
    concurrency: int | None = None,
    system: str = "You are terse.",
) -> Matrix:
    version = store.lab.save_version("greeting", system, USER_TEMPLATE, assertions)
    columns = tuple(
        ModelColumn(endpoint_id, m, RunParams(model=m, max_tokens=20), m) for m in models
    )
    limits = {endpoint_id: concurrency} if concurrency else {}
    return new_matrix(store, "test", [version], dataset(rows), columns, repeats, limits)


def asked(server: ScriptedServer) -> Counter[tuple[str, str]]:
    """How many times each (user message, model) was asked for: one cell each, judges apart."""
    seen: Counter[tuple[str, str]] = Counter()
    for request in server.requests:
        body = request.body or {}
        # A request cut off while it was sent (a cancel) has no body: no model saw it.
        if not request.path.endswith("/chat/completions") or "messages" not in body:
            continue
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        seen[(user, body["model"])] += 1
    return seen
