"""Acceptance: a run that would pass the daily budget asks first, and "Don't send" sends nothing."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from tests.support.driving import answer_question_box, press_send, start_sending, type_and_send
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.sessions import Role
from workbench.ui.budget_guard import DONT_SEND, SEND_ANYWAY

WAIT_MS = 10_000


def chat_requests(server: ScriptedServer) -> int:
    # The panel also lists the endpoint's models after a run: only chat requests cost money.
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def test_budget_stop_then_send_anyway(ctx, scripted_chat, server, qtbot) -> None:
    chat = scripted_chat()
    said: list[str] = []
    chat.status_message.connect(said.append)
    # An earlier run today, priced by genai-prices as gpt-4o.
    server.script("chat", Stream(text="Sencha is a steamed green tea."))
    earlier = type_and_send(qtbot, chat, "What is sencha?")
    assert earlier.price_status == "priced" and earlier.cost_usd > 0
    qtbot.waitUntil(lambda: not chat.streams.busy, timeout=WAIT_MS)
    # A cent a day: the next gpt-4o run (up to 1,000 answer tokens at $10/M) would pass it.
    ctx.budget.set_daily_budget(0.01)
    sent_before = chat_requests(server)
    stored_before = ctx.store.conversation.visible(chat.session_id)
    runs_before = ctx.store.db.execute("SELECT count(*) FROM runs").fetchone()[0]

    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)  # Enter must not spend money
    start_sending(qtbot, chat, "And what is gyokuro?")

    assert len(seen) == 1
    assert "budget" in seen[0].text().lower()
    assert "$0.01" in seen[0].informativeText()
    qtbot.wait(200)  # time enough for a request to have gone out, were one sent
    assert chat_requests(server) == sent_before
    assert ctx.store.conversation.visible(chat.session_id) == stored_before
    assert ctx.store.db.execute("SELECT count(*) FROM runs").fetchone()[0] == runs_before
    assert chat.composer.text() == "And what is gyokuro?"
    assert not chat.streams.busy
    assert said[-1].startswith("Not sent: today's budget of $0.01 would be passed")

    server.script("chat", Stream(text="Gyokuro is a shaded green tea."))
    answer_question_box(SEND_ANYWAY, seen, expect_default=DONT_SEND)
    with qtbot.waitSignal(ctx.bus.run_finished, timeout=WAIT_MS):
        press_send(qtbot, chat)  # the draft that was not sent is still there

    assert len(seen) == 2
    assert chat_requests(server) == sent_before + 1
    qtbot.waitUntil(lambda: not chat.streams.busy, timeout=WAIT_MS)
    stored = ctx.store.conversation.visible(chat.session_id)
    assert [(m.role, m.content) for m in stored[-2:]] == [
        (Role.USER, "And what is gyokuro?"),
        (Role.ASSISTANT, "Gyokuro is a shaded green tea."),
    ]
    assert chat.composer.text() == ""


def test_no_budget_never_asks(ctx, scripted_chat, server, qtbot) -> None:
    chat = scripted_chat()
    assert ctx.budget.daily_budget is None
    server.script("chat", Stream(text="Yes."))
    type_and_send(qtbot, chat, "Any budget?")
    assert QApplication.activeModalWidget() is None
    assert chat_requests(server) == 1


def test_near_the_budget_sends_and_says_so(ctx, scripted_chat, server, qtbot) -> None:
    chat = scripted_chat()
    said: list[str] = []
    chat.status_message.connect(said.append)
    ctx.budget.set_daily_budget(0.013)
    assert ctx.budget.daily_budget == 0.01  # budgets are whole cents
    # Up to 1,700 answer tokens of gpt-4o is about $0.017 of a $0.02 budget: past 80 %.
    ctx.budget.set_daily_budget(0.02)
    chat.params.max_tokens.setValue(1700)
    server.script("chat", Stream(text="Fine."))
    type_and_send(qtbot, chat, "Near?")
    assert QApplication.activeModalWidget() is None
    assert chat_requests(server) == 1
    assert any(s.startswith("Near today's budget of $0.02") for s in said)
