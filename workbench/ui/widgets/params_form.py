"""The run's parameters: system prompt, model and sampling knobs, greyed out with a reason
when the chosen model does not take them."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.model_traits import ModelTraits, unsupported_reason
from workbench.core.runs import REASONING_EFFORTS, RESPONSE_FORMATS, RunParams
from workbench.ui.theme import ErrorLabel
from workbench.ui.widgets.tools_row import ToolsRow

UNSET = "default"
MIN_WIDTH = 240  # the column's narrowest: every field and its arrows still in view
FIELD_MIN_WIDTH = 72


SCHEMA_MIN_LINES = 8  # shown while a JSON schema is asked for; it grows with the text…
SCHEMA_MAX_LINES = 24  # …up to this, then scrolls
SCHEMA_IDLE_LINES = 3  # greyed out (another response format): a glimpse is enough
SCHEMA_CHECK_DELAY_MS = 400  # after the last keystroke: no check (and no red flash) per key
SCHEMA_POLL_MS = 30
# One worker: a big pasted schema takes jsonschema a second or more, never on the UI thread.
_schema_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-check")


NO_SCHEMA = "Write the JSON schema here, or choose another response format."


def schema_text_problem(text: str) -> str | None:
    """What is wrong with a JSON schema's text, in words, or None: the JSON error with its line
    and column, or what jsonschema finds wrong with it as a schema."""
    if not text.strip():
        return NO_SCHEMA
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            f"The JSON schema is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        )
    if not isinstance(schema, dict):
        return "The JSON schema must be a JSON object ({…}), not a list or a single value."
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path)
        return f"Not a valid JSON schema: {exc.message}" + (f" (at {where})." if where else ".")
    return None


REFUSED_STYLE = "QAbstractSpinBox { border: 1px solid #b3261e; border-radius: 2px; }"


class _Range:
    """What a number field shares: its name and real range (the minimum below it stands for
    "not set"), typed text out of range refused rather than clipped, empty text meaning default."""

    low = float("-inf")  # set by _setup; the constructor already validates
    high = float("inf")
    name = ""
    refused = ""  # why the last typed text was refused, until the field is finished with

    def hint(self) -> str:
        low, high = (f"{v:,g}".replace("-", "\u2212") for v in (self.low, self.high))
        span = f"{low}\u2013{high}" if self.low >= 0 else f"{low} to {high}"
        return f"{self.name} is {span}"

    def out_of_range(self, text: str) -> bool:
        value, ok = self.locale().toDouble(text.strip())
        return ok and not self.low <= value <= self.high

    def check(self, text: str, pos: int, base: object) -> object:
        if not text.strip():
            return QValidator.State.Acceptable, text, pos  # empty: back to default
        if self.out_of_range(text):
            return QValidator.State.Intermediate, text, pos  # refused on Enter or leaving
        return base

    def note(self, text: str) -> None:
        self.refused = f"{self.hint()}; kept the previous value." if self.out_of_range(text) else ""

    # Qt's virtuals, for both spin boxes: super() is QSpinBox's or QDoubleSpinBox's.
    def validate(self, text: str, pos: int) -> object:
        return self.check(text, pos, super().validate(text, pos))

    def fixup(self, text: str) -> str:
        self.note(text)
        return text  # PySide takes the returned text as the fixed one: unchanged, so refused

    def valueFromText(self, text: str) -> Any:
        if not text.strip():
            return self.minimum()
        return super().valueFromText(text)


class RangeDouble(_Range, QDoubleSpinBox):
    pass


class RangeInt(_Range, QSpinBox):
    pass


def _setup(box: RangeDouble | RangeInt, low: float, high: float, unset: str) -> None:
    box.low, box.high, box.name, box.refused = low, high, "", ""
    box.setSpecialValueText(unset)
    box.setValue(box.minimum())
    box.setKeyboardTracking(False)  # a value counts once Enter or leaving the field commits it


def _double(low: float, high: float, step: float) -> RangeDouble:
    # The minimum stands for "not set", shown as "default", so the server's own default applies.
    box = RangeDouble(minimum=low - step, maximum=high, singleStep=step, decimals=2)
    _setup(box, low, high, UNSET)
    return box


def _integer(high: int, low: int = 0, unset: str = UNSET) -> RangeInt:
    box = RangeInt(minimum=low - 1 if unset == UNSET else low, maximum=high)
    _setup(box, low, high, unset)
    return box


class WheelGuard(QObject):
    """The wheel changes a field only while it has focus; otherwise it scrolls the column."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget):
            focus = QApplication.focusWidget()
            if focus is not watched and not watched.isAncestorOf(focus):
                event.ignore()  # passed on to the parents, up to the scroll area
                return True
        return False


