"""One message in the conversation: who, its branch position, its actions, its markdown body."""

from __future__ import annotations

import json
import time

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.run_text import retry_line, stats_line, stats_parts, waiting_line
from workbench.core.runs import RetryScheduled, RunError, RunRecord
from workbench.core.sessions import Message, MessageStatus, Role
from workbench.core.tree import Position
from workbench.ui.panels.chat.message_images import ImagesRow
from workbench.ui.panels.chat.tool_calls import ToolCallsView
from workbench.ui.theme import (
    PALETTE_EVENTS,
    QuietLabel,
    palette_is_dark,
)
from workbench.ui.widgets.markdown_view import MarkdownView
from workbench.ui.widgets.schema_check_view import SchemaCheckBox

# Text, light-palette colour, dark-palette colour: each at least 4.5:1 on its window.
_STATUS_BADGES = {
    MessageStatus.STREAMING: ("answering…", "#1f5fa8", "#6ea8fe"),
    MessageStatus.STOPPED: ("stopped", "#7a6000", "#d9b44a"),
    MessageStatus.INTERRUPTED: ("interrupted", "#a04f00", "#f0a050"),
    MessageStatus.ERROR: ("failed", "#b3261e", "#f28b82"),
}
INFO_SEPARATOR = " · "
MODEL_MIN_PX = 120  # less room than this, the model's name gets a line of its own
WAIT_TICK_MS = 250  # how often the waiting note's seconds are brought up to date


# What the header's actions show in a narrow chat.
COMPACT_LABELS = {
    "Edit": "✎",
    "Regenerate": "↻",
    "Continue": "»",
    "Listen": "♪",
    "Stop": "■",
    "Copy": "❐",
    "Delete": "✕",
}


