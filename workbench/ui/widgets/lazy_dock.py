"""A dock whose panel is built the first time the dock is shown, so hidden panels cost nothing.

The dock itself exists from the start (its object name, toggle action and shortcut), so a saved
layout restores as before; only its widget waits. "Shown" is any way a dock becomes visible:
restored visible and the window shown, toggled on, a layout reset, its tab brought to the front.

The panel sits in a scroll area: a dock narrower or shorter than the panel's own minimum scrolls
instead of pushing the main window wider or taller than its screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

from workbench.ui.panel_contract import Panel


class LazyDock(QDockWidget):
    panel_built = Signal(object)  # the Panel, once, right after it is built

    def __init__(self, title: str, build: Callable[[], Panel], parent: QWidget) -> None:
        super().__init__(title, parent)
        self._build = build
        self.built_panel: Panel | None = None

    def panel(self) -> Panel:
        """The panel, built now if it was not yet."""
        if self.built_panel is None:
            panel = self._build()
            self.built_panel = panel
            holder = QScrollArea(self, objectName=f"{self.objectName()}.scroll")
            holder.setWidgetResizable(True)  # the panel fills the dock; it scrolls only if smaller
            holder.setFrameShape(QFrame.Shape.NoFrame)
            holder.setWidget(panel)
            self.setWidget(holder)
            self.panel_built.emit(panel)
        return self.built_panel

    def showEvent(self, event: QShowEvent) -> None:
        # Sent while the dock is being shown, before anything is painted: the first frame
        # already has the panel in it.
        if self.built_panel is None:
            self.panel().show()
        super().showEvent(event)
