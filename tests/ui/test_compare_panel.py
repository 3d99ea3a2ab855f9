"""The Compare panel against two scripted servers, as a user drives it."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTextEdit

from tests.support.driving import answer_question_box
from tests.support.scripted_server import Fault, Stream
from workbench.app.panels import build_chat
from workbench.core.runs import RunParams
from workbench.core.sessions import Role
from workbench.ui.budget_guard import DONT_SEND, SEND_ANYWAY
from workbench.ui.panels.compare import CompareDeps, ComparePanel

WAIT_MS = 15_000


def _point(column, endpoint_id: str, model: str = "gpt-4o", **params) -> None:
    column.endpoint.setCurrentIndex(column.endpoint.findData(endpoint_id))
    column.set_parameters(RunParams(model=model, **params), "")


def _run(compare: ComparePanel, qtbot, prompt: str) -> None:
    compare.prompt.setPlainText(prompt)
    qtbot.keyClick(compare.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert compare.running
    qtbot.waitUntil(lambda: not compare.running, timeout=WAIT_MS)


def test_three_columns_stream_at_once_and_a_failing_one_fails_in_place(
    compare, ctx, endpoints, server, second_server, qtbot
) -> None:
    alpha, beta = endpoints
    compare.add_column()
    first, second, third = compare.columns
    _point(first, alpha, "gpt-4o")
    _point(second, beta, "gpt-4o-mini")
    _point(third, alpha, "gpt-4o", temperature=0.2)
    server.script(
        "chat",
        Stream(text="Paris, on the Seine.", headers={"x-ratelimit-remaining-requests": "41"}),
        Stream(text="Paris is the capital city.", delay=0.05),
    )
    ctx.connector.max_retries = 1
    second_server.script("chat", Fault(503, retry_after=0.6), Fault(503, retry_after=0.6))
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    compare.prompt.setPlainText("Capital of France?")
    compare.run_button.click()
    # The failing column says it is waiting for the SDK's retry while the others answer.
    qtbot.waitUntil(lambda: second.notice.isVisible(), timeout=WAIT_MS)
    assert "retries in 0.6 s" in second.notice.text()
    qtbot.waitUntil(lambda: not compare.running, timeout=WAIT_MS)

    texts = {c.body.toPlainText().strip() for c in (first, third)}
    assert texts == {"Paris, on the Seine.", "Paris is the capital city."}
    assert second.error.isVisible() and "503" in second.error.text() + second.stats.text()
    for column in (first, third):
        stats = column.stats.text()
        assert not column.error.isVisible()
        assert "first token" in stats and "tok/s" in stats and stats.endswith("· stop")
        assert "$" in stats  # gpt-4o on a custom endpoint is priced by genai-prices
    assert len(finished) == 3  # the cost meter hears every column's run
    by_model = {r.model: r for r in finished}
    assert by_model["gpt-4o-mini"].error is not None
    limits = [r.rate_limits.get("x-ratelimit-remaining-requests") for r in finished]
    assert "41" in limits
    bodies = [
        r.body
        for r in server.requests + second_server.requests
        if r.path.endswith("/chat/completions")
    ]
    assert sorted(b["model"] for b in bodies) == ["gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o-mini"]
    assert any(b.get("temperature") == 0.2 for b in bodies)


def test_repeats_show_how_consistent_a_column_is(compare, endpoints, server, second_server, qtbot):
    alpha, beta = endpoints
    first, second = compare.columns
    _point(first, alpha)
    _point(second, beta)
    server.script("chat", Stream(text="Blue."), Stream(text="Blue."), Stream(text="Azure."))
    second_server.script("chat", Stream(text="Blue."), Stream(text="blue. "), Stream(text="Blue."))
    compare.repeats.setValue(3)
    _run(compare, qtbot, "Colour of the sky, one word?")
    assert first.consistency.text().startswith("3 answers · 2 distinct · 67% agree")
    assert second.consistency.text().startswith("3 answers · 1 distinct · 100% agree")
    assert first.position.text() == "3/3"  # it followed the repeats as they came
    first.previous.click()
    assert first.position.text() == "2/3" and first.body.toPlainText().strip() == "Blue."


def test_diff_of_two_columns_marks_the_changed_words(
    compare, endpoints, server, second_server, qtbot
):
    alpha, beta = endpoints
    _point(compare.columns[0], alpha)
    _point(compare.columns[1], beta)
    server.script("chat", Stream(text="The quick brown fox jumps."))
    second_server.script("chat", Stream(text="The quick red fox jumps."))
    _run(compare, qtbot, "A sentence")
    text = compare.insights.view.findChild(QTextEdit).toPlainText()
    assert "brown" in text and "red" in text and "quick" in text


def test_an_answer_goes_into_the_chat_as_a_branch(compare, ctx, endpoints, server, qtbot):
    chat = build_chat(ctx)
    qtbot.addWidget(chat)
    chat.show()
    session = ctx.store.sessions.create("Trip")
    question = ctx.store.conversation.add(session, Role.USER, "Plan a trip", None)
    answer = ctx.store.conversation.add(session, Role.ASSISTANT, "Go to Lyon.", question)
    ctx.bus.session_opened.emit(session)
    alpha, _beta = endpoints
    for column in compare.columns:
        _point(column, alpha)
    server.script("chat", Stream(text="Take the train."), Stream(text="Fly."))
    compare.with_history.setChecked(True)
    _run(compare, qtbot, "How do I get there?")
    sent = server.chat_bodies()[-1]["messages"]
    assert [m["content"] for m in sent] == ["Plan a trip", "Go to Lyon.", "How do I get there?"]

    for column in compare.columns:
        column.send_button.click()
    messages = ctx.store.conversation.visible(session)
    asked = [m for m in messages if m.content == "How do I get there?"]
    assert len(asked) == 1 and asked[0].parent_id == answer  # the question is added once
    branches = [m for m in messages if m.parent_id == asked[0].id]
    assert sorted(m.content for m in branches) == ["Fly.", "Take the train."]
    assert all(m.run_id is not None for m in branches)
    # The chat shows the last one sent, as the second of two branches.
    assert chat.session_id == session and chat.path[-1].id == branches[-1].id
    assert chat.view.cards[branches[-1].id].branch_label.text() == "2/2"


def test_a_fresh_comparison_sent_to_the_chat_starts_a_session(
    compare, ctx, endpoints, server, second_server, qtbot
):
    alpha, beta = endpoints
    _point(compare.columns[0], alpha)
    _point(compare.columns[1], beta)
    compare.columns[1].set_parameters(RunParams(model="gpt-4o", seed=5), "Answer in French.")
    server.script("chat", Stream(text="Hello."))
    second_server.script("chat", Stream(text="Bonjour."))
    _run(compare, qtbot, "Greet me")
    assert second_server.chat_bodies()[-1]["messages"][0] == {
        "role": "system",
        "content": "Answer in French.",
    }
    before = {s.id for s in ctx.store.sessions.list()}
    compare.columns[1].send_button.click()
    (new,) = [s for s in ctx.store.sessions.list() if s.id not in before]
    messages = ctx.store.conversation.visible(new.id)
    assert [(m.role, m.content) for m in messages] == [
        (Role.USER, "Greet me"),
        (Role.ASSISTANT, "Bonjour."),
    ]
    prompt, _endpoint, params = ctx.store.conversation.settings(new.id)
    assert prompt == "Answer in French." and params.seed == 5


def test_a_comparison_is_saved_and_reopens_with_its_answers(compare, ctx, endpoints, server, qtbot):
    alpha, beta = endpoints
    _point(compare.columns[0], alpha, "gpt-4o")
    _point(compare.columns[1], beta, "gpt-4o-mini", max_tokens=64)
    server.script("chat", Stream(text="Answer A."))
    _run(compare, qtbot, "Saved prompt")
    saved_id = compare.comparison.id

    reopened = ComparePanel(CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog))
    qtbot.addWidget(reopened)
    reopened.show()
    index = reopened.saved.findData(saved_id)
    assert index > 0 and "Saved prompt" in reopened.saved.itemText(index)
    reopened.saved.setCurrentIndex(index)
    reopened.saved.activated.emit(index)
    assert reopened.prompt.toPlainText() == "Saved prompt"
    first, second = reopened.columns
    assert first.body.toPlainText().strip() == "Answer A."
    assert "first token" in first.stats.text()
    assert second.spec().params.max_tokens == 64 and second.spec().params.model == "gpt-4o-mini"
    assert second.spec().endpoint_id == beta


def test_escape_stops_every_column_and_keeps_what_arrived(compare, ctx, endpoints, server, qtbot):
    alpha, _beta = endpoints
    for column in compare.columns:
        _point(column, alpha)
    words = " ".join(f"w{i}" for i in range(400))
    server.script("chat", Stream(text=words, delay=0.02), Stream(text=words, delay=0.02))
    compare.prompt.setPlainText("Count")
    compare.run()
    qtbot.waitUntil(lambda: "w3" in compare.columns[0].body.toPlainText(), timeout=WAIT_MS)
    qtbot.keyClick(compare.prompt, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not compare.running, timeout=WAIT_MS)
    saved = ctx.store.comparisons.get(compare.comparison.id)
    for column in saved.columns:
        (kept,) = column.answers
        assert kept.status == "stopped" and "w399" not in kept.content
    assert saved.columns[0].answers[0].content.startswith("w0 w1 w2 w3")


def test_columns_copy_the_chat_settings_and_stay_between_two_and_six(compare, ctx, endpoints):
    _alpha, beta = endpoints
    session = ctx.store.sessions.create("S")
    ctx.store.conversation.save_settings(
        session, "Be terse.", beta, RunParams(model="gpt-4.1", temperature=0.3)
    )
    ctx.bus.session_opened.emit(session)
    column = compare.columns[0]
    column.chat_settings_requested.emit(column)
    spec = column.spec()
    assert (spec.endpoint_id, spec.params.model, spec.params.temperature) == (beta, "gpt-4.1", 0.3)
    assert spec.system_prompt == "Be terse."
    assert "temperature 0.3" in column.settings.text()
    while compare.add_button.isEnabled():
        compare.add_button.click()
    assert len(compare.columns) == 6
    for column in list(compare.columns):
        column.remove_requested.emit(column)
    assert len(compare.columns) == 2


def test_a_clicked_column_answer_shows_in_the_heatmap_and_inspector(
    compare, ctx, endpoints, server, second_server, qtbot
):
    from workbench.ui.panels.heatmap import HeatmapPanel
    from workbench.ui.panels.inspector import InspectorPanel

    heatmap = HeatmapPanel(ctx.store, ctx.bus, lambda: None)
    inspector = InspectorPanel(ctx.store, ctx.bus, lambda _name: "http://127.0.0.1:1/v1")
    for panel in (heatmap, inspector):
        qtbot.addWidget(panel)
        panel.show()
    ctx.bus.logprobs_wanted.emit(True)  # the heatmap is open: columns ask for logprobs
    alpha, beta = endpoints
    _point(compare.columns[0], alpha)
    _point(compare.columns[1], beta)
    server.script("chat", Stream(recording="83b060bae42eb41c"))
    second_server.script("chat", Stream(text="No logprobs here."))
    _run(compare, qtbot, "Anything")
    sent = server.chat_bodies()[-1]
    assert sent["logprobs"] is True and sent["top_logprobs"] == 5

    first = compare.columns[0]
    qtbot.mouseClick(first.body.viewport(), Qt.MouseButton.LeftButton)
    record = first.shown_answer().record
    assert inspector.record.run_id == record.run_id
    assert json.loads(inspector.request.toPlainText())["logprobs"] is True
    assert heatmap.infos and "".join(i.token for i in heatmap.infos) == first.body.text()
    assert heatmap.message_id is None  # not a chat message: nothing to fork it into
    qtbot.mouseClick(compare.columns[1].body.viewport(), Qt.MouseButton.LeftButton)
    assert heatmap.infos == [] and heatmap.hint.isVisible()


def test_a_comparison_that_would_pass_the_budget_asks_first(
    compare, ctx, endpoints, server, second_server, qtbot
):
    compare = ComparePanel(
        CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog, ctx.budget)
    )
    qtbot.addWidget(compare)
    compare.show()
    alpha, beta = endpoints
    _point(compare.columns[0], alpha, "gpt-4o", max_tokens=500)
    _point(compare.columns[1], beta, "gpt-4o", max_tokens=500)
    # Two columns × 3 repeats × up to 500 gpt-4o tokens ($10/M) is about $0.03: past $0.02.
    ctx.budget.set_daily_budget(0.02)
    compare.repeats.setValue(3)
    compare.prompt.setPlainText("Expensive question")
    said: list[str] = []
    compare.status_message.connect(said.append)
    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)
    compare.run()
    assert seen and not compare.running
    assert said[-1] == "Not sent: it would pass today's budget."
    assert server.requests == [] and second_server.requests == []
    assert ctx.store.comparisons.recent() == []  # nothing stored either
    server.script("chat", *[Stream(text="ok")] * 3)
    second_server.script("chat", *[Stream(text="ok")] * 3)
    answer_question_box(SEND_ANYWAY, seen, expect_default=DONT_SEND)
    compare.run()
    qtbot.waitUntil(lambda: not compare.running, timeout=WAIT_MS)
    assert len(seen) == 2 and len(ctx.store.comparisons.recent()) == 1


def test_the_diff_names_each_column_by_its_settings(compare, endpoints) -> None:
    alpha, _beta = endpoints
    _point(compare.columns[1], alpha, "gpt-4o-mini", temperature=1.2)
    labels = [compare.insights.right.itemText(i) for i in range(compare.insights.right.count())]
    assert labels[1] == "2: gpt-4o-mini · Alpha · temperature 1.2"


def test_a_prompt_over_a_columns_context_window_asks_first(
    compare, ctx, endpoints, server, qtbot
) -> None:
    from workbench.ui.context_guard import DONT_SEND

    server.context_windows["gpt-4o"] = 50
    alpha, _beta = endpoints
    ctx.catalog.forget()
    for column in compare.columns:
        _point(column, alpha)
    ctx.tasks.start("Listing models", ctx.catalog.fetch(alpha))  # as a column's list does
    qtbot.waitUntil(
        lambda: ctx.catalog.traits(alpha, "gpt-4o").context_window == 50, timeout=WAIT_MS
    )
    compare.prompt.setPlainText("tea " * 200)
    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)
    compare.run_button.click()
    assert len(seen) == 1 and "window is 50" in seen[0].text()
    assert not compare.running and compare.comparison is None
    assert not [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_a_columns_system_prompt_hint_speaks_of_the_column(compare, ctx, qtbot) -> None:
    from workbench.ui.panels.compare.column import ParamsDialog

    column = compare.columns[0]
    spec = column.spec()
    dialog = ParamsDialog(spec, [], ctx.catalog.traits(spec.endpoint_id, ""), compare)
    qtbot.addWidget(dialog)
    hint = dialog.form.system_prompt.placeholderText()
    assert "this column" in hint and "this session" not in hint