class MessageCard(QFrame):
    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    continue_requested = Signal(int)
    listen_requested = Signal(int)  # read aloud, or stop reading
    delete_requested = Signal(int)
    sibling_requested = Signal(int)  # the sibling message to show instead
    copied = Signal(str)  # a status line
    selected = Signal(int)  # the user clicked into this message

    def __init__(self, message: Message, position: Position, parent: QWidget | None = None):
        super().__init__(parent)
        self.message = message
        self.setObjectName(f"message.{message.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("role", str(message.role))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(4)
        layout.addLayout(self._header(message, position))
        self.body = MarkdownView(self)
        self.body.setObjectName("message_body")
        self.body.set_markdown(shown_text(message))
        self.body.viewport().installEventFilter(self)
        self.body.code_copied.connect(lambda _i: self.copied.emit("Code block copied."))
        layout.addWidget(self.body)
        self.tool_calls = ToolCallsView(self)  # the functions this answer calls, if any
        layout.addWidget(self.tool_calls)
        self.schema_check = SchemaCheckBox(self)  # a JSON schema answer: does it match?
        layout.addWidget(self.schema_check)
        self._continue_problem: str | None = None
        self.stats = InfoLine(self)
        self.stats.hide()  # until the run's figures are in
        layout.addWidget(self.stats)
        self.notice = QuietLabel(self, objectName="run_notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        # Until the first token, the note says what the app waits for and for how long: a silent
        # server otherwise looks like a hung app, and a retry note would outlive its pause.
        self._waiting_since: float | None = None
        self._retry: RetryScheduled | None = None
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(WAIT_TICK_MS)
        self._wait_timer.timeout.connect(self._show_waiting)
        self.error_box = self._error_box()
        layout.addWidget(self.error_box)
        self.set_status(message.status)

    # --- building ------------------------------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        """In a narrow chat the actions show as symbols (their tooltips name them), so the card
        fits its column instead of running past its right edge."""
        self._compact = compact
        for button, text in self._labelled:
            button.setText(COMPACT_LABELS[text] if compact else text)

    def set_listening(self, listening: bool) -> None:
        """While the answer is read aloud its Listen button is Stop."""
        text = "Stop" if listening else "Listen"
        self._labelled = [(b, text if b is self.listen_button else t) for b, t in self._labelled]
        compact = getattr(self, "_compact", False)
        self.listen_button.setText(COMPACT_LABELS[text] if compact else text)
        tip = "Stop reading aloud" if listening else "Read this answer aloud (again to stop)"
        self.listen_button.setToolTip(f"{text}: {tip}")

    def _header(self, message: Message, position: Position) -> QHBoxLayout:
        self._labelled: list[tuple[QToolButton, str]] = []
        row = QHBoxLayout()
        row.setSpacing(4)
        who = {Role.USER: "You", Role.TOOL: "Tool result"}.get(message.role, "Assistant")
        self.who = QLabel(f"<b>{who}</b>", self)
        row.addWidget(self.who)
        self.badge = QLabel(self, objectName="status_badge")
        row.addWidget(self.badge)
        row.addStretch(1)  # the run's figures have a line of their own, under the answer
        if position.count > 1:
            row.addWidget(self._tool("‹", "Previous version", position.previous_id))
            self.branch_label = QLabel(f"{position.index + 1}/{position.count}", self)
            self.branch_label.setObjectName("branch_position")
            row.addWidget(self.branch_label)
            row.addWidget(self._tool("›", "Next version", position.next_id))
        mid = message.id
        if message.role is Role.USER:
            self.edit_button = self._action("Edit", "Edit into a new branch", self.edit_requested)
            row.addWidget(self.edit_button)
        elif message.role is Role.ASSISTANT:
            self.regenerate_button = self._action(
                "Regenerate", "Answer again as a new branch", self.regenerate_requested
            )
            self.continue_button = self._action(
                "Continue", "Carry on from where this answer ends", self.continue_requested
            )
            self.listen_button = self._action(
                "Listen", "Read this answer aloud (again to stop)", self.listen_requested
            )
            row.addWidget(self.regenerate_button)
            row.addWidget(self.continue_button)
            row.addWidget(self.listen_button)
        copy = QToolButton(self, text="Copy", toolTip="Copy: copy this message as markdown")
        self._labelled.append((copy, "Copy"))
        copy.setAutoRaise(True)
        copy.clicked.connect(self.copy_text)
        row.addWidget(copy)
        delete = self._action("Delete", "Delete this message and what follows it", None)
        delete.clicked.connect(lambda: self.delete_requested.emit(mid))
        row.addWidget(delete)
        return row

    def _tool(self, text: str, tip: str, target: int | None) -> QToolButton:
        button = QToolButton(self, text=text, toolTip=tip)
        button.setAutoRaise(True)
        button.setEnabled(target is not None)
        if target is not None:
            button.clicked.connect(lambda: self.sibling_requested.emit(target))
        return button

    def _action(self, text: str, tip: str, signal) -> QToolButton:
        button = QToolButton(self, text=text, toolTip=f"{text}: {tip}")
        button.setObjectName(f"action.{text.lower()}")
        self._labelled.append((button, text))
        button.setAutoRaise(True)
        if signal is not None:
            button.clicked.connect(lambda: signal.emit(self.message.id))
        return button

    def _error_box(self) -> QFrame:
        box = QFrame(self, objectName="error_box")
        box.setStyleSheet(
            "#error_box { border: 1px solid #b3261e; border-radius: 4px; "
            "background: rgba(179, 38, 30, 0.08); }"
        )
        row = QHBoxLayout(box)
        self.error_label = QLabel(box, objectName="error_text")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.error_label, 1)
        self.retry_button = QPushButton("Retry", box, objectName="retry")
        self.retry_button.clicked.connect(lambda: self.regenerate_requested.emit(self.message.id))
        row.addWidget(self.retry_button)
        box.hide()
        return box

    # --- updates -------------------------------------------------------------------------------
    def set_status(self, status: MessageStatus) -> None:
        self.status = status
        self._show_badge()
        if self.message.role is Role.ASSISTANT:
            busy = status is MessageStatus.STREAMING
            self.regenerate_button.setEnabled(not busy)
            self.continue_button.setEnabled(
                not busy and self.body.received_chars > 0 and self._continue_problem is None
            )
        if status is not MessageStatus.ERROR:
            self.error_box.hide()
        if status is MessageStatus.STREAMING:  # Continue: the old check no longer holds
            self.schema_check.hide()
        if status is MessageStatus.STREAMING and not self.body.received_chars:
            self._start_waiting()
        elif status is not MessageStatus.STREAMING:
            self.stop_waiting()

    def _show_badge(self) -> None:
        text, light, dark = _STATUS_BADGES.get(self.status, ("", "", ""))
        colour = dark if palette_is_dark(self.palette()) else light
        self.badge.setText(f'<span style="color:{colour}">{text}</span>' if text else "")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS and hasattr(self, "status"):
            self._show_badge()  # the light palette's colours are hard to read on dark

    def set_continue_problem(self, problem: str | None) -> None:
        """Endpoints that cannot carry on from a prefix get Continue greyed out, saying why."""
        self._continue_problem = problem
        if self.message.role is Role.ASSISTANT:
            self.continue_button.setToolTip(problem or "Carry on from where this answer ends")
            self.set_status(self.status)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self.selected.emit(self.message.id)
        return False

    def mousePressEvent(self, event) -> None:
        self.selected.emit(self.message.id)
        super().mousePressEvent(event)

    def show_error(self, error: RunError) -> None:
        detail = f"<br><small>{_escape(error.detail)}</small>" if error.detail else ""
        self.error_label.setText(f"<b>{_escape(error.title)}</b>{detail}")
        # Sending again cannot fix a refused key or a missing model: no Retry for those.
        self.retry_button.setVisible(error.retryable)
        self.error_box.show()

    def show_retry(self, event: RetryScheduled) -> None:
        """The SDK pauses before its next attempt; once the pause is over the note goes back
        to saying the app waits for the server, timed from the retry."""
        self._retry = event
        self._waiting_since = time.monotonic() + event.wait_s
        self.notice.setText(retry_line(event))
        self.notice.show()
        self._wait_timer.start()

    def _start_waiting(self) -> None:
        if self._waiting_since is None:
            self._waiting_since = time.monotonic()
            self._show_waiting()
            self._wait_timer.start()

    def _show_waiting(self) -> None:
        if self._waiting_since is None:
            return
        if self.body.received_chars:  # the first token arrived: nothing is awaited any more
            self.stop_waiting()
            return
        elapsed = time.monotonic() - self._waiting_since
        if elapsed < 0:  # still in the SDK's pause: the retry note stands
            return
        retry = self._retry
        self.notice.setText(
            waiting_line(elapsed, retry.attempt, retry.max_retries)
            if retry
            else waiting_line(elapsed)
        )
        self.notice.show()

    def stop_waiting(self) -> None:
        """The answer started or the run ended: the waiting note goes."""
        if self._waiting_since is None:
            return
        self._waiting_since, self._retry = None, None
        self._wait_timer.stop()
        self.notice.hide()

    def show_record(self, record: RunRecord) -> None:
        self.stop_waiting()
        self.notice.hide()
        self.stats.set_record(record)
        if record.error is not None:
            self.show_error(record.error)

    def show_images(self, images, image_data) -> None:
        """The message's images, under its text."""
        self.images = ImagesRow(images, image_data, self)
        layout = self.layout()
        layout.insertWidget(layout.indexOf(self.body) + 1, self.images)

    def copy_text(self) -> None:
        QApplication.clipboard().setText(self.body.text())
        self.copied.emit("Message copied.")


class InfoLine(QuietLabel):
    """'model · first token 210 ms · total 1.3 s · 45 tok/s · 12→57 tokens · $0.0004': short of
    room, the model's name is elided in the middle (whole in the tooltip); a figure is never cut,
    the line wraps between figures instead."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="run_stats")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._model = ""
        self._figures = ""

    def set_record(self, record: RunRecord) -> None:
        model, figures = stats_parts(record)
        self._model = model
        # Non-breaking spaces inside a figure: a wrap falls between figures, never in one.
        self._figures = INFO_SEPARATOR.join(f.replace(" ", "\u00a0") for f in figures)
        self.setToolTip(stats_line(record))
        self.show()
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self._model:
            self.setText(self._figures)
            return
        metrics = self.fontMetrics()
        width = self.contentsRect().width()
        room = width - metrics.horizontalAdvance(INFO_SEPARATOR + self._figures)
        if room >= MODEL_MIN_PX:  # one line: the model's name gives way
            model = metrics.elidedText(self._model, Qt.TextElideMode.ElideMiddle, room)
            self.setText(INFO_SEPARATOR.join(p for p in (model, self._figures) if p))
        else:  # the name on a line of its own, the figures under it (wrapping between figures)
            model = metrics.elidedText(self._model, Qt.TextElideMode.ElideMiddle, width)
            self.setText(f"{model}\n{self._figures}" if self._figures else model)


def shown_text(message: Message) -> str:
    """What the card's body shows: a tool's result that is JSON as a JSON block."""
    if message.role is Role.TOOL:
        try:
            json.loads(message.content)
        except ValueError:
            return message.content
        return f"```json\n{message.content}\n```"
    return message.content


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
