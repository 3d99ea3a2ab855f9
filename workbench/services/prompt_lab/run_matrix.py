"""Run a stored matrix without the app: `python -m workbench.services.prompt_lab.run_matrix
--data-dir DIR --matrix ID`. Runs what is unfinished (so it also resumes), one line per cell.

Exit status: 0 when every cell finished, 1 when some were cancelled, 2 when it could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from workbench.core.prompt_lab.model import Cell
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.paths import data_paths
from workbench.services.prompt_lab.runner import MatrixMissing, MatrixRunner
from workbench.services.run_service import RunService
from workbench.services.store import Store, StoreError


def cell_line(cell: Cell) -> str:
    k = cell.key
    verdict = {True: " pass", False: " fail", None: ""}[cell.passed]
    return f"CELL v{k.version_id} r{k.row} c{k.column} k{k.repeat} {cell.status}{verdict}"


async def run(data_dir: str, matrix_id: int) -> int:
    paths = data_paths(data_dir)
    try:
        store = Store.open(paths.database)
    except StoreError as problem:
        print(f"Cannot open the store: {problem}", file=sys.stderr)
        return 2
    if store.read_only:
        store.close()
        print("The data folder is in use by another Workbench; close it first.", file=sys.stderr)
        return 2
    local = LocalServer()
    connector = Connector(EndpointRegistry(paths.endpoints), KeyVault(), local)
    runner = MatrixRunner(
        RunService(store, connector), matrix_id, lambda c: print(cell_line(c), flush=True)
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.cancel)
    try:
        await runner.run()
    except MatrixMissing as problem:
        print(problem, file=sys.stderr)
        return 2
    finally:
        await connector.close()
        await local.stop()
        store.close()
    progress = runner.progress
    print(f"FINISHED {progress.finished}/{progress.total}", flush=True)
    return 0 if progress.finished == progress.total else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="the Workbench data folder")
    parser.add_argument("--matrix", required=True, type=int, help="the matrix's id")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.data_dir, args.matrix))


if __name__ == "__main__":
    sys.exit(main())
