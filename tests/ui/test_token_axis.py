"""The token chart's x axis counts tokens: whole numbers only, also zoomed in with the wheel."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.support.driving import type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import Stream


def _tick_labels(plot) -> list[str]:
    """What the bottom axis writes under its ticks, for the range it shows now."""
    axis = plot.getAxis("bottom")
    low, high = axis.range
    labels = []
    for spacing, values in axis.tickValues(low, high, axis.geometry().width()):
        labels += axis.tickStrings(values, axis.scale, spacing)
    return labels


def _wheel(plot, steps: int) -> None:
    """Turn the mouse wheel over the middle of the chart (forward zooms in)."""
    view = plot.viewport()
    centre = view.rect().center()
    for _ in range(steps):
        event = QWheelEvent(
            QPointF(centre),
            QPointF(view.mapToGlobal(centre)),
            QPoint(0, 0),
            QPoint(0, 120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view, event)


def test_token_positions_are_whole_numbers_even_zoomed_in(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.resize(1280, 800)
    window.chat.params.model.setCurrentText("gpt-4o")
    server.script("chat", Stream(recording="83b060bae42eb41c"))  # two tokens, with logprobs
    type_and_send(qtbot, window, "Say foo.")
    heatmap = window.docks["heatmap"]
    qtbot.waitUntil(lambda: heatmap.built_panel is not None)
    qtbot.waitUntil(lambda: heatmap.built_panel.plot is not None)
    plot = heatmap.built_panel.plot
    qtbot.waitUntil(lambda: plot.getAxis("bottom").geometry().width() > 100)
    shown = _tick_labels(plot)
    assert shown and all(label.lstrip("-").isdigit() for label in shown), shown
    before = plot.getAxis("bottom").range
    _wheel(plot, 6)
    qtbot.wait(20)
    low, high = plot.getAxis("bottom").range
    assert high - low < (before[1] - before[0]) / 2, (before, (low, high))  # it did zoom in
    zoomed = _tick_labels(plot)
    assert all(label.lstrip("-").isdigit() for label in zoomed), zoomed
