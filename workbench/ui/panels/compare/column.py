"""One column of a comparison: its endpoint, model and parameters, and the answers it got."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.answer_check import AnswerCheck
from workbench.core.comparison import ColumnSpec, SavedColumn, params_summary
from workbench.core.endpoints import Endpoint
from workbench.core.model_traits import ModelTraits
from workbench.core.run_text import retry_line, stats_line
from workbench.core.runs import (
    RetryScheduled,
    RunError,
    RunEvent,
    RunFailed,
    RunParams,
    RunRecord,
    TextDelta,
)
from workbench.core.sessions import MessageStatus
from workbench.ui.widgets.markdown_view import MarkdownView
from workbench.ui.widgets.params_dialog import ParamsDialog as SharedParamsDialog
from workbench.ui.widgets.params_form import fill_model_box, model_box
from workbench.ui.widgets.schema_check_view import PENDING, SchemaCheckBox

MUTED = "color: palette(placeholder-text);"


@dataclass(slots=True)
class ColumnAnswer:
    """One of the column's k answers, as it streams and once it is done."""

    answer_id: int
    text: list[str] = field(default_factory=list)
    status: str = MessageStatus.STREAMING
    record: RunRecord | None = None
    error: RunError | None = None
    retry: str = ""
    check: AnswerCheck | None = None  # against the JSON schema its run was sent with
    checking: bool = False  # a worker is checking a huge answer

    @property
    def content(self) -> str:
        if len(self.text) > 1:
            self.text[:] = ["".join(self.text)]
        return self.text[0] if self.text else ""


class ParamsDialog(SharedParamsDialog):
    """The chat's parameter form, for one column: model, system prompt and sampling knobs."""

    def __init__(self, spec: ColumnSpec, models: list[str], traits: ModelTraits, parent: QWidget):
        title = f"Column parameters — {spec.endpoint_name}"
        super().__init__(title, spec.params, spec.system_prompt, models, parent)
        # The chat's hint speaks of "this session"; here the prompt belongs to one column.
        self.form.system_prompt.setPlaceholderText(
            "How the assistant should behave in this column (the chat's own is not used)"
        )
        self.form.apply_traits(traits)


