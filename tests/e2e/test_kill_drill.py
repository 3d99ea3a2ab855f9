"""The crash drill: kill -9 the real app mid-answer, again and again, and lose nothing.

One scripted server streams a long answer slowly. Each round starts the app as a person would
(`workbench --data-dir DIR --prompt ...`, the same DIR every time, so the database accumulates),
waits until the answer is being checkpointed, kills the process with SIGKILL at a random moment,
and then opens the store as the next start would. After every round: every question ever asked
is there, no answer is left "streaming", every cut-off answer holds what arrived (a prefix of
what the server sent) and is marked interrupted, and SQLite's integrity check says ok.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import stop_process
from tests.support.scripted_server import cli_command
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.sessions import MessageStatus
from workbench.services.endpoints import EndpointRegistry
from workbench.services.paths import DataPaths
from workbench.services.store import Store

ROUNDS = 50
SEED = 20240613
KILL_AFTER_MAX_S = 1.5  # how long after the first checkpoint the kill may come
TOKEN_DELAY_S = 0.02  # the scripted server waits this long before every chunk
STREAM_START_LIMIT_S = 30.0  # app start-up plus the first checkpoint, on a busy machine
MAX_FAILED_ROUNDS = 3  # a broken build fails fast instead of timing out 50 times
STDERR_TAIL_CHARS = 3000

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]

# About 450 tokens: at 20 ms each an answer takes ~9 s, far longer than any kill waits, so
# nearly every round cuts an answer off mid-way; one that finishes anyway must be complete.
_SENTENCES = (
    "The store keeps every message in a tree, so edits and regenerations make branches.",
    "Checkpoints are append-only chunks; each one costs only the size of the new text.",
    "When the process dies, the next start folds the chunks back into the answer.",
    "Nothing the user typed is ever sent before it has been committed to disk.",
    "WAL mode lets readers look at the database while the writer keeps going.",
)
ANSWER_TEXT = " ".join(_SENTENCES[i % len(_SENTENCES)] for i in range(32))


def question(n: int) -> str:
    return f"drill message {n}"


@dataclass(frozen=True)
class RoundResult:
    number: int
    kill_after_s: float
    answer_status: str
    answer_chars: int


class RoundFailed(AssertionError):
    pass


@pytest.fixture
def scripted_server(tmp_path: Path) -> Iterator[str]:
    log = (tmp_path / "scripted-server.err").open("w")
    process = subprocess.Popen(
        cli_command(text=ANSWER_TEXT, delay=TOKEN_DELAY_S),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().strip()
        assert ready.startswith("READY "), f"scripted server did not start: {ready!r}"
        yield ready.removeprefix("READY ")
    finally:
        stop_process(process)
        log.close()


def use_scripted_endpoint(paths: DataPaths, base_url: str) -> None:
    registry = EndpointRegistry(paths.endpoints)
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
        base_url=base_url, default_model="gpt-4o"
    )
    registry.upsert(endpoint)
    registry.set_active(endpoint.id)


def launch_app(paths: DataPaths, prompt: str, stderr_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # The child has no test fixture: make sure it never reaches a real keyring.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    with stderr_path.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "workbench", "--data-dir", str(paths.root), "--prompt", prompt],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def answer_checkpointed(database: Path, prompt: str) -> bool:
    """Whether the answer to `prompt` has text checkpointed on disk (read-only look)."""
    if not database.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute(
            "SELECT count(*) FROM message_chunks c "
            "JOIN messages a ON a.id = c.message_id "
            "JOIN messages q ON q.id = a.parent_id "
            "WHERE q.role = 'user' AND q.content = ? AND length(c.text) > 0",
            [prompt],
        ).fetchone()
        return bool(row and row[0])
    except sqlite3.Error:  # not created or migrated yet, or busy for a moment
        return False
    finally:
        conn.close()


def wait_for_stream(app: subprocess.Popen[bytes], database: Path, prompt: str) -> None:
    deadline = time.monotonic() + STREAM_START_LIMIT_S
    while not answer_checkpointed(database, prompt):
        if app.poll() is not None:
            raise RoundFailed(f"the app exited with {app.returncode} before the answer streamed")
        if time.monotonic() > deadline:
            raise RoundFailed(f"no checkpointed answer within {STREAM_START_LIMIT_S:.0f} s")
        time.sleep(0.02)


def check_store(paths: DataPaths, rounds_done: int) -> tuple[str, str, int]:
    """Open the store as the next start would; returns this round's answer status, text and
    how many answers the opening recovered."""
    store = Store.open(paths.database)
    try:
        db = store.db
        integrity = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
        assert integrity == ["ok"], f"integrity_check: {integrity}"

        questions = [
            r[0] for r in db.execute("SELECT content FROM messages WHERE role = 'user' ORDER BY id")
        ]
        assert questions == [question(n) for n in range(rounds_done)], "a question was lost"

        streaming = db.execute(
            "SELECT count(*) FROM messages WHERE status = ?", [str(MessageStatus.STREAMING)]
        ).fetchone()[0]
        assert streaming == 0, f"{streaming} answer(s) still marked streaming after recovery"
        leftover_chunks = db.execute("SELECT count(*) FROM message_chunks").fetchone()[0]
        assert leftover_chunks == 0, f"{leftover_chunks} checkpoint chunk(s) left unfolded"

        answers = db.execute(
            "SELECT a.id, a.status, a.content, q.content, r.status "
            "FROM messages a JOIN messages q ON q.id = a.parent_id "
            "LEFT JOIN runs r ON r.id = a.run_id "
            "WHERE a.role = 'assistant' ORDER BY a.id"
        ).fetchall()
        assert [a[3] for a in answers] == [question(n) for n in range(rounds_done)], (
            "every question has exactly one answer"
        )
        for answer_id, status, content, asked, run_status in answers:
            where = f"answer {answer_id} to {asked!r}"
            if status == str(MessageStatus.INTERRUPTED):
                assert content, f"{where}: interrupted with nothing kept"
                assert ANSWER_TEXT.startswith(content), f"{where}: not what the server sent"
                assert run_status == "interrupted", f"{where}: its run is {run_status!r}"
            else:
                assert status == str(MessageStatus.COMPLETE), f"{where}: status {status!r}"
                assert content == ANSWER_TEXT, f"{where}: complete but not the whole answer"
                assert run_status == "complete", f"{where}: its run is {run_status!r}"
        _, status, content, _, _ = answers[-1]
        return status, content, store.recovered
    finally:
        store.close()


def tail(path: Path, chars: int = STDERR_TAIL_CHARS) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(none)"
    return text[-chars:] or "(empty)"


def run_round(paths: DataPaths, number: int, kill_after_s: float, stderr_path: Path) -> RoundResult:
    prompt = question(number)
    app = launch_app(paths, prompt, stderr_path)
    try:
        wait_for_stream(app, paths.database, prompt)
        time.sleep(kill_after_s)
        if app.poll() is not None:
            raise RoundFailed(f"the app exited with {app.returncode} before it was killed")
    finally:
        app.kill()  # SIGKILL: no shutdown handler runs, as in a power cut or an OOM kill
        app.wait()
    status, content, recovered = check_store(paths, number + 1)
    if status == str(MessageStatus.INTERRUPTED):
        assert recovered == 1, f"opening the store recovered {recovered} answers, expected 1"
    return RoundResult(number, kill_after_s, status, len(content))


def test_kill_minus_nine_mid_answer_loses_nothing(
    tmp_path: Path, scripted_server: str, record_property: pytest.RecordProperty
) -> None:
    paths = DataPaths(tmp_path / "data").ensure()
    use_scripted_endpoint(paths, scripted_server)
    rng = random.Random(SEED)
    # Every tenth kill comes right after the first checkpoint; the rest at random moments.
    kill_after = [0.0 if n % 10 == 0 else rng.uniform(0, KILL_AFTER_MAX_S) for n in range(ROUNDS)]

    started = time.monotonic()
    results: list[RoundResult] = []
    failures: list[str] = []
    for number in range(ROUNDS):
        stderr_path = tmp_path / f"app-{number}.err"
        try:
            results.append(run_round(paths, number, kill_after[number], stderr_path))
        except AssertionError as exc:
            failures.append(
                f"round {number} (kill after {kill_after[number]:.2f} s): {exc}\n"
                f"--- app stderr tail ---\n{tail(stderr_path)}\n"
                f"--- app log tail ---\n{tail(paths.logs / 'workbench.log')}"
            )
            if len(failures) >= MAX_FAILED_ROUNDS:
                break
    elapsed = time.monotonic() - started

    interrupted = sum(r.answer_status == str(MessageStatus.INTERRUPTED) for r in results)
    summary = (
        f"kill drill: {len(results)}/{ROUNDS} rounds recovered "
        f"({interrupted} cut off mid-answer, {len(results) - interrupted} finished first; "
        f"{elapsed:.0f} s)"
    )
    print(summary)
    record_property("kill_drill", summary)
    assert len(results) == ROUNDS, summary + "\n\n" + "\n\n".join(failures)
