"""The chat's "Tools" row: which tool set the next send offers, and a button to take it away.

The set is defined in the Tools panel; the row only holds it (as the ToolSet's JSON, which is
what the session's parameters keep) and says what it is.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from workbench.core.tools import ToolSet
from workbench.ui.theme import QuietLabel

NO_TOOLS = "none (define them in View ▸ Tools)"


class ToolsRow(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._json = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QuietLabel(NO_TOOLS, self, objectName="tools_summary", wordWrap=True)
        row.addWidget(self.label, 1)
        self.clear_button = QToolButton(self, objectName="tools_clear", text="Clear")
        self.clear_button.setToolTip("Send without tools from now on")
        self.clear_button.clicked.connect(lambda: self.set_value("", announce=True))
        row.addWidget(self.clear_button)
        self._show()

    def value(self) -> str:
        return self._json

    def toolset(self) -> ToolSet | None:
        return ToolSet.from_json(self._json)

    def set_value(self, tools_json: str, *, announce: bool = False) -> None:
        tools = ToolSet.from_json(tools_json)
        self._json = tools.to_json() if tools is not None and tools.functions else ""
        self._show()
        if announce:
            self.changed.emit()

    def _show(self) -> None:
        tools = self.toolset()
        self.label.setText(tools.summary() if tools else NO_TOOLS)
        self.label.setToolTip(
            "\n".join(f.name for f in tools.functions) if tools else "No functions offered"
        )
        self.clear_button.setVisible(tools is not None)