class CompareColumn(QFrame):
    endpoint_changed = Signal(object)  # this column: its model list should be (re)loaded
    remove_requested = Signal(object)
    chat_settings_requested = Signal(object)  # copy the chat session's settings into it
    parameters_requested = Signal(object)
    send_to_chat_requested = Signal(object)
    answer_shown = Signal(object)  # the shown answer changed (the diff follows it)
    copied = Signal(str)
    settings_changed = Signal()  # endpoint, model or parameters: labels elsewhere follow
    answer_clicked = Signal(object)  # the heatmap and inspector follow the clicked answer

    def __init__(self, endpoints: list[Endpoint], spec: ColumnSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compare_column")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(220)
        self.params = spec.params
        self.system_prompt = spec.system_prompt
        self.answers: list[ColumnAnswer] = []
        self.shown = 0
        self._follow = True  # show each repeat as it starts, until the user picks one

        self.title = QLabel(self, objectName="column_title")
        self.title.setStyleSheet("font-weight: 600;")
        close = QToolButton(self, text="×", objectName="remove_column", autoRaise=True)
        close.setToolTip("Remove this column")
        close.clicked.connect(lambda: self.remove_requested.emit(self))
        self.endpoint = QComboBox(self, objectName="column_endpoint")
        self.model = model_box(self)
        self.model.setObjectName("column_model")
        self.settings = QLabel(self, objectName="column_settings", wordWrap=True)
        self.settings.setStyleSheet(MUTED)
        edit = QToolButton(self, text="Parameters…", objectName="column_parameters")
        edit.clicked.connect(lambda: self.parameters_requested.emit(self))
        from_chat = QToolButton(self, text="Use chat settings", objectName="column_from_chat")
        from_chat.setToolTip("Copy the open chat session's endpoint, model, parameters and prompt")
        from_chat.clicked.connect(lambda: self.chat_settings_requested.emit(self))

        self.body = MarkdownView(self)
        self.body.setObjectName("column_answer")
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        self.scroll = scroll
        self.body.viewport().installEventFilter(self)
        self.schema_check = SchemaCheckBox(self)  # a JSON schema answer: does it match?
        self.notice = QLabel(self, objectName="column_notice", wordWrap=True)
        self.notice.setStyleSheet("color: #9a6700;")
        self.error = QLabel(self, objectName="column_error", wordWrap=True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.previous = QToolButton(self, text="‹", autoRaise=True, objectName="previous_repeat")
        self.next = QToolButton(self, text="›", autoRaise=True, objectName="next_repeat")
        self.position = QLabel(self, objectName="repeat_position")
        self.previous.clicked.connect(lambda: self.show_repeat(self.shown - 1, by_user=True))
        self.next.clicked.connect(lambda: self.show_repeat(self.shown + 1, by_user=True))
        self.stats = QLabel(self, objectName="column_stats", wordWrap=True)
        self.stats.setStyleSheet(MUTED)
        self.consistency = QLabel(self, objectName="column_consistency", wordWrap=True)
        send = QToolButton(self, text="Send to chat", objectName="send_to_chat")
        send.setToolTip("Add the shown answer to the chat as a branch of the conversation")
        send.clicked.connect(lambda: self.send_to_chat_requested.emit(self))
        copy = QToolButton(self, text="Copy", objectName="copy_answer")
        copy.clicked.connect(self.copy_answer)
        self.send_button = send

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(close)
        choose = QHBoxLayout()
        choose.addWidget(self.endpoint, 1)
        choose.addWidget(self.model, 2)
        knobs = QHBoxLayout()
        knobs.addWidget(edit)
        knobs.addWidget(from_chat)
        knobs.addStretch(1)
        nav = QHBoxLayout()
        nav.addWidget(self.previous)
        nav.addWidget(self.position)
        nav.addWidget(self.next)
        nav.addStretch(1)
        nav.addWidget(copy)
        nav.addWidget(send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(choose)
        layout.addLayout(knobs)
        layout.addWidget(self.settings)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.schema_check)
        layout.addWidget(self.notice)
        layout.addWidget(self.error)
        layout.addWidget(self.stats)
        layout.addWidget(self.consistency)
        layout.addLayout(nav)

        self.set_endpoints(endpoints, spec.endpoint_id)
        self.model.setCurrentText(spec.params.model)
        self.endpoint.currentIndexChanged.connect(lambda _i: self._endpoint_picked())
        # Only the user's own changes are announced: a combo box also changes while it is being
        # filled or destroyed, and the panel must not relabel columns that are going away.
        self.endpoint.activated.connect(lambda _i: self.settings_changed.emit())
        self.model.activated.connect(lambda _i: self.settings_changed.emit())
        self.model.lineEdit().textEdited.connect(lambda _t: self.settings_changed.emit())
        self.model.currentTextChanged.connect(lambda _t: self._show_settings())
        self._show_settings()
        self._show_answer()

    # --- the column's settings -----------------------------------------------------------------
    def spec(self) -> ColumnSpec:
        params = replace(self.params, model=self.model.currentText().strip())
        return ColumnSpec(
            str(self.endpoint.currentData() or ""),
            self.endpoint.currentText(),
            params,
            self.system_prompt,
        )

    def set_spec(self, spec: ColumnSpec) -> None:
        self.params, self.system_prompt = spec.params, spec.system_prompt
        index = self.endpoint.findData(spec.endpoint_id)
        if index < 0:  # an endpoint since deleted: keep its name so the column says which
            self.endpoint.addItem(f"{spec.endpoint_name} (deleted)", spec.endpoint_id)
            index = self.endpoint.count() - 1
        self.endpoint.setCurrentIndex(index)
        self.model.setCurrentText(spec.params.model)
        self._show_settings()
        self.settings_changed.emit()

    def set_endpoints(self, endpoints: list[Endpoint], current_id: str | None = None) -> None:
        wanted = current_id or self.endpoint.currentData()
        self.endpoint.blockSignals(True)
        self.endpoint.clear()
        for endpoint in endpoints:
            self.endpoint.addItem(endpoint.name, endpoint.id)
        index = self.endpoint.findData(wanted)
        self.endpoint.setCurrentIndex(max(index, 0))
        self.endpoint.blockSignals(False)

    def _endpoint_picked(self) -> None:
        """Another endpoint: its default model, not the old endpoint's id (kept if listed)."""
        self.model.setCurrentText("")
        self.endpoint_changed.emit(self)

    def set_models(self, models: list[str], default: str = "") -> None:
        fill_model_box(self.model, models, default)
        self._show_settings()

    def set_parameters(self, params: RunParams, system_prompt: str) -> None:
        self.params, self.system_prompt = params, system_prompt
        if params.model:
            self.model.setCurrentText(params.model)
        self._show_settings()
        self.settings_changed.emit()

    def set_number(self, number: int) -> None:
        self.title.setText(f"Column {number}")

    def _show_settings(self) -> None:
        self.settings.setText(params_summary(self.params, self.system_prompt))
        self.settings.setToolTip(self.system_prompt or "")

    # --- answers -------------------------------------------------------------------------------
    def begin(self) -> None:
        self.answers, self.shown, self._follow = [], 0, True
        self.body.set_markdown("")
        self._show_answer()

    def answer_started(self, repeat: int, answer_id: int) -> ColumnAnswer:
        while len(self.answers) <= repeat:
            self.answers.append(ColumnAnswer(answer_id))
        answer = self.answers[repeat]
        answer.answer_id = answer_id
        if self._follow:
            self.show_repeat(repeat)
        return answer

    def on_event(self, repeat: int, answer_id: int, event: RunEvent) -> None:
        if repeat >= len(self.answers) or self.answers[repeat].answer_id != answer_id:
            self.answer_started(repeat, answer_id)
        answer = self.answers[repeat]
        shown = repeat == self.shown
        if isinstance(event, TextDelta):
            answer.text.append(event.text)
            answer.retry = ""
            if shown:
                self.body.append(event.text)
                self.notice.hide()
        elif isinstance(event, RetryScheduled):
            answer.retry = retry_line(event)
            if shown:
                self._show_answer()
        elif isinstance(event, RunFailed):
            answer.error, answer.status = event.error, MessageStatus.ERROR
            if shown:
                self._show_answer()

    def on_finished(self, repeat: int, record: RunRecord, content: str) -> None:
        answer = self.answers[repeat]
        answer.record, answer.retry = record, ""
        answer.text[:] = [content]
        answer.error = record.error or answer.error
        answer.status = record.status
        if repeat == self.shown:
            self.body.finish()
            self._show_answer(refresh_text=self.body.text() != content)

    def stopped(self) -> None:
        for answer in self.answers:
            if answer.status == MessageStatus.STREAMING:
                answer.status = MessageStatus.STOPPED
        self._show_answer()

    def show_saved(self, column: SavedColumn, records: dict[int, RunRecord]) -> None:
        self.set_spec(column.spec)
        self.answers = []
        for saved in column.answers:
            record = records.get(saved.run_id) if saved.run_id is not None else None
            answer = ColumnAnswer(saved.id)
            answer.text, answer.status, answer.record = [saved.content], saved.status, record
            answer.error = record.error if record is not None else None
            self.answers.append(answer)
        self.shown, self._follow = 0, False
        self._show_answer(refresh_text=True)

    def show_repeat(self, index: int, *, by_user: bool = False) -> None:
        if not 0 <= index < max(len(self.answers), 1):
            return
        if by_user:
            self._follow = False
        self.shown = index
        self._show_answer(refresh_text=True)
        self.answer_shown.emit(self)

    def shown_answer(self) -> ColumnAnswer | None:
        return self.answers[self.shown] if self.shown < len(self.answers) else None

    def _show_answer(self, refresh_text: bool = False) -> None:
        answer = self.shown_answer()
        count = len(self.answers)
        for widget in (self.previous, self.next, self.position):
            widget.setVisible(count > 1)
        self.position.setText(f"{self.shown + 1}/{count}")
        self.previous.setEnabled(self.shown > 0)
        self.next.setEnabled(self.shown < count - 1)
        if refresh_text:
            self.body.set_markdown(answer.content if answer else "")
        self.notice.setText(answer.retry if answer else "")
        self.notice.setVisible(bool(answer and answer.retry))
        error = answer.error if answer else None
        self.error.setText(
            f"<b>{_escape(error.title)}</b><br><small>{_escape(error.detail)}</small>"
            if error
            else ""
        )
        self.error.setVisible(error is not None)
        self._show_check(answer)
        if answer is None:
            self.stats.setText("")
        elif answer.record is not None:
            status = answer.record.finish_reason or answer.record.status
            self.stats.setText(f"{stats_line(answer.record, with_model=False)} · {status}")
        else:
            streaming = answer.status is MessageStatus.STREAMING
            self.stats.setText("answering…" if streaming else str(answer.status))
        self.send_button.setEnabled(bool(answer and answer.record and answer.content))

    def set_check(self, answer: ColumnAnswer, check: AnswerCheck | None) -> None:
        """`check` None: a worker is still checking `answer` (a huge one)."""
        answer.check, answer.checking = check, check is None
        if answer is self.shown_answer():
            self._show_check(answer)

    def _show_check(self, answer: ColumnAnswer | None) -> None:
        if answer is not None and (answer.check is not None or answer.checking):
            self.schema_check.show_check(answer.check, PENDING)
        else:
            self.schema_check.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self.answer_clicked.emit(self)
        return False

    def set_consistency(self, text: str) -> None:
        self.consistency.setText(text)
        self.consistency.setVisible(bool(text))

    def copy_answer(self) -> None:
        answer = self.shown_answer()
        if answer is not None and answer.content:
            QApplication.clipboard().setText(answer.content)
            self.copied.emit("Answer copied.")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