def model_box(parent: QWidget) -> QComboBox:
    """An editable list of the endpoint's models: a listed one, or any name typed in."""
    box = QComboBox(parent)
    box.setEditable(True)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    box.setToolTip("Models the endpoint lists; you can also type a name")
    return box


def pick_model(current: str, models: list[str], default: str = "") -> str:
    """The model to show once `models` are listed: the chosen one if listed, else the endpoint's
    default, else the first. The box's text is what is sent, so it must never silently become a
    model the user did not choose (alphabetically first) while the status bar names the default."""
    if not models:
        return current or default
    if current in models:
        return current
    return default if default in models else models[0]


def fill_model_box(box: QComboBox, models: list[str], default: str = "") -> None:
    """Offer `models` and pick one (`pick_model`), without change signals."""
    chosen = pick_model(box.currentText(), models, default)
    box.blockSignals(True)
    box.clear()
    box.addItems(models)
    box.setCurrentText(chosen)
    box.lineEdit().setCursorPosition(0)  # show the name's start, not its end
    box.blockSignals(False)


class ParamsForm(QScrollArea):
    changed = Signal()
    model_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chat_params")
        self.setWidgetResizable(True)
        # The column fits its width: no sideways scrolling, the fields shrink instead (and the
        # inner widget is held to the viewport's width, see viewportEvent).
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(MIN_WIDTH)
        inner = QWidget(self)
        outer = QVBoxLayout(inner)
        outer.addWidget(QLabel("<b>System prompt</b>", inner))
        self.system_prompt = QPlainTextEdit(inner, objectName="system_prompt")
        self.system_prompt.setPlaceholderText("How the assistant should behave in this session")
        self.system_prompt.setMaximumHeight(110)
        self.system_prompt.setTabChangesFocus(True)  # prose: Tab moves on, never types a tab
        outer.addWidget(self.system_prompt)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(form)
        self.model = model_box(inner)
        self.model.setObjectName("model")
        self.temperature = _double(0, 2, 0.1)
        self.top_p = _double(0, 1, 0.05)
        self.max_tokens = _integer(1_000_000)
        self.seed = _integer(2_147_483_647)
        self.stop = QLineEdit(inner, placeholderText="e.g. ###, END  (comma separated)")
        self.presence_penalty = _double(-2, 2, 0.1)
        self.frequency_penalty = _double(-2, 2, 0.1)
        self.reasoning_effort = QComboBox(inner)
        self.reasoning_effort.addItems([UNSET, *REASONING_EFFORTS])
        self.logprobs = QCheckBox("return token logprobs", inner)
        self.top_logprobs = _integer(20, unset="none")
        self.response_format = QComboBox(inner)
        self.response_format.addItems(list(RESPONSE_FORMATS))
        self.json_schema = QPlainTextEdit(inner, objectName="json_schema")
        self.json_schema.setPlaceholderText('{"type": "object", "properties": {…}}')
        # Tab moves on here too (no keyboard trap at the column's end); pasted schemas keep theirs.
        self.json_schema.setTabChangesFocus(True)
        self.schema_error = ErrorLabel(inner, objectName="schema_error")
        self.schema_error.setWordWrap(True)
        self.schema_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.schema_error.hide()
        # The schema is checked once typing pauses, by a worker thread (see schema_text_problem).
        self._schema_timer = QTimer(self, singleShot=True, interval=SCHEMA_CHECK_DELAY_MS)
        self._schema_timer.timeout.connect(self._start_schema_check)
        self._schema_poll = QTimer(self, interval=SCHEMA_POLL_MS)
        self._schema_poll.timeout.connect(self._collect_schema_check)
        self._schema_check: tuple[str, Future[str | None]] | None = None
        self._checked: tuple[str, str | None] = ("", NO_SCHEMA)  # the last text checked, and why
        # Why a typed number was refused ("Temperature is 0–2"), until a valid one is entered.
        self.input_error = ErrorLabel(inner, objectName="param_error", wordWrap=True)
        self.input_error.hide()
        self.tools = ToolsRow(inner)  # the functions offered: set from the Tools panel
        self.rows: dict[str, QWidget] = {
            "model": self.model,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": self.stop,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "reasoning_effort": self.reasoning_effort,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "response_format": self.response_format,
            "tools": self.tools,
        }
        labels = {"max_tokens": "Max tokens", "top_p": "Top p", "stop": "Stop sequences"}
        self._wheel_guard = WheelGuard(self)
        for key, widget in self.rows.items():
            widget.setObjectName(f"param.{key}")
            label = labels.get(key, key.replace("_", " ").capitalize())
            form.addRow(label, widget)
            if not isinstance(widget, QCheckBox):  # its text stays whole: the row wraps instead
                widget.setMinimumWidth(FIELD_MIN_WIDTH)  # shrinks with the column, arrows in view
            if isinstance(widget, QComboBox | QSpinBox | QDoubleSpinBox):
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel does not focus
                widget.installEventFilter(self._wheel_guard)
            if isinstance(widget, _Range):
                widget.name = label
                widget.setToolTip(widget.hint())
                widget.valueChanged.connect(lambda _v, w=widget: self._clear_refusal(w))
                widget.editingFinished.connect(lambda w=widget: self._show_refusal(w))
        # Tab follows the column top to bottom (parentless boxes would join the chain last).
        chain = [self.system_prompt, *self.rows.values(), self.json_schema]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)
        form.addRow("", self.input_error)
        # Label above, box and its problem below at the column's full width: a schema is wide.
        schema_label = QLabel("JSON schema", inner)
        schema_label.setBuddy(self.json_schema)
        form.addRow(schema_label)
        form.addRow(self.json_schema)
        form.addRow(self.schema_error)
        outer.addStretch(1)
        self.setWidget(inner)
        self._traits: ModelTraits | None = None
        for signal in (
            self.temperature.valueChanged,
            self.top_p.valueChanged,
            self.max_tokens.valueChanged,
            self.seed.valueChanged,
            self.stop.editingFinished,
            self.presence_penalty.valueChanged,
            self.frequency_penalty.valueChanged,
            self.reasoning_effort.currentIndexChanged,
            self.logprobs.toggled,
            self.top_logprobs.valueChanged,
            self.response_format.currentIndexChanged,
            self.json_schema.textChanged,
            self.system_prompt.textChanged,
            self.tools.changed,
        ):
            signal.connect(self._changed)
        self.model.currentTextChanged.connect(self.model_changed)
        self.model.currentTextChanged.connect(self._changed)
        self._update_schema_row()

    # --- values --------------------------------------------------------------------------------
    def params(self) -> RunParams:
        def number(box: QDoubleSpinBox) -> float | None:
            return None if not box.isEnabled() or box.value() == box.minimum() else box.value()

        def integer(box: QSpinBox) -> int | None:
            return None if not box.isEnabled() or box.value() < 0 else box.value()

        effort = self.reasoning_effort.currentText()
        logprobs = self.logprobs.isEnabled() and self.logprobs.isChecked()
        return RunParams(
            model=self.model.currentText().strip(),
            temperature=number(self.temperature),
            top_p=number(self.top_p),
            max_tokens=integer(self.max_tokens),
            seed=integer(self.seed),
            stop=tuple(s.strip() for s in self.stop.text().split(",") if s.strip()),
            presence_penalty=number(self.presence_penalty),
            frequency_penalty=number(self.frequency_penalty),
            reasoning_effort=effort
            if effort != UNSET and self.reasoning_effort.isEnabled()
            else None,
            logprobs=logprobs,
            top_logprobs=(self.top_logprobs.value() or None) if logprobs else None,
            response_format=self.response_format.currentText(),
            json_schema=self.json_schema.toPlainText(),
            tools=self.tools.value(),
        )

    def set_params(self, params: RunParams, system_prompt: str) -> None:
        blockers = [w.blockSignals(True) for w in (*self.rows.values(), self.system_prompt)]
        try:
            self.system_prompt.setPlainText(system_prompt)
            if params.model:
                self.model.setCurrentText(params.model)
                self.model.lineEdit().setCursorPosition(0)
            for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
                box: QDoubleSpinBox = getattr(self, name)
                value = getattr(params, name)
                box.setValue(box.minimum() if value is None else value)
            self.max_tokens.setValue(-1 if params.max_tokens is None else params.max_tokens)
            self.seed.setValue(-1 if params.seed is None else params.seed)
            self.stop.setText(", ".join(params.stop))
            self.reasoning_effort.setCurrentText(params.reasoning_effort or UNSET)
            self.logprobs.setChecked(params.logprobs)
            self.top_logprobs.setValue(params.top_logprobs or 0)
            self.response_format.setCurrentText(params.response_format)
            self.json_schema.setPlainText(params.json_schema)
            self.tools.set_value(params.tools)
        finally:
            for widget, was in zip(
                (*self.rows.values(), self.system_prompt), blockers, strict=True
            ):
                widget.blockSignals(was)
        for box in self.rows.values():
            if isinstance(box, _Range):
                self._clear_refusal(box)
        self._update_schema_row()

    def set_models(self, models: list[str], default: str = "") -> None:
        """Offer the endpoint's `models`; `default` is the endpoint's default model."""
        current = self.model.currentText()
        fill_model_box(self.model, models, default)
        if self.model.currentText() != current:
            self.model_changed.emit(self.model.currentText())

    def apply_traits(self, traits: ModelTraits) -> None:
        """Grey out what the model does not take, with the reason as the tooltip."""
        self._traits = traits
        for name, widget in self.rows.items():
            reason = unsupported_reason(traits, name)
            widget.setEnabled(reason is None)
            widget.setToolTip(reason or (widget.hint() if isinstance(widget, _Range) else ""))
        if not traits.json_schema and self.response_format.currentText() == "json_schema":
            self.response_format.setCurrentText("text")
        self._update_schema_row()

    def schema_problem(self) -> str | None:
        """Why the request cannot be sent as it stands, or None. Asked at Send: a problem is
        also shown under the box, scrolled into view, whether or not the typing check ran."""
        if self.response_format.currentText() != "json_schema":
            return None
        text = self.json_schema.toPlainText()
        checked, problem = self._checked
        if checked != text:
            problem = schema_text_problem(text)
            self._checked = (text, problem)
        self._schema_timer.stop()
        self._show_schema_problem(problem)
        if problem:  # once the column is laid out with it (it may have just been shown)
            QTimer.singleShot(0, self, self._scroll_to_schema_problem)
        return problem

    def _scroll_to_schema_problem(self) -> None:
        self.ensureWidgetVisible(self.json_schema, 0, 0)
        self.ensureWidgetVisible(self.schema_error, 0, 8)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.widget() is not None:
            self.widget().setMaximumWidth(self.viewport().width())  # never wider: no sideways
        return super().viewportEvent(event)

    def _show_refusal(self, box: RangeDouble | RangeInt) -> None:
        """After Enter or leaving `box`: say why its typed text was refused, if it was."""
        message, box.refused = box.refused, ""
        if message:
            box.setStyleSheet(REFUSED_STYLE)
            box.setToolTip(message)
            self.input_error.setText(message)
            self.input_error.show()

    def _clear_refusal(self, box: RangeDouble | RangeInt) -> None:
        """A valid value went in: the refusal said about `box` goes."""
        if box.styleSheet():
            box.setStyleSheet("")
            box.setToolTip(box.hint())
        if self.input_error.text().startswith(box.name + " is"):
            self.input_error.clear()
            self.input_error.hide()

    def _changed(self) -> None:
        self._update_schema_row()
        self.changed.emit()

    def _update_schema_row(self) -> None:
        wants_schema = self.response_format.currentText() == "json_schema"
        self.json_schema.setEnabled(wants_schema)
        self._fit_schema_box()
        if not wants_schema:
            self._schema_timer.stop()
            self._show_schema_problem(None)
        elif self._checked[0] != self.json_schema.toPlainText():
            self._schema_timer.start()  # restarted by each change: checked once typing pauses
        else:
            self._show_schema_problem(self._checked[1], typing=True)

    def _fit_schema_box(self) -> None:
        """Room for SCHEMA_MIN_LINES lines while a schema is asked for, growing with the text."""
        box = self.json_schema
        if box.isEnabled():
            lines = min(max(box.document().lineCount(), SCHEMA_MIN_LINES), SCHEMA_MAX_LINES)
        else:
            lines = SCHEMA_IDLE_LINES
        margins = 2 * (box.frameWidth() + round(box.document().documentMargin()))
        box.setFixedHeight(lines * box.fontMetrics().lineSpacing() + margins)

    def _start_schema_check(self) -> None:
        text = self.json_schema.toPlainText()
        if self._schema_check is not None and self._schema_check[0] == text:
            return  # that very text is being checked
        self._schema_check = (text, _schema_checks.submit(schema_text_problem, text))
        self._schema_poll.start()

    def _collect_schema_check(self) -> None:
        if self._schema_check is None or not self._schema_check[1].done():
            return
        (text, future), self._schema_check = self._schema_check, None
        self._schema_poll.stop()
        try:
            problem = future.result()
        except Exception as exc:  # the checker itself failed: say so rather than nothing
            problem = f"The JSON schema could not be checked: {exc}"
        self._checked = (text, problem)
        if text != self.json_schema.toPlainText():
            self._schema_timer.start()  # typed on meanwhile: check again
        elif self.response_format.currentText() == "json_schema":
            self._show_schema_problem(problem, typing=True)

    def _show_schema_problem(self, problem: str | None, *, typing: bool = False) -> None:
        if typing and problem == NO_SCHEMA:
            problem = None  # an empty box is no mistake until Send
        appears = bool(problem) and not self.schema_error.isVisible()
        self.schema_error.setText(problem or "")
        self.schema_error.setVisible(bool(problem))
        if appears and typing and self.json_schema.hasFocus():  # under the box, maybe off view
            QTimer.singleShot(0, self, lambda: self.ensureWidgetVisible(self.schema_error, 0, 8))
