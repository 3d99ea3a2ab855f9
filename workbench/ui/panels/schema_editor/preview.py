"""The Python preview: the Pydantic v2 model the schema describes, read-only, with Copy.

It is generated in a worker, once the lint accepts the schema and while the tab is in view; a
failure is said in place of the code."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from workbench.services.schema_tools import PreviewError, python_model_in_worker
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel, QuietLabel

WAITING = "The model appears here once strict mode accepts the schema."
WORKING = "Writing the model…"
STALE = "Strict mode does not accept the schema as it is; below, the model of the last it did."
DONE = "Pydantic v2, as datamodel-code-generator writes it for this schema."


class PythonPreview(QWidget):
    def __init__(self, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schema_python_preview")
        self._tasks = tasks
        # Until a first model is written, the code box's placeholder says what will be there.
        self.note = QuietLabel("", self, objectName="schema_preview_note", wordWrap=True)
        self.error = ErrorLabel("", self, objectName="schema_preview_error", wordWrap=True)
        self.error.hide()
        self.copy_button = QPushButton("Copy", self, objectName="schema_preview_copy")
        self.copy_button.setToolTip("Copy the model's code to the clipboard")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy)
        self.code = QPlainTextEdit(self, objectName="schema_preview_code", readOnly=True)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code.setPlaceholderText(WAITING)
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.code, 1)
        self.shown_for: str | None = None  # the schema text the code is for
        self._wanted: str | None = None  # the accepted text to write the model for
        self._running: str | None = None

    def want(self, text: str | None) -> None:
        """The accepted schema text to show a model for (None: the schema is not accepted now)."""
        self._wanted = text
        if text is None:
            self.error.hide()
            self.note.setText("" if self.shown_for is None else STALE)
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        text = self._wanted
        if text is None or text == self.shown_for or text == self._running:
            return
        self._running = text
        self.note.setText(WORKING)
        self._tasks.start("Writing the Python preview", self._generate(text))

    async def _generate(self, text: str) -> None:
        try:
            code, problem = await python_model_in_worker(text), None
        except PreviewError as error:
            code, problem = None, str(error)
        if not Shiboken.isValid(self):
            return
        self._running = None
        if text != self._wanted:  # the schema changed meanwhile: write the newer one's
            self.refresh()
            return
        self.shown_for = text
        if code is None:
            self.error.setText(f"No model could be written for this schema: {problem}")
            self.error.show()
            self.note.setText("")
            self.copy_button.setEnabled(False)
            return
        self.error.hide()
        self.note.setText(DONE)
        self.code.setPlainText(code)
        self.copy_button.setEnabled(True)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code.toPlainText())
        self.note.setText("Copied.")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
