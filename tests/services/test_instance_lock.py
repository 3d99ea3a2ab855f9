"""One live process owns a data folder: a second open never "recovers" the answer it is streaming,
and a killed owner's lock does not outlive it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from workbench.core.comparison import ColumnSpec
from workbench.core.runs import RunParams
from workbench.core.sessions import MessageStatus, Role
from workbench.services.store import Store

ROOT = Path(__file__).resolve().parents[2]
HOLDER_READY_S = 30


def _streaming_answer(store: Store) -> int:
    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "q", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    store.conversation.append_chunk(answer, "half an ")
    return answer


def test_a_second_open_leaves_the_live_owners_answer_alone(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    first = Store.open(path)
    answer = _streaming_answer(first)
    spec = ColumnSpec("e1", "Local", RunParams(model="m"))
    comparison = first.comparisons.create("Why?", [spec], 1)
    first.comparisons.add_answer(comparison.columns[0].id, 0)

    second = Store.open(path)  # another launch while the first still streams
    assert second.recovered == 0
    column = second.comparisons.get(comparison.id).columns[0]  # type: ignore[union-attr]
    assert column.answers[0].status is MessageStatus.STREAMING
    seen = second.conversation.get(answer)
    assert seen is not None and seen.status is MessageStatus.STREAMING
    assert second.conversation.streamed_text(answer) == "half an "
    second.close()

    first.conversation.append_chunk(answer, "answer")  # the first keeps streaming
    first.close()  # ...and then dies: what it streamed after the second open is still there
    third = Store.open(path)
    assert third.recovered == 2  # the chat answer and the comparison's
    recovered = third.conversation.get(answer)
    assert recovered is not None
    assert (recovered.content, recovered.status) == ("half an answer", MessageStatus.INTERRUPTED)
    third.close()


def test_a_killed_owner_does_not_block_recovery(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from tests.services.test_instance_lock import _streaming_answer
                from workbench.services.store import Store
                store = Store.open(Path({str(path)!r}))
                print(_streaming_answer(store), flush=True)
                time.sleep(120)
                """
            ),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        answer = int(holder.stdout.readline())
        while_alive = Store.open(path)
        assert while_alive.recovered == 0  # the holder is alive: its answer is its own
        while_alive.close()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    after = Store.open(path)
    assert after.recovered == 1
    message = after.conversation.get(answer)
    assert message is not None and message.status is MessageStatus.INTERRUPTED
    assert message.content == "half an "
    after.close()
