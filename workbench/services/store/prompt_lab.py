"""The Prompt Lab's store: prompts and their versions, datasets, matrices, cells and batch jobs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from workbench.core.clock import utc_now_iso
from workbench.core.prompt_lab.codec import (
    assertions_from_json,
    assertions_to_json,
    checks_from_json,
    checks_to_json,
    columns_from_json,
    columns_to_json,
)
from workbench.core.prompt_lab.model import (
    Assertion,
    Cell,
    CellKey,
    CellStatus,
    CheckResult,
    Dataset,
    Matrix,
    PromptVersion,
)

_CELL_FIELDS = (
    "status, output, latency_ms, queue_ms, prompt_tokens, completion_tokens, cost_usd, "
    "price_status, run_id, error, checks_json, batch_discount"
)
_UNFINISHED = tuple(s.value for s in CellStatus if not s.finished)
_FINISHED = tuple(s.value for s in CellStatus if s.finished)
_STATUS = {s.value: s for s in CellStatus}  # a dict lookup, cheaper than CellStatus(text)
_BATCH_FIELDS = (
    "id",
    "matrix_id",
    "endpoint_id",
    "status",
    "input_file_id",
    "output_file_id",
    "error_file_id",
    "counts_json",
    "created_at",
    "updated_at",
    "ended",
)


class PromptLabQueries:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    # --- prompts and versions ----------------------------------------------------------------
    def prompt_names(self) -> list[str]:
        rows = self._db.execute("SELECT name FROM lab_prompts ORDER BY name COLLATE NOCASE")
        return [r[0] for r in rows]

    def save_version(
        self, prompt_name: str, system: str, user: str, assertions: Sequence[Assertion] = ()
    ) -> PromptVersion:
        """Every save is a new version (numbered from 1); nothing earlier is overwritten."""
        name = prompt_name.strip()
        if not name:
            raise ValueError("a saved prompt needs a name")
        now = utc_now_iso()
        with self._db.conn:
            self._db.execute(
                "INSERT OR IGNORE INTO lab_prompts (name, created_at) VALUES (?, ?)", [name, now]
            )
            number = self._db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM lab_versions WHERE prompt_name = ?",
                [name],
            ).fetchone()[0]
            cursor = self._db.execute(
                "INSERT INTO lab_versions (prompt_name, number, system, user, assertions_json, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [name, number, system, user, assertions_to_json(tuple(assertions)), now],
            )
        return PromptVersion(
            int(cursor.lastrowid or 0), name, number, system, user, tuple(assertions), now
        )

    def versions(self, prompt_name: str) -> list[PromptVersion]:
        """Oldest first."""
        rows = self._db.execute(
            f"SELECT {_VERSION_FIELDS} FROM lab_versions WHERE prompt_name = ? ORDER BY number",
            [prompt_name],
        )
        return [_version(r) for r in rows]

    def version(self, version_id: int) -> PromptVersion | None:
        row = self._db.execute(
            f"SELECT {_VERSION_FIELDS} FROM lab_versions WHERE id = ?", [version_id]
        ).fetchone()
        return _version(row) if row else None

    def latest(self, prompt_name: str) -> PromptVersion | None:
        row = self._db.execute(
            f"SELECT {_VERSION_FIELDS} FROM lab_versions WHERE prompt_name = ? "
            "ORDER BY number DESC LIMIT 1",
            [prompt_name],
        ).fetchone()
        return _version(row) if row else None

    # --- datasets ------------------------------------------------------------------------------
    def dataset_names(self) -> list[str]:
        rows = self._db.execute("SELECT name FROM lab_datasets ORDER BY name COLLATE NOCASE")
        return [r[0] for r in rows]

    def save_dataset(self, dataset: Dataset) -> None:
        """Saved under its name, replacing a dataset of the same name."""
        if not dataset.name.strip():
            raise ValueError("a saved dataset needs a name")
        with self._db.conn:
            self._db.execute(
                "INSERT INTO lab_datasets (name, columns_json, rows_json, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "columns_json = excluded.columns_json, rows_json = excluded.rows_json, "
                "updated_at = excluded.updated_at",
                [dataset.name, *_dataset_json(dataset), utc_now_iso()],
            )

    def dataset(self, name: str) -> Dataset | None:
        row = self._db.execute(
            "SELECT name, columns_json, rows_json FROM lab_datasets WHERE name = ?", [name]
        ).fetchone()
        return _dataset(*row) if row else None

    def delete_dataset(self, name: str) -> None:
        with self._db.conn:
            self._db.execute("DELETE FROM lab_datasets WHERE name = ?", [name])

    # --- matrices ------------------------------------------------------------------------------
    def create_matrix(self, matrix: Matrix, dataset: Dataset, keys: Iterable[CellKey]) -> Matrix:
        """Stores the matrix with its dataset as it is now, and one pending cell per key."""
        columns_json, rows_json = _dataset_json(dataset)
        with self._db.conn:
            cursor = self._db.execute(
                "INSERT INTO lab_matrices (name, version_ids_json, dataset_name, dataset_json, "
                "columns_json, repeats, concurrency_json, via_batch, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    matrix.name,
                    json.dumps(list(matrix.version_ids)),
                    dataset.name,
                    json.dumps(
                        {"columns": json.loads(columns_json), "rows": json.loads(rows_json)}
                    ),
                    columns_to_json(matrix.columns),
                    matrix.repeats,
                    json.dumps(matrix.concurrency),
                    int(matrix.via_batch),
                    utc_now_iso(),
                ],
            )
            matrix_id = int(cursor.lastrowid or 0)
            self._db.conn.executemany(
                'INSERT INTO lab_cells (matrix_id, version_id, "row", col, "repeat", status, '
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (matrix_id, k.version_id, k.row, k.column, k.repeat, "pending", utc_now_iso())
                    for k in keys
                ],
            )
        saved = self.matrix(matrix_id)
        assert saved is not None
        return saved

    def matrix(self, matrix_id: int) -> Matrix | None:
        row = self._db.execute(
            f"SELECT {_MATRIX_FIELDS} FROM lab_matrices WHERE id = ?", [matrix_id]
        ).fetchone()
        return _matrix(row) if row else None

    def matrices(self) -> list[Matrix]:
        """Newest first."""
        rows = self._db.execute(f"SELECT {_MATRIX_FIELDS} FROM lab_matrices ORDER BY id DESC")
        return [_matrix(r) for r in rows]

    def matrix_dataset(self, matrix_id: int) -> Dataset | None:
        """The dataset as the matrix was made with it."""
        row = self._db.execute(
            "SELECT dataset_name, dataset_json FROM lab_matrices WHERE id = ?", [matrix_id]
        ).fetchone()
        if row is None:
            return None
        data = json.loads(row[1] or "{}")
        return Dataset(
            row[0],
            tuple(data.get("columns", ())),
            tuple(dict(r) for r in data.get("rows", ())),
        )

    def delete_matrix(self, matrix_id: int) -> None:
        with self._db.conn:
            self._db.execute("DELETE FROM lab_cells WHERE matrix_id = ?", [matrix_id])
            self._db.execute("DELETE FROM lab_batches WHERE matrix_id = ?", [matrix_id])
            self._db.execute("DELETE FROM lab_matrices WHERE id = ?", [matrix_id])

    # --- cells ---------------------------------------------------------------------------------
    def cells(self, matrix_id: int) -> list[Cell]:
        """Every cell, in key order (version, row, column, repeat)."""
        rows = self._db.execute(
            f'SELECT version_id, "row", col, "repeat", {_CELL_FIELDS} FROM lab_cells '
            'WHERE matrix_id = ? ORDER BY version_id, "row", col, "repeat"',
            [matrix_id],
        )
        # Most cells share a few checks texts ('all passed', 'none yet'): each is decoded once.
        decoded: dict[str | None, tuple[CheckResult, ...]] = {}
        return [_cell(r, decoded) for r in rows]

    def cell(self, matrix_id: int, key: CellKey) -> Cell | None:
        row = self._db.execute(
            f'SELECT version_id, "row", col, "repeat", {_CELL_FIELDS} FROM lab_cells '
            'WHERE matrix_id = ? AND version_id = ? AND "row" = ? AND col = ? AND "repeat" = ?',
            [matrix_id, *_key(key)],
        ).fetchone()
        return _cell(row, {}) if row else None

    def save_cell(self, matrix_id: int, cell: Cell) -> None:
        self.save_cells(matrix_id, (cell,))

    def save_cells(self, matrix_id: int, cells: Iterable[Cell]) -> None:
        """Inserted or replaced by key, in one transaction."""
        now = utc_now_iso()
        with self._db.conn:
            self._db.conn.executemany(
                'INSERT OR REPLACE INTO lab_cells (matrix_id, version_id, "row", col, "repeat", '
                f"{_CELL_FIELDS}, updated_at) VALUES ({', '.join('?' * 18)})",
                [(matrix_id, *_key(c.key), *_cell_values(c), now) for c in cells],
            )

    def set_status(self, matrix_id: int, keys: Iterable[CellKey], status: CellStatus) -> None:
        with self._db.conn:
            self._db.conn.executemany(
                "UPDATE lab_cells SET status = ?, updated_at = ? WHERE matrix_id = ? AND "
                'version_id = ? AND "row" = ? AND col = ? AND "repeat" = ?',
                [(str(status), utc_now_iso(), matrix_id, *_key(k)) for k in keys],
            )

    def queue_unfinished(self, matrix_id: int) -> int:
        """Every cell to run (not finished, not waiting in a batch) marked queued, in one
        statement: a runner starting 10,000 cells. Returns how many."""
        kept = (*_FINISHED, str(CellStatus.BATCHED))
        where = f"status NOT IN ({', '.join('?' * len(kept))})"
        return self._restatus(matrix_id, CellStatus.QUEUED, where, kept)

    def cancel_queued(self, matrix_id: int) -> int:
        """Cells still queued (a runner stopped before their turn) marked cancelled, to run
        again on resume. Returns how many."""
        return self._restatus(matrix_id, CellStatus.CANCELLED, "status = ?", (CellStatus.QUEUED,))

    def _restatus(self, matrix_id: int, status: CellStatus, where: str, args: Sequence[str]) -> int:
        with self._db.conn:
            cursor = self._db.execute(
                f"UPDATE lab_cells SET status = ?, updated_at = ? WHERE matrix_id = ? AND {where}",
                [str(status), utc_now_iso(), matrix_id, *map(str, args)],
            )
        return cursor.rowcount

    def unfinished(self, matrix_id: int) -> list[CellKey]:
        """Cells to run (again): anything not done or failed, in key order."""
        marks = ", ".join("?" * len(_UNFINISHED))
        rows = self._db.execute(
            f'SELECT version_id, "row", col, "repeat" FROM lab_cells WHERE matrix_id = ? '
            f'AND status IN ({marks}) ORDER BY version_id, "row", col, "repeat"',
            [matrix_id, *_UNFINISHED],
        )
        return [CellKey(*r) for r in rows]

    def cell_states(self, matrix_id: int) -> list[tuple[CellKey, CellStatus]]:
        """Every cell's key and status, in key order: what a runner needs, without the outputs."""
        rows = self._db.execute(
            'SELECT version_id, "row", col, "repeat", status FROM lab_cells WHERE matrix_id = ? '
            'ORDER BY version_id, "row", col, "repeat"',
            [matrix_id],
        )
        return [(CellKey(v, r, c, k), CellStatus(s)) for v, r, c, k, s in rows]

    def recover_interrupted(self) -> int:
        """After a crash: cells left queued or running are marked cancelled (to run again on
        resume), so nothing looks busy that is not. Returns how many."""
        busy = (str(CellStatus.QUEUED), str(CellStatus.RUNNING))
        with self._db.conn:
            cursor = self._db.execute(
                "UPDATE lab_cells SET status = ?, updated_at = ? WHERE status IN (?, ?)",
                [str(CellStatus.CANCELLED), utc_now_iso(), *busy],
            )
        return cursor.rowcount

    def status_counts(self, matrix_id: int) -> dict[CellStatus, int]:
        rows = self._db.execute(
            "SELECT status, COUNT(*) FROM lab_cells WHERE matrix_id = ? GROUP BY status",
            [matrix_id],
        )
        return {CellStatus(s): n for s, n in rows}

    # --- Batch API jobs (rows as dicts of the lab_batches columns) -------------------------------
    def save_batch(self, batch: dict[str, Any]) -> None:
        """Inserted or replaced by id; created_at is kept from the first save."""
        row = {k: batch.get(k) for k in _BATCH_FIELDS}
        now = utc_now_iso()
        row["updated_at"] = now
        old = self.batch(str(row["id"]))
        row["created_at"] = (old or {}).get("created_at") or row["created_at"] or now
        with self._db.conn:
            self._db["lab_batches"].insert(row, replace=True)

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        rows = list(self._db.query("SELECT * FROM lab_batches WHERE id = ?", [batch_id]))
        return rows[0] if rows else None

    def batches(
        self, matrix_id: int | None = None, open_only: bool = False
    ) -> list[dict[str, Any]]:
        """Oldest first; open_only keeps the jobs not ended (to pick up after a restart)."""
        where, args = [], []
        if matrix_id is not None:
            where.append("matrix_id = ?")
            args.append(matrix_id)
        if open_only:
            where.append("COALESCE(ended, 0) = 0")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return list(
            self._db.query(f"SELECT * FROM lab_batches {clause} ORDER BY created_at, id", args)
        )


