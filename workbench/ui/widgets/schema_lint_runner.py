"""The strict-mode schema lint as the user types (the schema editor, the Tools panel's
parameters): once typing pauses, on the UI thread for a small text (a few milliseconds) and in a
worker for a large one, so no keystroke waits for it."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import Shiboken

from workbench.core.schema_lint import LintReport, SchemaDocumentError
from workbench.services.schema_tools import lint_in_worker, lint_or_problem
from workbench.ui.tasks import BackgroundTasks

Result = LintReport | SchemaDocumentError | None  # None: the text is empty

DEBOUNCE_MS = 300
# Measured: ~10 ms for 4 KB, ~380 ms for 100 KB. Above this size the lint goes to a worker, so
# the UI thread is never held longer than about 40 ms.
INLINE_LIMIT = 16_000


class LintRunner(QObject):
    linted = Signal(str, object)  # the text checked, its Result
    started = Signal()  # a check is under way in the worker

    def __init__(self, tasks: BackgroundTasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_now)
        self._text = ""
        self._in_worker: str | None = None  # the text a worker is checking
        self.last: tuple[str, Result] = ("", None)

    def text_changed(self, text: str) -> None:
        self._text = text
        self._timer.start()  # restarted by each keystroke

    def is_current(self, text: str) -> bool:
        return self.last[0] == text and not self._timer.isActive()

    def run_now(self) -> None:
        self._timer.stop()
        text = self._text
        if not text.strip():
            self._done(text, None)
        elif len(text) <= INLINE_LIMIT:
            self._done(text, lint_or_problem(text))
        elif self._in_worker != text:
            self._in_worker = text
            self.started.emit()
            self._tasks.start("Checking the schema", self._check(text), quiet=True)

    async def _check(self, text: str) -> None:
        result = await lint_in_worker(text)
        if not Shiboken.isValid(self):
            return
        if self._in_worker == text:
            self._in_worker = None
        if text == self._text:  # typed on meanwhile: that text's own check comes after the pause
            self._done(text, result)

    def _done(self, text: str, result: Result) -> None:
        self.last = (text, result)
        self.linted.emit(text, result)
