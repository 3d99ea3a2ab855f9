"""The request inspector shows what a run sent and got back, and never the key."""

from __future__ import annotations

import json
import re

from PySide6.QtWidgets import QApplication

from tests.support.driving import inspector_text, open_inspector, type_and_send
from tests.support.fixtures import SCRIPTED_KEY
from tests.support.scripted_server import Fault, Stream


def test_a_finished_run_is_shown_with_headers_retries_and_code(
    ctx, server, scripted_chat, qtbot
) -> None:
    chat = scripted_chat()
    inspector = open_inspector(ctx, qtbot)
    ctx.connector.max_retries = 1
    server.script(
        "chat",
        Fault(429, retry_after=0.2),
        Stream(text="Inspected.", headers={"x-ratelimit-remaining-requests": "41"}),
    )
    type_and_send(qtbot, chat, "Inspect me")
    overview = inspector.overview.toPlainText()
    assert "Scripted · gpt-4o" in overview
    assert "x-ratelimit-remaining-requests" in overview and "41" in overview
    assert "Retry 1" in overview and "status 429" in overview
    assert inspector.record.request_id in overview
    sent = json.loads(inspector.request.toPlainText())
    assert sent["messages"] == [{"role": "user", "content": "Inspect me"}]
    assert server.base_url in inspector.python.toPlainText()
    assert "$OPENAI_API_KEY" in inspector.curl.toPlainText()
    assert SCRIPTED_KEY not in inspector_text(inspector)
    inspector.tabs.setCurrentWidget(inspector.curl)
    inspector.copy_button.click()
    assert QApplication.clipboard().text() == inspector.curl.toPlainText()


def test_a_failed_run_shows_the_error_body(ctx, server, scripted_chat, qtbot) -> None:
    chat = scripted_chat()
    inspector = open_inspector(ctx, qtbot)
    server.script("chat", Fault(404, code="model_not_found"))
    type_and_send(qtbot, chat, "Which model?")
    ctx.bus.answer_selected.emit(chat.path[-1].id)
    overview = inspector.overview.toPlainText()
    assert "Error" in overview and "model_not_found" in overview
    assert re.search(r"Retries\s+none", overview)


def test_an_inspector_opened_after_the_answer_shows_that_answer(
    ctx, server, scripted_chat, qtbot
) -> None:
    chat = scripted_chat()
    server.script("chat", Stream(text="Answered before the inspector was open."))
    type_and_send(qtbot, chat, "Asked earlier")
    inspector = open_inspector(ctx, qtbot)  # as its dock is built when first shown
    sent = json.loads(inspector.request.toPlainText())
    assert sent["messages"] == [{"role": "user", "content": "Asked earlier"}]
    assert inspector.tabs.isVisible() and "Scripted · gpt-4o" in inspector.overview.toPlainText()


def test_view_code_keeps_the_url_a_run_went_to_after_its_endpoint_is_renamed(
    ctx, server, scripted_chat, qtbot
) -> None:
    """Runs once recorded only the endpoint's name: renamed, its code pointed elsewhere."""
    chat = scripted_chat()
    inspector = open_inspector(ctx, qtbot)
    server.script("chat", Stream(text="Sent here."))
    record = type_and_send(qtbot, chat, "Where did this go?")
    endpoint = ctx.endpoints.active
    ctx.endpoints.upsert(
        endpoint.with_changes(name="Renamed", base_url="http://example.invalid/v1")
    )
    ctx.endpoints.set_active("local")
    ctx.bus.answer_selected.emit(record.message_id)
    assert server.base_url.rstrip("/") in inspector.python.toPlainText()
    assert server.base_url.rstrip("/") in inspector.curl.toPlainText()
    stored = ctx.store.runs.get(record.run_id)
    assert stored is not None and stored.endpoint_id == endpoint.id


def test_view_code_for_a_built_in_model_run_says_how_to_run_it_by_hand(
    ctx, server, scripted_chat, qtbot
) -> None:
    """The built-in server's port and token change each launch: the code says so and points at
    a hand-started server on a fixed port, with its token from WORKBENCH_LOCAL_TOKEN."""
    chat = scripted_chat()
    inspector = open_inspector(ctx, qtbot)
    server.script("chat", Stream(text="Local."))
    record = type_and_send(qtbot, chat, "Run me by hand")
    # Stored as a run on the built-in model (the real one is not started in UI tests).
    ctx.store.db.execute(
        "UPDATE runs SET endpoint_kind = 'local', base_url = 'http://127.0.0.1:41234/v1' "
        "WHERE id = ?",
        [record.run_id],
    )
    ctx.bus.answer_selected.emit(record.message_id)
    python, curl = inspector.python.toPlainText(), inspector.curl.toPlainText()
    for code in (python, curl):
        first = code.splitlines()[0]
        assert first.startswith("#") and "port and token change each launch" in first
        assert (
            "WORKBENCH_LOCAL_TOKEN=" in code
            and "python -m workbench.local_server --port 8080" in code
        )
        assert "http://127.0.0.1:8080/v1" in code and "41234" not in code
    assert "os.environ['WORKBENCH_LOCAL_TOKEN']" in python
    assert "Bearer $WORKBENCH_LOCAL_TOKEN" in curl
    assert "OPENAI_API_KEY" not in python + curl
