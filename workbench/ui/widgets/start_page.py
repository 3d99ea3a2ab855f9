"""The centre of the window when nothing else claims it: where you are and what to do next."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class StartPage(QWidget):
    def __init__(self, new_session: QAction, endpoints: QAction) -> None:
        super().__init__()
        self.setObjectName("start_page")
        title = QLabel("Workbench")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setWeight(font.Weight.DemiBold)
        title.setFont(font)
        self.endpoint_line = QLabel(objectName="start_page.endpoint")
        self.session_line = QLabel(objectName="start_page.session", wordWrap=True)
        self.session_line.setTextFormat(Qt.TextFormat.RichText)
        buttons = []
        for action in (new_session, endpoints):
            label = action.text().replace("&", "")
            keys = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            button = QPushButton(f"{label}   {keys}" if keys else label)
            button.clicked.connect(action.trigger)
            button.setMinimumWidth(260)
            buttons.append(button)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (title, self.endpoint_line, self.session_line, *buttons):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_endpoint(self, name: str, model: str) -> None:
        self.endpoint_line.setText(f"Talking to {name}" + (f" · {model}" if model else ""))

    def show_session(self, title: str | None, message_count: int = 0) -> None:
        if title is None:
            self.session_line.setText("")
            return
        count = f"{message_count} message{'s' if message_count != 1 else ''}"
        self.session_line.setText(f"Open: <b>{html.escape(title)}</b> · {count}")
