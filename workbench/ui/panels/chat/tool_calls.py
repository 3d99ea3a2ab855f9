"""An answer's calls to functions, in its card: each call's name, then its arguments growing as
they stream, checked against the function's parameters once complete; and, while the calls wait
for results, one box per call to write (or keep the saved mock) and a button to send them."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.tools import ToolCall, ToolSet, call_problems
from workbench.ui.theme import ErrorLabel, QuietLabel

RESULT_LINES = 4  # a result box's height, in lines
MATCHES = "✓ Arguments match {name}'s parameters"
NO_SCHEMA = "Not among the functions offered now: the arguments are not checked"


def pretty(arguments: str) -> str:
    """Arguments indented for reading when they are JSON; as they came when not (cut off)."""
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


class CallView(QFrame):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="tool_call")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(2)
        self.title = QLabel(self, objectName="tool_call_name")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.title)
        self.arguments = QLabel(self, objectName="tool_call_arguments")
        self.arguments.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.arguments.setWordWrap(True)
        self.arguments.setTextFormat(Qt.TextFormat.PlainText)
        self.arguments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.arguments)
        self.verdict = QuietLabel(self, objectName="tool_call_check", wordWrap=True)
        self.problems = ErrorLabel(self, objectName="tool_call_problems", wordWrap=True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict)
        layout.addWidget(self.problems)
        self.verdict.hide()
        self.problems.hide()
        self.call = ToolCall("", "", "")

    def show_call(self, call: ToolCall, complete: bool, tools: ToolSet | None) -> None:
        self.call = call
        self.title.setText(f"Calls <code>{_escape(call.name or '…')}</code>")
        self.arguments.setText(pretty(call.arguments) if complete else call.arguments)
        if not complete:
            return
        problems = call_problems(call, tools) if tools is not None else []
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        if tools is None:
            self.verdict.setText(NO_SCHEMA)
        else:
            self.verdict.setText(MATCHES.format(name=call.name))
        self.verdict.setVisible(not problems)


class ResultsForm(QFrame):
    """What the functions returned, one box per call, then Send results (Ctrl+Enter)."""

    results_given = Signal(list)  # [(ToolCall, result text)]

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="tool_results")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 0)
        self._boxes: list[tuple[ToolCall, QPlainTextEdit]] = []
        self.note = QuietLabel(self, objectName="tool_results_note", wordWrap=True)
        self._layout.addWidget(self.note)
        row = QHBoxLayout()
        row.addStretch(1)
        self.send_button = QPushButton("Send results", self, objectName="send_tool_results")
        self.send_button.setToolTip("Send results (Ctrl+Enter): the model carries on with them")
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.send_button)
        self._row = row
        self._layout.addLayout(row)

    def ask(self, calls: tuple[ToolCall, ...], prefilled: dict[str, str], note: str) -> None:
        for _call, box in self._boxes:
            box.deleteLater()
        self._boxes = []
        self.note.setText(note)
        line = self.fontMetrics().lineSpacing()
        for call in calls:
            box = QPlainTextEdit(self, objectName=f"tool_result.{call.id}")
            box.setPlaceholderText(f"What {call.name} returned (text or JSON)")
            box.setPlainText(prefilled.get(call.id, ""))
            box.setTabChangesFocus(True)
            box.setFixedHeight(line * RESULT_LINES + 12)
            send = QShortcut(QKeySequence("Ctrl+Return"), box)
            send.setContext(Qt.ShortcutContext.WidgetShortcut)  # the composer keeps its own
            send.activated.connect(self.send)
            self._layout.insertWidget(self._layout.count() - 1, _caption(call, self))
            self._layout.insertWidget(self._layout.count() - 1, box)
            self._boxes.append((call, box))
        self.show()

    def boxes(self) -> list[QPlainTextEdit]:
        return [box for _call, box in self._boxes]

    def send(self) -> None:
        results = [(call, box.toPlainText()) for call, box in self._boxes]
        empty = [call.name for call, text in results if not text.strip()]
        if empty:
            self.note.setText(f"Write what {empty[0]} returned first (an empty result is refused).")
            return
        self.send_button.setEnabled(False)  # once: the next answer is on its way
        self.results_given.emit(results)


def _caption(call: ToolCall, parent: QWidget) -> QLabel:
    label = QLabel(f"Result of <code>{_escape(call.name)}</code>", parent)
    label.setProperty("tool_caption", True)
    return label


class ToolCallsView(QWidget):
    """All of one answer's calls, and the results form while they wait for results."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="tool_calls")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._views: list[CallView] = []
        self._streaming: dict[int, ToolCall] = {}
        self.form = ResultsForm(self)
        self.form.hide()
        self._layout.addWidget(self.form)
        self.hide()

    def views(self) -> list[CallView]:
        return list(self._views)

    def show_calls(self, calls: tuple[ToolCall, ...], tools: ToolSet | None) -> None:
        """The settled calls, each checked."""
        self._streaming = {}
        for index, call in enumerate(calls):
            self._view(index).show_call(call, True, tools)
        self.setVisible(bool(calls))

    def stream(self, index: int, call_id: str | None, name: str | None, piece: str) -> None:
        """One piece of call `index` as it arrives."""
        old = self._streaming.get(index, ToolCall("", "", ""))
        call = ToolCall(call_id or old.id, name or old.name, old.arguments + piece)
        self._streaming[index] = call
        self._view(index).show_call(call, False, None)
        self.show()

    def _view(self, index: int) -> CallView:
        while len(self._views) <= index:
            view = CallView(self)
            self._layout.insertWidget(len(self._views), view)
            self._views.append(view)
        return self._views[index]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
