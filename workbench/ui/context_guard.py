"""The question asked before sending a prompt longer than the model's context window.

A server may not refuse such a prompt plainly: llama.cpp's ended the stream with nothing, after
the user had waited for a 2 MB prompt to go out. Not a panel, like the budget question.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from workbench.ui.budget_guard import DONT_SEND, SEND_ANYWAY
from workbench.ui.widgets.anyway_question import ask_anyway

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
    if ask_anyway(
        parent,
        name="context.question",
        title="Context window",
        text=f"This prompt is about {prompt_tokens:,} tokens; the model's window is {window:,}. "
        "Send anyway?",
        detail="The server will probably refuse it or cut it short. Shorten the message, start "
        "a new session, or pick a model with a larger window.",
        go=SEND_ANYWAY,
        stop=DONT_SEND,  # Enter or Esc must not send what cannot fit
    ):
        return True
    say("Not sent: the prompt is longer than the model's context window.")
    return False
