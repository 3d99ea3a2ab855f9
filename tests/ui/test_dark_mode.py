"""Light and dark: switched at run time from View ▸ Appearance, every chart, quiet text and focus
frame takes the new palette's colours at once (no Reset Layout), readable in both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from tests.support.driving import type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import Stream
from workbench.app.main_window import MainWindow
from workbench.ui.theme import Appearance, set_appearance

BODY_TEXT = 4.5  # WCAG AA, body text
GRAPHICS = 3.0  # WCAG AA, lines and focus indicators


def _luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""
    channels = (colour.redF(), colour.greenF(), colour.blueF())
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: QColor, b: QColor) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture
def answered(ctx, server, qtbot) -> Iterator[MainWindow]:
    """The window after an answer with logprobs, Token Confidence and the Cost Meter open."""
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.resize(1280, 800)
    window.chat.params.model.setCurrentText("gpt-4o")
    server.script("chat", Stream(recording="83b060bae42eb41c"))  # an answer with logprobs
    try:
        type_and_send(qtbot, window, "Name a city.")
        heatmap = window.docks["heatmap"]
        qtbot.waitUntil(lambda: heatmap.isVisible() and heatmap.built_panel is not None)
        qtbot.waitUntil(lambda: heatmap.built_panel.plot is not None)
        window.docks["costs"].toggleViewAction().trigger()  # View > Cost Meter
        qtbot.waitUntil(lambda: window.docks["costs"].built_panel is not None)
        yield window
    finally:
        set_appearance(QApplication.instance(), Appearance.SYSTEM)


def _switch(window: MainWindow, qtbot, appearance: Appearance) -> QColor:
    window.appearance_actions[appearance].trigger()  # View > Appearance > Light / Dark
    qtbot.wait(30)
    background = window.palette().color(QPalette.ColorRole.Window)
    assert (background.lightness() < 128) is (appearance is Appearance.DARK)
    return background


def _plots(window: MainWindow) -> dict[str, object]:
    heatmap, costs = window.docks["heatmap"].built_panel, window.docks["costs"].built_panel
    return {"token chart": heatmap.plot, "per day": costs.day_plot, "per model": costs.model_plot}


def _inked(image: QImage, background: QColor) -> float:
    """The strongest contrast any pixel of `image` has with `background`: text's full colour."""
    best = 1.0
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            best = max(best, contrast_ratio(image.pixelColor(x, y), background))
    return best


def _text_contrast(label: QWidget, background: QColor) -> float:
    assert label.isVisible()
    return _inked(label.grab().toImage(), background)


@pytest.mark.parametrize("order", [(Appearance.DARK, Appearance.LIGHT, Appearance.DARK)])
def test_charts_follow_an_appearance_switch_at_once(answered, qtbot, order) -> None:
    for appearance in order:
        background = _switch(answered, qtbot, appearance)
        for name, plot in _plots(answered).items():
            assert plot.backgroundBrush().color() == background, (appearance, name)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                text = axis.textPen().color()
                title = QColor(axis.labelStyle.get("color", "#000000"))
                where = (appearance, name, side)
                assert contrast_ratio(text, background) >= BODY_TEXT, where
                assert contrast_ratio(title, background) >= BODY_TEXT, where
                assert contrast_ratio(axis.pen().color(), background) >= GRAPHICS, where


def test_the_legend_and_the_answer_info_line_are_readable_after_a_switch(answered, qtbot) -> None:
    heatmap = answered.docks["heatmap"].built_panel
    card = answered.chat.view.cards[answered.chat.path[-1].id]
    info = card.findChild(QWidget, "run_stats")
    for appearance in (Appearance.DARK, Appearance.LIGHT, Appearance.DARK):
        background = _switch(answered, qtbot, appearance)
        # "Probability", bold beside the colour scale, stayed black on dark after a switch.
        assert _text_contrast(heatmap.legend.name, background) >= BODY_TEXT, appearance
        assert _text_contrast(info, background) >= BODY_TEXT, appearance
        quiet = info.palette().color(info.foregroundRole())
        assert contrast_ratio(quiet, background) >= BODY_TEXT, appearance
        for figure in answered.docks["costs"].built_panel.findChildren(QWidget):
            if figure.objectName().endswith("_note") and figure.isVisible():
                colour = figure.palette().color(figure.foregroundRole())
                assert contrast_ratio(colour, background) >= BODY_TEXT, figure.objectName()


def _frame_pixels(widget: QWidget) -> list[QColor]:
    """The left edge of the widget's frame, halfway down."""
    image = widget.grab().toImage()
    return [image.pixelColor(x, image.height() // 2) for x in range(3)]


@pytest.mark.parametrize("appearance", [Appearance.LIGHT, Appearance.DARK])
def test_the_text_box_with_the_keyboard_focus_has_a_visible_frame(ctx, qtbot, appearance) -> None:
    window = open_window(ctx, qtbot)
    try:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        background = _switch(window, qtbot, appearance)
        params = window.chat.params
        boxes = {
            "message": window.chat.composer.editor,
            "system prompt": params.system_prompt,
            "temperature": params.temperature,
            "stop sequences": params.stop,
        }
        elsewhere = window.chat.composer.findChild(QWidget, "send") or window.chat.view
        for name, box in boxes.items():
            elsewhere.setFocus(Qt.FocusReason.TabFocusReason)
            qtbot.waitUntil(lambda b=box: not b.hasFocus())
            unfocused = _frame_pixels(box)
            box.setFocus(Qt.FocusReason.TabFocusReason)  # as Tab brings the focus there
            qtbot.waitUntil(box.hasFocus)
            focused = _frame_pixels(box)
            assert focused != unfocused, (appearance, name)
            ring = max(contrast_ratio(c, background) for c in focused)
            assert ring >= GRAPHICS, (appearance, name, [c.name() for c in focused])
            before = max(contrast_ratio(c, u) for c, u in zip(focused, unfocused, strict=True))
            assert before >= 1.5, (appearance, name)  # a change one can see, not a tint
    finally:
        set_appearance(QApplication.instance(), Appearance.SYSTEM)
