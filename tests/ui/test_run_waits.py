"""What a card says while the app waits on a slow or silent server, and when Retry is offered."""

from __future__ import annotations

import time

import pytest

from tests.support.driving import start_sending, type_and_send
from tests.support.scripted_server import Fault, Stream
from workbench.core.run_errors import describe_http_error
from workbench.core.run_text import retry_line
from workbench.core.runs import RetryScheduled
from workbench.ui.panels.chat import ChatPanel
from workbench.ui.panels.chat.message_card import MessageCard

WAIT_MS = 10_000


def _last_card(panel: ChatPanel) -> MessageCard:
    return panel.view.cards[panel.path[-1].id]


def test_after_the_retry_pause_the_note_says_the_app_waits_for_the_server(
    scripted_chat, ctx, server, qtbot
) -> None:
    panel = scripted_chat()
    ctx.connector.max_retries = 1
    server.script("chat", Fault(500), Fault(500, hang=4.0))
    start_sending(qtbot, panel, "Hello?")
    qtbot.waitUntil(lambda: "retries in" in _last_card(panel).notice.text(), timeout=WAIT_MS)
    # The pause is about 0.5 s; well after it, the retry is out and the server is silent.
    qtbot.waitUntil(
        lambda: "Waiting for the server" in _last_card(panel).notice.text(), timeout=3000
    )
    assert "retries in" not in _last_card(panel).notice.text()
    qtbot.wait(1200)
    assert " s" in _last_card(panel).notice.text()  # with the time waited so far
    qtbot.waitUntil(lambda: not panel.streams.busy, timeout=WAIT_MS)  # the hang ends in a 500


def test_a_silent_server_times_out_after_the_endpoints_own_timeout(
    scripted_chat, ctx, server, qtbot
) -> None:
    panel = scripted_chat()
    endpoint = ctx.endpoints.active.with_changes(timeout_s=0.5)
    ctx.endpoints.upsert(endpoint)
    ctx.connector.max_retries = 1
    server.script("chat", Fault(500, hang=5.0), Fault(500, hang=5.0))
    started = time.monotonic()
    start_sending(qtbot, panel, "Anyone?")
    qtbot.waitUntil(
        lambda: "Waiting for the server's first token" in _last_card(panel).notice.text(),
        timeout=2000,
    )
    qtbot.waitUntil(lambda: _last_card(panel).error_box.isVisible(), timeout=WAIT_MS)
    # Two attempts of 0.5 s and the SDK's pause between them, not three minutes.
    assert time.monotonic() - started < 4.0
    assert "timed out" in _last_card(panel).error_label.text().lower()


def test_a_timeouts_retry_note_says_timed_out() -> None:
    line = retry_line(RetryScheduled(1, 2, 0.8, "timeout"))
    assert line.startswith("Timed out") and "onnection" not in line


@pytest.mark.parametrize("status", [401, 403, 404])
def test_errors_a_retry_cannot_fix_are_not_retryable(status: int) -> None:
    assert describe_http_error(status, "no").retryable is False


def test_no_retry_button_for_a_refused_key(scripted_chat, server, qtbot) -> None:
    panel = scripted_chat()
    server.script("chat", Fault(401, code="invalid_api_key"), Stream(text="x"))
    type_and_send(qtbot, panel, "Hello?")
    card = _last_card(panel)
    assert card.error_box.isVisible()
    assert not card.retry_button.isVisible()
