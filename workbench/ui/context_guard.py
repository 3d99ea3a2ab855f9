"""The question asked before sending a prompt longer than the model's context window.

A server may not refuse such a prompt plainly: llama.cpp's ended the stream with nothing, after
the user had waited for a 2 MB prompt to go out. Not a panel, like the budget question.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.ui.budget_guard import DONT_SEND, SEND_ANYWAY

__all__ = ["DONT_SEND", "SEND_ANYWAY", "window_allows"]


def window_allows(
    parent: QWidget | None,
    prompt_tokens: int,
    window: int | None,
    say: Callable[[str], object] = lambda _line: None,
) -> bool:
    """Whether to send: True unless the prompt is over a known window and the user said no.
    `say` gets a line for the status bar when nothing is sent (a signal's `emit` or the signal)."""
    if not window or prompt_tokens <= window:
        return True
    box = QMessageBox(parent)
    box.setObjectName("context.question")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Context window")
    box.setText(
        f"This prompt is about {prompt_tokens:,} tokens; the model's window is {window:,}. "
        "Send anyway?"
    )
    box.setInformativeText(
        "The server will probably refuse it or cut it short. Shorten the message, start a new "
        "session, or pick a model with a larger window."
    )
    send = box.addButton(SEND_ANYWAY, QMessageBox.ButtonRole.AcceptRole)
    dont = box.addButton(DONT_SEND, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(dont)  # Enter or Esc must not send what cannot fit
    box.setEscapeButton(dont)
    box.exec()
    if box.clickedButton() is send:
        return True
    say("Not sent: the prompt is longer than the model's context window.")
    return False
