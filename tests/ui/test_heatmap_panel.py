"""The Token Confidence panel on a stored answer: what it shows and what it asks for."""

from __future__ import annotations

import json
import math

import pytest

from workbench.app.context import AppContext
from workbench.core.endpoints import local_endpoint
from workbench.core.runs import RunKind
from workbench.core.sessions import MessageStatus, Role
from workbench.ui.panels.heatmap import NO_LOGPROBS, HeatmapPanel

ANSWER = ['{"', "city", '":', ' "', "Par", "is", '",', ' "', "pop", '":', " 2", "1", "}"]
PROBS = [0.99, 0.95, 0.98, 0.9, 0.4, 0.97, 0.92, 0.9, 0.6, 0.99, 0.2, 0.5, 0.99]


def _items() -> list[dict]:
    items = []
    for token, p in zip(ANSWER, PROBS, strict=True):
        other = max(1e-6, (1 - p) * 0.8)
        items.append(
            {
                "token": token,
                "logprob": math.log(p),
                "top": [[token, math.log(p)], [token.upper() + "x", math.log(other)]],
            }
        )
    return items


def _store_answer(ctx: AppContext, items: list[dict] | None) -> int:
    store = ctx.store
    session = store.sessions.create()
    question = store.conversation.add(session, Role.USER, "city?", None)
    answer = store.conversation.add(session, Role.ASSISTANT, "", question, MessageStatus.STREAMING)
    body = {"model": "m", "logprobs": items is not None}
    run = store.runs.start(session, answer, local_endpoint(), RunKind.CHAT_COMPLETION, "m", body)
    store.db.execute(
        "UPDATE runs SET logprobs_json = ? WHERE id = ?",
        [json.dumps(items) if items else None, run],
    )
    store.conversation.settle(answer, "".join(ANSWER), MessageStatus.COMPLETE, run)
    return answer


@pytest.fixture
def make_panel(ctx: AppContext, qtbot):
    def make(problem: str | None = None) -> HeatmapPanel:
        panel = HeatmapPanel(ctx.store, ctx.bus, lambda: problem)
        qtbot.addWidget(panel)
        panel.resize(900, 600)
        return panel

    return make


def test_showing_the_panel_asks_the_chat_for_logprobs(ctx, make_panel, qtbot) -> None:
    panel = make_panel()
    with qtbot.waitSignal(ctx.bus.logprobs_wanted) as wanted:
        panel.show()
    assert wanted.args == [True]
    with qtbot.waitSignal(ctx.bus.logprobs_wanted) as wanted:
        panel.hide()
    assert wanted.args == [False]


def test_selected_answer_is_shown_with_its_summary(ctx, make_panel) -> None:
    panel = make_panel()
    panel.show()
    ctx.bus.answer_selected.emit(_store_answer(ctx, _items()))
    assert [i.token for i in panel.infos] == ANSWER
    summary = panel.summary.text()
    perplexity = math.exp(-sum(math.log(p) for p in PROBS) / len(PROBS))
    assert f"perplexity {perplexity:.2f}" in summary
    assert "min p 0.200 (' 2')" in summary
    assert "2 under 0.50" in summary  # 0.4 and 0.2; 0.5 itself is not under
    panel.threshold.setValue(0.95)
    assert f"{sum(p < 0.95 for p in PROBS)} under 0.95" in panel.summary.text()


def test_json_fields_least_sure_first_and_clicking_one_selects_its_tokens(ctx, make_panel) -> None:
    panel = make_panel()
    panel.show()
    ctx.bus.answer_selected.emit(_store_answer(ctx, _items()))
    rows = [panel.fields.topLevelItem(i) for i in range(panel.fields.topLevelItemCount())]
    assert [r.text(0) for r in rows] == ["$.pop", "$.city"]
    assert float(rows[0].text(1)) == pytest.approx(0.2, abs=1e-3)
    panel.fields.itemClicked.emit(rows[0], 0)
    assert panel.view.selection() == (10, 11)  # the tokens ' 2' and '1'
    assert panel.region.isVisible()


def test_metric_switch_relabels_the_legend(ctx, make_panel) -> None:
    panel = make_panel()
    panel.show()
    ctx.bus.answer_selected.emit(_store_answer(ctx, _items()))
    panel.metric_box.setCurrentIndex(panel.metric_box.findText("Entropy of the top-k"))
    assert panel.legend.name.text() == "Entropy of the top-k"
    assert panel.entropy_curve.isVisible()


def test_answer_without_logprobs_says_why(ctx, make_panel) -> None:
    panel = make_panel()
    panel.show()
    ctx.bus.answer_selected.emit(_store_answer(ctx, None))
    assert panel.hint.isVisible() and panel.hint.text() == NO_LOGPROBS
    assert not panel.summary.isVisible()


def test_choosing_an_alternative_forks_from_it(ctx, make_panel, qtbot) -> None:
    panel = make_panel()
    panel.show()
    answer = _store_answer(ctx, _items())
    ctx.bus.answer_selected.emit(answer)
    with qtbot.waitSignal(ctx.bus.fork_requested) as forked:
        panel.view.popup.alternative_chosen.emit(4, "Lyon")
    assert forked.args == [answer, '{"city": "Lyon']


def test_fork_is_refused_with_the_reason_where_it_cannot_work(ctx, make_panel, qtbot) -> None:
    reason = "OpenAI cannot continue an answer from a given prefix"
    panel = make_panel(problem=reason)
    panel.show()
    ctx.bus.answer_selected.emit(_store_answer(ctx, _items()))
    assert not panel.view.popup.fork_enabled
    with (
        qtbot.assertNotEmitted(ctx.bus.fork_requested),
        qtbot.waitSignal(panel.status_message) as said,
    ):
        panel.view.popup.alternative_chosen.emit(4, "Lyon")
    assert said.args == [reason]


def test_a_panel_opened_after_the_answer_was_selected_shows_it(ctx, make_panel) -> None:
    ctx.bus.answer_selected.emit(_store_answer(ctx, _items()))
    panel = make_panel()  # as its dock is built when first shown
    panel.show()
    assert [i.token for i in panel.infos] == ANSWER
    assert panel.summary.isVisible() and "perplexity" in panel.summary.text()
