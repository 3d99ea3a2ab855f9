"""Token Confidence on a very long answer: read in a worker, the first tokens shown, the rest
said (issue 14, item 9: opening a session holding a 2 MB answer froze the app for 3 s)."""

from __future__ import annotations

import json
import threading

from workbench.core.endpoints import local_endpoint
from workbench.core.runs import RunKind
from workbench.core.sessions import MessageStatus, Role
from workbench.services import token_confidence
from workbench.ui.panels.heatmap import READING, HeatmapPanel

TOKENS = token_confidence.MAX_TOKENS_SHOWN + 20_000


def _long_answer(ctx) -> int:
    store = ctx.store
    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "Count", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    run = store.runs.start(session, answer, local_endpoint(), RunKind.CHAT_COMPLETION, "m", {})
    items = [{"token": f" {i}", "logprob": -0.01 * (i % 50), "top": []} for i in range(TOKENS)]
    store.db.execute("UPDATE runs SET logprobs_json = ? WHERE id = ?", [json.dumps(items), run])
    text = "".join(i["token"] for i in items)
    store.conversation.settle(answer, text, MessageStatus.COMPLETE, run)
    return answer


def test_a_long_answers_confidence_is_read_in_a_worker_and_capped(ctx, qtbot, monkeypatch):
    readers: list[str] = []
    prepare = token_confidence.prepare

    def watched(*args, **kwargs):
        readers.append(threading.current_thread().name)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(token_confidence, "prepare", watched)
    panel = HeatmapPanel(ctx.store, ctx.bus, lambda: None, ctx.tasks)
    qtbot.addWidget(panel)
    panel.show()
    answer = _long_answer(ctx)

    ctx.bus.answer_selected.emit(answer)
    assert panel.hint.isVisible() and panel.hint.text() == READING
    qtbot.waitUntil(lambda: bool(panel.infos), timeout=30_000)
    assert readers and threading.main_thread().name not in readers
    assert len(panel.infos) == token_confidence.MAX_TOKENS_SHOWN
    assert panel.infos[-1].token == f" {token_confidence.MAX_TOKENS_SHOWN - 1}"
    assert panel.summary.text().startswith(
        f"First {token_confidence.MAX_TOKENS_SHOWN:,} tokens of a longer answer"
    )


def test_a_read_that_comes_back_late_does_not_replace_a_newer_choice(ctx, qtbot) -> None:
    panel = HeatmapPanel(ctx.store, ctx.bus, lambda: None, ctx.tasks)
    qtbot.addWidget(panel)
    panel.show()
    answer = _long_answer(ctx)
    ctx.bus.answer_selected.emit(answer)
    ctx.bus.answer_selected.emit(None)  # the user opened another session meanwhile
    qtbot.waitUntil(lambda: not ctx.tasks.labels() and not ctx.tasks._running, timeout=30_000)
    assert panel.infos == [] and panel.message_id is None
