"""A 10,000-cell matrix through the Batch API on the scripted server (in a process of its own):
how long the app's event loop is held while the batch is written, followed and merged, against
the same loop left idle for as long, in the same run (so a busy machine shows in both figures).

    .venv/bin/python -m bench.lab_batch [--rows 1000] [--versions 10]

A 1 ms probe timer measures the loop's lateness: p99 and worst, idle and during the batch. The
batch's own work (templates, prices, checks, runs and cells written) runs in worker threads and
on the store's writer connection; what is left on the loop is the SDK's I/O. The worst passes
left are the garbage collector's full collections, which stop every thread; `--gc-freeze`
shows them without the objects alive after start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from pathlib import Path

from bench.scripted import scripted_process
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.prompt_lab.model import CellStatus, Dataset, Matrix, ModelColumn
from workbench.core.prompt_lab.plan import plan_cells
from workbench.core.runs import RunParams
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.prompt_lab.batch import BatchRunner
from workbench.services.store import Store

KEY = "sk-bench-batch-0123456789"


class Probe:
    """Wakes every millisecond and keeps how late each wake-up was."""

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.late_ms.append((time.perf_counter() - before - 0.001) * 1000)

    def start(self) -> None:
        self.late_ms = []
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> tuple[float, float]:
        assert self._task is not None
        self._task.cancel()
        late = sorted(self.late_ms) or [0.0]
        return late[int(0.99 * (len(late) - 1))], late[-1]


def measure(folder: Path, base_url: str, rows: int, versions: int) -> dict[str, float]:
    store = Store.open(folder / "lab.db")
    registry = EndpointRegistry(folder / "endpoints.json")
    endpoint = new_endpoint(EndpointKind.OPENAI, "bench").with_changes(base_url=base_url)
    registry.upsert(endpoint)
    keys = KeyVault()
    keys.set(endpoint, KEY)
    connector = Connector(registry, keys, LocalServer(), max_retries=0)
    dataset = Dataset("d", ("topic",), tuple({"topic": f"topic {n}"} for n in range(rows)))
    store.lab.save_dataset(dataset)
    ids = []
    for number in range(versions):
        version = store.lab.save_version("p", f"Version {number}.", "Tell me about {{topic}}.")
        assert version.id is not None
        ids.append(version.id)
    column = ModelColumn(endpoint.id, "gpt-4o-mini", RunParams(model="gpt-4o-mini"))
    matrix = Matrix(None, "bench", tuple(ids), "d", (column,), via_batch=True)
    matrix = store.lab.create_matrix(matrix, dataset, plan_cells(matrix, rows))
    matrix_id = matrix.id
    assert matrix_id is not None
    runner = BatchRunner(store, connector, poll_s=0.0)
    figures: dict[str, float] = {}

    async def go() -> None:
        probe = Probe()
        probe.start()
        started = time.perf_counter()
        [sent] = await runner.submit(matrix_id)
        figures["submit_s"] = time.perf_counter() - started
        figures["submit_p99"], figures["submit_max"] = probe.stop()
        probe.start()
        started = time.perf_counter()
        await runner.follow(sent.batch_id)
        figures["merge_s"] = time.perf_counter() - started
        figures["merge_p99"], figures["merge_max"] = probe.stop()
        probe.start()
        await asyncio.sleep(figures["submit_s"] + figures["merge_s"])
        figures["idle_p99"], figures["idle_max"] = probe.stop()
        await connector.close()

    asyncio.run(go())
    figures["done"] = sum(1 for c in store.lab.cells(matrix_id) if c.status is CellStatus.DONE)
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="after the warm-up, move everything alive into the GC's permanent generation "
        "(what an app could do once started): full collections then skip those objects",
    )
    args = parser.parse_args()
    import workbench.services.clients  # noqa: F401  (the app preloads the SDK at start-up too)

    with (
        scripted_process(KEY) as base_url,
        tempfile.TemporaryDirectory() as warm,
        tempfile.TemporaryDirectory() as real,
    ):
        measure(Path(warm), base_url, 10, 1)  # imports and first connections, not measured
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        f = measure(Path(real), base_url, args.rows, args.versions)
    print(f"{args.rows * args.versions:,} cells, one model; {f['done']:,.0f} done")
    print(f"submit {f['submit_s']:.2f} s, follow to the end and merge {f['merge_s']:.2f} s")
    print(f"{'loop lateness (ms)':<28}{'p99':>10}{'worst':>10}")
    for name, label in (
        ("idle", "idle, same length"),
        ("submit", "submit"),
        ("merge", "follow + merge"),
    ):
        print(f"{label:<28}{f[name + '_p99']:>10.1f}{f[name + '_max']:>10.1f}")
    worst = max(f["submit_max"], f["merge_max"])
    print(f"worst during the batch / worst idle: {worst / max(f['idle_max'], 1e-9):.2f}")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
