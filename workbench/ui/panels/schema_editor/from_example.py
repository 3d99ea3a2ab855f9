"""From an example…: paste a JSON document, get a strict schema that it fits."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.services.schema_tools import ExampleError, infer_in_worker
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel

INTRO = (
    "Paste a JSON document like the answers you want. The schema made from it requires every "
    "field and allows no others, as strict mode wants (a field missing from some items of a "
    "list may then be null). It replaces the editor's text; Ctrl+Z brings the old text back."
)


class FromExampleDialog(QDialog):
    """Accepted once the schema is made; `schema` then holds it."""

    def __init__(self, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schema_from_example")
        self.setWindowTitle("Schema from an example")
        self._tasks = tasks
        self.schema: dict[str, Any] | None = None
        intro = QLabel(INTRO, self, wordWrap=True)
        self.document = QPlainTextEdit(self, objectName="example_document")
        self.document.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.document.setPlaceholderText('{"title": "Team lunch", "guests": ["Ana", "Bo"]}')
        self.document.setTabChangesFocus(True)
        self.error = ErrorLabel("", self, objectName="example_error", wordWrap=True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.make_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.make_button.setText("Make Schema")
        self.buttons.accepted.connect(self.make)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.document, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, 420)

    def make(self) -> None:
        self.make_button.setEnabled(False)
        self._tasks.start(
            "Making a schema from the example", self._make(self.document.toPlainText())
        )

    async def _make(self, text: str) -> None:
        try:
            schema, problem = await infer_in_worker(text), None
        except ExampleError as error:
            schema, problem = None, str(error)
        if not Shiboken.isValid(self):
            return
        self.make_button.setEnabled(True)
        if schema is None:
            self.error.setText(problem or "")
            self.error.show()
            self.document.setFocus()
            return
        self.schema = schema
        self.accept()
