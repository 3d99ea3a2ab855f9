"""The set's problems as the user edits it: once editing pauses, on the UI thread for a small set
and in a worker for one whose parameters are large, so no keystroke waits for the lint."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import Shiboken

from workbench.core.tools import Problem, ToolSet, toolset_problems
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.widgets.schema_lint_runner import INLINE_LIMIT

DEBOUNCE_MS = 150


def is_large(tools: ToolSet) -> bool:
    return sum(len(f.parameters) for f in tools.functions) > INLINE_LIMIT


class ProblemsCheck(QObject):
    checked = Signal(object, object)  # the ToolSet checked, its list[Problem]
    started = Signal()  # a check is under way in a worker

    def __init__(self, tasks: BackgroundTasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_now)
        self._wanted = ToolSet()
        self._in_worker: ToolSet | None = None
        self.last: tuple[ToolSet, list[Problem]] | None = None

    def changed(self, tools: ToolSet) -> None:
        self._wanted = tools
        self._timer.start()  # restarted by each edit

    def problems_now(self, tools: ToolSet) -> list[Problem] | None:
        """The set's problems, checked now if that is quick; None while a worker checks it."""
        if self.last is not None and self.last[0] == tools:
            return self.last[1]
        if is_large(tools):
            self.changed(tools)
            self.run_now()
            return None
        problems = toolset_problems(tools)
        self._done(tools, problems)
        return problems

    def run_now(self) -> None:
        self._timer.stop()
        tools = self._wanted
        if not is_large(tools):
            self._done(tools, toolset_problems(tools))
        elif self._in_worker != tools:
            self._in_worker = tools
            self.started.emit()
            self._tasks.start("Checking the tool set", self._check(tools), quiet=True)

    async def _check(self, tools: ToolSet) -> None:
        problems = await asyncio.to_thread(toolset_problems, tools)
        if not Shiboken.isValid(self):
            return
        if self._in_worker == tools:
            self._in_worker = None
        if tools == self._wanted:  # edited meanwhile: that set's own check comes after the pause
            self._done(tools, problems)

    def _done(self, tools: ToolSet, problems: list[Problem]) -> None:
        self.last = (tools, problems)
        self.checked.emit(tools, problems)
