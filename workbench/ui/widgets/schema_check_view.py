"""Under a JSON schema answer, whether it matches the schema its run was sent with: the box
the chat and the compare columns show, and the check itself, run in a worker thread for a huge
answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from workbench.core.answer_check import AnswerCheck, check_answer, finding_lines, summary
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import PALETTE_EVENTS, ErrorLabel, QuietLabel, error_text

INLINE_LIMIT = 1_000_000  # characters; a longer answer is checked by a worker thread
PENDING = "Checking the answer against the schema…"
_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-check")


def check_soon(
    text: str,
    schema: dict[str, Any],
    tasks: BackgroundTasks,
    owner: QObject,
    done: Callable[[AnswerCheck], None],
    limit: int | None = None,
) -> AnswerCheck | None:
    """The check of a short answer, at once; None for a long one, whose check a worker makes
    and hands to `done` (unless `owner` has gone meanwhile)."""
    if len(text) <= (INLINE_LIMIT if limit is None else limit):
        return check_answer(text, schema)
    tasks.start("Checking the answer against its schema", _check_later(text, schema, owner, done))
    return None


async def _check_later(
    text: str, schema: dict[str, Any], owner: QObject, done: Callable[[AnswerCheck], None]
) -> None:
    check = await asyncio.get_running_loop().run_in_executor(_checks, check_answer, text, schema)
    if Shiboken.isValid(owner):
        done(check)


class SchemaCheckBox(QFrame):
    """Under a JSON schema answer: "Matches the schema" (quiet), a refusal said as such, or the
    problems with their JSON paths in a red box readable on light and dark palettes."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="schema_check")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        self.quiet = QuietLabel(self, objectName="schema_check_quiet")
        self.problems = ErrorLabel(self, objectName="schema_check_problems")
        for label in (self.quiet, self.problems):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        self.check: AnswerCheck | None = None
        self.hide()

    def show_check(self, check: AnswerCheck | None, pending: str = "") -> None:
        """`check` None with `pending` text: the check runs in a worker (a huge answer)."""
        self.check = check
        bad = check is not None and not check.matches and not check.refused
        head = pending if check is None else summary(check)
        lines = finding_lines(check) if check is not None else []
        self.quiet.setVisible(not bad)
        self.problems.setVisible(bad)
        (self.problems if bad else self.quiet).setText("\n".join([head, *lines]))
        self._restyle()
        self.show()

    def text(self) -> str:
        return (self.problems if self.problems.isVisibleTo(self) else self.quiet).text()

    def _restyle(self) -> None:
        sheet = ""
        if self.check is not None and not self.check.matches and not self.check.refused:
            # From the card's palette: a style sheet gives this box a palette of its own.
            source = self.parentWidget() or self
            red = error_text(source.palette())
            r, g, b = red.red(), red.green(), red.blue()
            sheet = (
                f"#schema_check {{ border: 1px solid rgb({r}, {g}, {b}); border-radius: 4px; "
                f"background: rgba({r}, {g}, {b}, 0.08); }}"
            )
        if self.styleSheet() != sheet:  # no restyle, no new palette event
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS and hasattr(self, "check"):
            self._restyle()
