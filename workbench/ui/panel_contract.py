"""What the main window may ask of a panel: status messages, shutdown, and the actions it adds.

The chat (the window's centre) and every dock's widget is a `Panel`. It is a small base class
rather than a `typing.Protocol`: the window also needs it to be a QWidget (to put it in a dock),
and Python has no way to say "a QWidget that also meets this protocol". A panel overrides only
what it needs; the defaults do nothing.

The window builds a dock's panel the first time the dock is shown, so a panel may be born long
after the announcements it cares about: it reads what is current from `bus.state` in its
constructor instead of waiting for the next announcement.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget


class Panel(QWidget):
    status_message = Signal(str)  # one line for the window's status bar

    def shutdown(self) -> None:
        """The app is closing: keep what is in flight (marked interrupted), ask nothing."""

    def panel_actions(self) -> Sequence[QAction]:
        """Actions for the window's Tools menu; their shortcuts work window-wide once the panel
        is built. Named so as not to shadow `QWidget.actions()`, which every widget has."""
        return ()

    def take_prompt(self, text: str) -> None:
        """A prompt handed over from elsewhere (the chat's welcome): put it where the user would
        type it, ready to be read over and run. Panels without a prompt ignore it."""