_VERSION_FIELDS = "id, prompt_name, number, system, user, assertions_json, created_at"
_MATRIX_FIELDS = (
    "id, name, version_ids_json, dataset_name, columns_json, repeats, concurrency_json, via_batch"
)


def _version(row: Sequence[Any]) -> PromptVersion:
    vid, name, number, system, user, assertions, created = row
    return PromptVersion(
        vid, name, number, system or "", user or "", assertions_from_json(assertions), created
    )


def _dataset_json(dataset: Dataset) -> tuple[str, str]:
    return json.dumps(list(dataset.columns)), json.dumps([dict(r) for r in dataset.rows])


def _dataset(name: str, columns_json: str, rows_json: str) -> Dataset:
    rows = tuple({str(k): str(v) for k, v in r.items()} for r in json.loads(rows_json))
    return Dataset(name, tuple(json.loads(columns_json)), rows)


def _matrix(row: Sequence[Any]) -> Matrix:
    mid, name, versions, dataset_name, columns, repeats, concurrency, via_batch = row
    return Matrix(
        id=mid,
        name=name or "",
        version_ids=tuple(int(v) for v in json.loads(versions)),
        dataset_name=dataset_name,
        columns=columns_from_json(columns),
        repeats=int(repeats or 1),
        concurrency={str(k): int(v) for k, v in json.loads(concurrency or "{}").items()},
        via_batch=bool(via_batch),
    )


def _key(key: CellKey) -> tuple[int, int, int, int]:
    return key.version_id, key.row, key.column, key.repeat


def _cell_values(c: Cell) -> tuple[Any, ...]:
    return (
        str(c.status),
        c.output,
        c.latency_ms,
        c.queue_ms,
        c.prompt_tokens,
        c.completion_tokens,
        c.cost_usd,
        c.price_status,
        c.run_id,
        c.error,
        checks_to_json(c.checks),
        int(c.batch_discount),
    )


def _cell(row: Sequence[Any], decoded: dict[str | None, tuple[CheckResult, ...]]) -> Cell:
    """One row as a Cell. `decoded` memoises checks texts across one read (CheckResults are
    frozen, so cells may share them)."""
    v, r, col, rep, status, output, lat, queue, pt, ct, cost, price, run_id, err, checks, disc = row
    found = decoded.get(checks)
    if found is None:
        found = decoded[checks] = checks_from_json(checks)
    return Cell(
        CellKey(v, r, col, rep),
        _STATUS[status],
        output or "",
        lat,
        queue,
        pt,
        ct,
        cost,
        price or "",
        run_id,
        err or "",
        found,
        bool(disc),
    )
