"""Issue 14 item 6: an answer the server never finished is an error with Retry, and a prompt far
over the model's context window asks before it is sent."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from tests.support.driving import (
    answer_question_box,
    press_send,
    start_sending,
    type_and_send,
    type_message,
)
from tests.support.scripted_server import ScriptedServer, Stream
from workbench.core.runs import ErrorKind
from workbench.core.sessions import MessageStatus, Role
from workbench.ui.context_guard import DONT_SEND, SEND_ANYWAY

WAIT_MS = 10_000


def chat_requests(server: ScriptedServer) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def _shown_tokens(chat) -> int:
    return int(chat.composer.tokens.text().split()[0].replace(",", ""))


def test_answer_ended_without_finish_reason_shows_error_and_retry(
    ctx, scripted_chat, server, qtbot
) -> None:
    chat = scripted_chat()
    # Chunks, then [DONE], and no choice ever says why it stopped (llama.cpp's server on a
    # prompt far past its window).
    server.script(
        "chat", Stream(text="The answer was", finish_reason=None), Stream(text="Recovered.")
    )
    record = type_and_send(qtbot, chat, "A very long prompt")
    assert record.error is not None and record.error.kind is ErrorKind.BROKEN_STREAM
    qtbot.waitUntil(lambda: not chat.streams.busy, timeout=WAIT_MS)

    answer = ctx.store.conversation.visible(chat.session_id)[-1]
    assert answer.role is Role.ASSISTANT
    assert answer.status is MessageStatus.ERROR
    assert answer.content == "The answer was"  # what arrived is kept
    card = chat.view.cards[answer.id]
    assert card.status is MessageStatus.ERROR
    assert card.error_box.isVisible()
    assert "without saying it was done" in card.error_label.text()
    assert card.retry_button.isVisible()
    assert card.body.toPlainText().strip() == "The answer was"

    with qtbot.waitSignal(ctx.bus.run_finished, timeout=WAIT_MS):
        card.retry_button.click()
    qtbot.waitUntil(lambda: not chat.streams.busy, timeout=WAIT_MS)
    retried = ctx.store.conversation.visible(chat.session_id)[-1]
    assert retried.status is MessageStatus.COMPLETE and retried.content == "Recovered."


def test_prompt_over_the_context_window_asks_first(ctx, scripted_chat, server, qtbot) -> None:
    server.context_windows["gpt-4o"] = 50  # as llama.cpp lists its n_ctx
    chat = scripted_chat()
    chat.load_models()
    qtbot.waitUntil(lambda: chat.traits.context_window == 50, timeout=WAIT_MS)
    draft = "tea " * 200  # about 200 tokens: four times the window
    type_message(qtbot, chat, draft)
    # The count the composer shows once the draft is counted: what the question quotes.
    qtbot.waitUntil(lambda: _shown_tokens(chat) > 150, timeout=WAIT_MS)
    # The context bar's own figure (history and draft), as the question should quote it.
    in_use = chat.composer.context.toolTip().split(" of ")[0]
    assert chat.composer.context.toolTip() == f"{in_use} of 50 tokens of context in use"

    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)
    press_send(qtbot, chat)
    assert len(seen) == 1
    asked = seen[0].text() + seen[0].informativeText()
    assert f"about {in_use} tokens" in asked and "window is 50" in asked, asked
    assert seen[0].escapeButton() is seen[0].defaultButton()
    qtbot.wait(200)  # time enough for a request to have gone out, were one sent
    assert chat_requests(server) == 0
    assert chat.composer.text() == draft
    assert chat.session_id is None or ctx.store.conversation.visible(chat.session_id) == []

    server.script("chat", Stream(text="Sent.", finish_reason="length"))
    answer_question_box(SEND_ANYWAY, seen, expect_default=DONT_SEND)
    with qtbot.waitSignal(ctx.bus.run_finished, timeout=WAIT_MS):
        press_send(qtbot, chat)
    assert len(seen) == 2
    assert chat_requests(server) == 1
    assert chat.composer.text() == ""


def test_prompt_within_the_window_does_not_ask(ctx, scripted_chat, server, qtbot) -> None:
    server.context_windows["gpt-4o"] = 5000
    chat = scripted_chat()
    chat.load_models()
    qtbot.waitUntil(lambda: chat.traits.context_window == 5000, timeout=WAIT_MS)
    server.script("chat", Stream(text="Fine."))
    start_sending(qtbot, chat, "Short question")
    qtbot.waitUntil(lambda: chat_requests(server) == 1, timeout=WAIT_MS)


def test_a_huge_paste_sent_before_it_is_counted_still_asks(ctx, scripted_chat, server, qtbot):
    server.context_windows["gpt-4o"] = 50
    chat = scripted_chat()
    chat.load_models()
    qtbot.waitUntil(lambda: chat.traits.context_window == 50, timeout=WAIT_MS)
    chat.composer.editor.setFocus()
    chat.composer.editor.insertPlainText("tea " * 200)  # pasted: Ctrl+V at once
    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)
    press_send(qtbot, chat)  # at once: the background count has not come back
    assert len(seen) == 1
    qtbot.wait(200)
    assert chat_requests(server) == 0
