"""The first run: no key asked for, the built-in model selected, and a welcome with samples."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.ui.dialogs.endpoints import EndpointsDialog
from workbench.ui.panels.chat.texts import EMPTY_TEXT
from workbench.ui.panels.chat.welcome import CONFIDENCE_SCHEMA, SAMPLES


def _click(qtbot, window: MainWindow, key: str) -> None:
    qtbot.mouseClick(window.chat.welcome.buttons[key], Qt.MouseButton.LeftButton)


def _sample(key: str):
    return next(s for s in SAMPLES if s.key == key)


def test_a_fresh_window_welcomes_with_sample_prompts_and_needs_no_key(
    ctx: AppContext, window: MainWindow
) -> None:
    assert ctx.endpoints.active.is_local  # the built-in model, no key asked for
    welcome = window.chat.welcome
    assert welcome.isVisible()
    shown = welcome.findChild(type(window.endpoint_label), "welcome.intro").text()
    assert "OpenAI-compatible" in shown and "without a key" in shown
    labels = [b.text() for b in welcome.buttons.values() if b.isVisible()]
    assert labels == [
        "Answer as JSON with field confidences",
        "Compare two answers side by side",
        "Transcribe a clip",
        "Say hello",
    ]
    assert welcome.endpoints_link.isVisible()
    assert "Settings ▸ Endpoints (Ctrl+,)" in welcome.endpoints_link.text()


def test_the_json_sample_fills_the_composer_asks_for_json_and_shows_confidence(
    ctx: AppContext, window: MainWindow, qtbot
) -> None:
    window.docks["heatmap"].hide()
    _click(qtbot, window, "json")
    assert window.chat.composer.text() == _sample("json").prompt
    assert window.chat.params.response_format.currentText() == "json_schema"
    schema = json.loads(window.chat.params.json_schema.toPlainText())
    assert schema == json.loads(CONFIDENCE_SCHEMA)
    assert window.docks["heatmap"].isVisible()
    assert ctx.store.sessions.list() == []  # filled, not sent


def test_the_compare_sample_opens_compare_with_its_prompt(window: MainWindow, qtbot) -> None:
    _click(qtbot, window, "compare")
    assert window.docks["compare"].isVisible()
    assert window.panel("compare").prompt.toPlainText() == _sample("compare").prompt


def test_transcribe_a_clip_shows_the_recorder(window: MainWindow, qtbot) -> None:
    assert not window.docks["recorder"].isVisible()
    _click(qtbot, window, "transcribe")
    assert window.docks["recorder"].isVisible()


def test_say_hello_only_fills_the_composer(ctx: AppContext, window: MainWindow, qtbot) -> None:
    _click(qtbot, window, "hello")
    assert window.chat.composer.text() == _sample("hello").prompt
    assert window.chat.params.response_format.currentText() != "json_schema"
    assert ctx.store.sessions.list() == []


def test_the_key_line_opens_the_endpoints_dialog(window: MainWindow, qtbot) -> None:
    qtbot.mouseClick(window.chat.welcome.endpoints_link, Qt.MouseButton.LeftButton)
    dialog = window.findChild(EndpointsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert QApplication.activeModalWidget() is not dialog  # closed, not left modal


def test_the_welcome_says_the_model_is_loading_until_it_is_ready(window: MainWindow) -> None:
    line = window.chat.welcome.model_line
    assert not line.isVisible()
    window.local_model.status_changed.emit("starting", "Starting the built-in model")
    assert line.isVisible() and "loading" in line.text()
    window.local_model.status_changed.emit("ready", "The built-in model is ready")
    assert not line.isVisible()


def test_once_a_session_exists_the_welcome_is_gone(
    ctx: AppContext, window: MainWindow, qtbot
) -> None:
    window.new_session()
    qtbot.waitUntil(lambda: not window.chat.welcome.isVisible())
    hint = window.chat.view.findChild(type(window.endpoint_label), "empty_hint")
    assert hint.isVisible() and hint.text() == EMPTY_TEXT


def test_a_later_start_with_sessions_shows_no_welcome(ctx: AppContext, qtbot) -> None:
    ctx.store.sessions.create("Earlier")
    window = open_window(ctx, qtbot)
    assert not window.chat.welcome.isVisible()
