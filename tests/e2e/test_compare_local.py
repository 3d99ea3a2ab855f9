"""Comparing two settings of the built-in model, as a new user with no key can."""

from __future__ import annotations

from workbench.app.context import AppContext
from workbench.core.runs import RunParams
from workbench.ui.panels.compare import CompareDeps, ComparePanel

WAIT_MS = 240_000


def test_two_real_settings_side_by_side_repeated(ctx: AppContext, qtbot) -> None:
    local = ctx.endpoints.active
    assert local.is_local
    panel = ComparePanel(
        CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog, ctx.budget)
    )
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    greedy, hot = panel.columns
    model = local.default_model
    greedy.set_parameters(RunParams(model=model, temperature=0.0, max_tokens=16), "")
    hot.set_parameters(RunParams(model=model, temperature=1.5, top_p=1.0, max_tokens=16), "")
    panel.repeats.setValue(3)
    panel.prompt.setPlainText("Name one colour of the rainbow.")
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    panel.run()
    qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)

    assert len(finished) == 6 and all(r.status == "complete" for r in finished)
    assert all(r.price_status == "free" and r.usage.completion_tokens > 0 for r in finished)
    saved = ctx.store.comparisons.get(panel.comparison.id)
    greedy_answers = [a.content for a in saved.columns[0].answers]
    assert len(greedy_answers) == 3 and all(a.strip() for a in greedy_answers)
    # Greedy decoding gives the same answer every time: the consistency line says so.
    assert len(set(greedy_answers)) == 1
    assert greedy.consistency.text().startswith("3 answers · 1 distinct · 100% agree")
    assert hot.consistency.text().startswith("3 answers ·")
    assert "first token" in greedy.stats.text() and "free" in greedy.stats.text()
    sent = [ctx.store.runs.request(r.run_id) for r in finished]
    assert sorted(s["temperature"] for s in sent) == [0.0, 0.0, 0.0, 1.5, 1.5, 1.5]
