"""Compare: do N columns really stream at once? Wall time of a comparison against one column.

A scripted server runs in its own process (bench.pipeline's ServerProcess), streaming 120 tokens
5 ms apart (about 0.6 s an answer). For N = 1..6 columns, `services.comparison_run.ComparisonRun`
(what the Compare panel runs: every answer through the run pipeline into the store) sends one
prompt to every column, on one asyncio loop. Baseline, measured in the same run: the same N answers
one after another (what a panel that ran columns in turn would take). Prints the median of --rounds
wall times, the ratio to one column (1.0 would be perfectly concurrent) and the speed-up over
running them in turn.
Run: .venv/bin/python -m bench.compare [--rounds 5] [--tokens 120] [--delay 0.005]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import keyring.backends.fail

from bench.pipeline import KEY, MODEL, ServerProcess, answer_text
from workbench.core.comparison import ColumnSpec
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.runs import RunParams
from workbench.services.comparison_run import ComparisonRun
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.run_service import RunService
from workbench.services.store import Store


async def _comparison(store: Store, connector: Connector, endpoint_id: str, columns: int) -> float:
    spec = ColumnSpec(endpoint_id, "Scripted", RunParams(model=MODEL))
    comparison = store.comparisons.create("Bench prompt", [spec] * columns, repeats=1)
    runs = RunService(store, connector)
    run = ComparisonRun(runs, comparison, lambda *_a: None, lambda *_a: None)
    started = time.perf_counter()
    await run.execute()
    return time.perf_counter() - started


async def _in_turn(store: Store, connector: Connector, endpoint_id: str, columns: int) -> float:
    total = 0.0
    for _ in range(columns):
        total += await _comparison(store, connector, endpoint_id, 1)
    return total


async def _measure(base_url: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.db")
        registry = EndpointRegistry(Path(folder) / "endpoints.json")
        endpoint = new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
            base_url=base_url, default_model=MODEL
        )
        registry.upsert(endpoint)
        keys = KeyVault(keyring.backends.fail.Keyring())  # never the user's: kept in memory
        keys.set(endpoint, KEY)
        connector = Connector(registry, keys, LocalServer(), max_retries=0)
        await _comparison(store, connector, endpoint.id, 2)  # warm the client's connections
        single = statistics.median(
            [await _comparison(store, connector, endpoint.id, 1) for _ in range(rounds)]
        )
        print(f"1 column: {single * 1000:.0f} ms")
        for columns in range(2, 7):
            together = statistics.median(
                [await _comparison(store, connector, endpoint.id, columns) for _ in range(rounds)]
            )
            in_turn = await _in_turn(store, connector, endpoint.id, columns)
            print(
                f"{columns} columns: {together * 1000:5.0f} ms at once, {in_turn * 1000:5.0f} ms "
                f"in turn · {together / single:.2f}x one column · {in_turn / together:.1f}x faster"
            )
        await connector.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=120)
    parser.add_argument("--delay", type=float, default=0.005)
    args = parser.parse_args()
    with ServerProcess(answer_text(args.tokens), args.delay) as server:
        asyncio.run(_measure(server.base_url, args.rounds))


if __name__ == "__main__":
    main()
