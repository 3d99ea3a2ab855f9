"""The parameters column as the user meets it: mouse wheel, Tab, typed values, and its width."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from workbench.core.runs import RunParams
from workbench.ui.panels.chat import ChatPanel


@pytest.fixture
def chat(scripted_chat) -> ChatPanel:
    return scripted_chat()


def _wheel(qtbot, target: QWidget, notches: int) -> None:
    """Turn the wheel `notches` (positive: away from the user) over the middle of `target`, the
    way Qt delivers a real one: to the widget under the pointer, then up to each parent while it
    is not accepted (Qt propagates only spontaneous wheel events, so a sent one is walked here)."""
    under = target.childAt(target.rect().center()) or target
    where = under.mapToGlobal(under.rect().center())
    for _ in range(abs(notches)):
        widget: QWidget | None = under
        while widget is not None:
            pos = QPointF(widget.mapFromGlobal(where))
            event = QWheelEvent(
                pos,
                QPointF(where),
                QPoint(),
                QPoint(0, 120 if notches > 0 else -120),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            event.ignore()
            if QApplication.sendEvent(widget, event) and event.isAccepted():
                break
            if widget.isWindow():
                break
            widget = widget.parentWidget()
    qtbot.wait(10)


def _focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(lambda: widget.hasFocus(), timeout=2000)


def test_wheel_over_an_unfocused_box_scrolls_the_column_not_the_value(chat, qtbot) -> None:
    chat.resize(1100, 420)  # short enough that the column scrolls
    form = chat.params
    form.set_params(RunParams(model="gpt-4o", temperature=0.2), "")
    _focus(qtbot, chat.composer.editor)
    bar = form.verticalScrollBar()
    assert bar.maximum() > 0
    form.ensureWidgetVisible(form.temperature)
    before = bar.value()

    _wheel(qtbot, form.temperature, -2)  # two notches down, over the box
    assert form.params().temperature == pytest.approx(0.2)
    assert bar.value() > before  # the column scrolled instead

    _wheel(qtbot, form.model, -1)  # nor does the model box change under the wheel
    assert form.params().model == "gpt-4o"

    _focus(qtbot, form.temperature)
    _wheel(qtbot, form.temperature, 1)
    assert form.params().temperature == pytest.approx(0.3)


def _tab_through_the_form(qtbot, chat: ChatPanel) -> list[str]:
    form = chat.params
    _focus(qtbot, form.system_prompt)
    seen = []
    for _ in range(20):
        widget = QApplication.focusWidget()
        if widget is None or not form.isAncestorOf(widget):
            break
        seen.append(widget.objectName() or widget.parent().objectName())
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    return seen


@pytest.mark.parametrize("size", [(1280, 800), (1024, 700), (640, 600)])
def test_the_column_fits_its_width_after_tabbing_through_it(chat, qtbot, size) -> None:
    chat.resize(*size)
    if size[0] < 800:  # the user dragged the splitter: the column at its narrowest
        chat.splitter.setSizes([10_000, 1])
    qtbot.wait(20)
    form = chat.params
    seen = _tab_through_the_form(qtbot, chat)
    start = ["system_prompt", "param.model", "param.temperature", "param.top_p"]
    assert seen[:4] == start, seen  # top to bottom, as the column reads
    assert {"param.seed", "param.stop", "param.response_format"} <= set(seen), seen
    assert form.horizontalScrollBar().maximum() == 0
    assert form.horizontalScrollBar().value() == 0
    for name in ("model", "temperature", "seed", "top_logprobs", "response_format"):
        field = getattr(form, name)
        right = field.mapTo(form.viewport(), QPoint(field.width(), 0)).x()
        assert right <= form.viewport().width(), name  # the arrows are not cut off
    assert form.widget().minimumSizeHint().width() <= form.viewport().width()
    assert form.width() >= form.minimumWidth() >= 220  # a column the fields fit in


def test_tab_in_the_system_prompt_moves_on_and_types_nothing(chat, qtbot) -> None:
    form = chat.params
    _focus(qtbot, form.system_prompt)
    qtbot.keyClicks(form.system_prompt, "Be brief.")
    qtbot.keyClick(form.system_prompt, Qt.Key.Key_Tab)
    assert form.system_prompt.toPlainText() == "Be brief."
    assert not form.system_prompt.hasFocus()
    assert form.isAncestorOf(QApplication.focusWidget())


def test_tab_moves_out_of_the_stop_sequences_and_the_schema_box(chat, qtbot) -> None:
    form = chat.params
    form.response_format.setCurrentText("json_schema")
    _focus(qtbot, form.json_schema)
    qtbot.keyClick(form.json_schema, Qt.Key.Key_Tab)
    assert "\t" not in form.json_schema.toPlainText()
    assert not form.json_schema.hasFocus()


def test_new_session_puts_the_cursor_in_the_composer(window, qtbot) -> None:
    window.chat.params.system_prompt.setFocus()
    qtbot.waitUntil(lambda: window.chat.params.system_prompt.hasFocus(), timeout=2000)
    window.new_session_action.trigger()
    qtbot.waitUntil(lambda: window.chat.composer.editor.hasFocus(), timeout=2000)
    qtbot.wait(50)  # and it stays there
    assert window.chat.composer.editor.hasFocus()


def _type_into(qtbot, box, text: str, finish=Qt.Key.Key_Return) -> None:
    _focus(qtbot, box)
    editor = QApplication.focusWidget()  # where the keyboard's keys go
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(editor, text)
    else:
        qtbot.keyClick(editor, Qt.Key.Key_Delete)
    if finish is not None:
        qtbot.keyClick(editor, finish)


@pytest.mark.parametrize("typed", ["3.7", "2.5", "-1"])
def test_out_of_range_temperature_is_refused_with_the_range_shown(chat, qtbot, typed) -> None:
    form = chat.params
    form.set_params(RunParams(model="gpt-4o", temperature=0.2), "")
    _type_into(qtbot, form.temperature, typed)
    assert form.params().temperature == pytest.approx(0.2)  # the last valid value kept
    assert "Temperature is 0–2" in form.input_error.text()
    assert form.input_error.isVisibleTo(form)
    assert "0–2" in form.temperature.toolTip()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # leaving keeps the message
    assert form.input_error.isVisibleTo(form) and form.params().temperature == pytest.approx(0.2)

    _type_into(qtbot, form.temperature, "1.5")  # a valid value clears the message
    assert form.params().temperature == pytest.approx(1.5)
    assert not form.input_error.isVisibleTo(form)


def test_out_of_range_on_leaving_the_field_is_refused_too(chat, qtbot) -> None:
    form = chat.params
    form.set_params(RunParams(model="gpt-4o", max_tokens=500), "")
    _type_into(qtbot, form.max_tokens, "5000000", finish=None)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert form.params().max_tokens == 500
    assert "Max tokens" in form.input_error.text()


def test_clearing_a_field_means_default_again(chat, qtbot) -> None:
    form = chat.params
    form.set_params(RunParams(model="gpt-4o", temperature=0.7, seed=42), "")
    _type_into(qtbot, form.temperature, "")
    _type_into(qtbot, form.seed, "", finish=None)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    params = form.params()
    assert params.temperature is None and params.seed is None
    assert form.temperature.text() == "default"
    assert not form.input_error.isVisibleTo(form)
