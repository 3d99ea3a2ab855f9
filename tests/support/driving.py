"""Driving the chat as a person does: keys typed into the composer, Ctrl+Enter to send.

One place for it, so every test sends the same way the user does, through real key events,
and a change to the composer is fixed here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPlainTextEdit

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from workbench.app.main_window import MainWindow
    from workbench.core.runs import RunRecord
    from workbench.ui.panels.chat import ChatPanel

# Long enough for a scripted answer on a busy machine; the built-in model's tests pass their own.
ANSWER_WAIT_MS = 10_000
BOX_POLL_MS = 20
BOX_POLL_TRIES = 200


def chat_of(target: ChatPanel | MainWindow) -> ChatPanel:
    """The chat panel itself, or the one at the centre of a main window."""
    chat: ChatPanel = getattr(target, "chat", target)
    return chat


def composer_editor(target: ChatPanel | MainWindow) -> QPlainTextEdit:
    return chat_of(target).composer.editor


def type_message(qtbot: QtBot, target: ChatPanel | MainWindow, text: str) -> None:
    """Click into the composer and type `text` key by key, replacing any draft (Ctrl+A first)."""
    editor = composer_editor(target)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)


def press_send(qtbot: QtBot, target: ChatPanel | MainWindow) -> None:
    """Ctrl+Enter in the composer."""
    qtbot.keyClick(composer_editor(target), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def start_sending(qtbot: QtBot, target: ChatPanel | MainWindow, text: str) -> None:
    """Type `text` and press Ctrl+Enter, returning at once: for tests that watch the answer
    arrive, stop it, or expect nothing to be sent."""
    type_message(qtbot, target, text)
    press_send(qtbot, target)


def type_and_send(
    qtbot: QtBot, target: ChatPanel | MainWindow, text: str, *, timeout_ms: int = ANSWER_WAIT_MS
) -> RunRecord:
    """Type `text`, press Ctrl+Enter and wait until its answer's run finished (completed, failed
    or stopped: the bus's `run_finished`). Returns that run's record."""
    bus = chat_of(target).deps.bus
    with qtbot.waitSignal(bus.run_finished, timeout=timeout_ms) as finished:
        start_sending(qtbot, target, text)
    record: RunRecord = finished.args[0]
    return record


def when_box_is_up(handle: Callable[[QMessageBox], None]) -> None:
    """Call `handle` with the next modal message box once it is up (polling, since the box's
    own event loop blocks the test until it is answered)."""
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] += 1
            if tries[0] < BOX_POLL_TRIES:
                QTimer.singleShot(BOX_POLL_MS, look)
            return
        handle(box)

    QTimer.singleShot(0, look)


def answer_question_box(
    choice: str, seen: list[QMessageBox], *, expect_default: str | None = None
) -> None:
    """Click the button labelled `choice` in the next modal message box once it is up, as the
    user would; the box goes into `seen`. Call it before the action that opens the box.
    `expect_default` checks which button Enter would press, while the box is still up."""

    def answer(box: QMessageBox) -> None:
        seen.append(box)
        if expect_default is not None:
            assert box.defaultButton().text() == expect_default
        next(b for b in box.buttons() if b.text() == choice).click()

    when_box_is_up(answer)


def open_inspector(ctx, qtbot):
    """The Request Inspector panel on `ctx`, built as its dock builds it, and shown."""
    from workbench.app.panels import PANELS

    panel = next(spec for spec in PANELS if spec.key == "inspector").build(ctx)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def inspector_text(panel) -> str:
    """Everything the inspector's tabs show: response, request, Python and curl."""
    tabs = (panel.overview, panel.request, panel.python, panel.curl)
    return "\n".join(t.toPlainText() for t in tabs)
