"""The token-heat view: what the user sees when looking at, hovering and clicking tokens."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from workbench.core.logprobs import Metric, TokenInfo, confidence, token_infos
from workbench.ui.widgets.token_heat import (
    CIVIDIS,
    ColourLegend,
    TokenHeatView,
    colour_for,
    text_colour_for,
)

REASON = "This endpoint cannot continue an answer from a prefix"


def infos_of(tokens: list[tuple[str, float]], alternatives: int = 4) -> list[TokenInfo]:
    """Tokens with their probability; the rest of the mass goes to a few made-up alternatives."""
    items = []
    for token, p in tokens:
        rest = [(f" alt{k}", (1 - p) / (alternatives + 1)) for k in range(alternatives)]
        top = [[token, math.log(p)]] + [[t, math.log(q)] for t, q in rest]
        items.append({"token": token, "logprob": math.log(p), "top": top})
    return token_infos(items)


def many(count: int) -> list[TokenInfo]:
    words = ("the", "model", "token", " answer", "value", "stream", ".", ",", "\n")
    return infos_of([(f" {words[i % 9]}", 0.05 + (i * 37 % 95) / 100) for i in range(count)], 4)


@pytest.fixture
def view(qtbot) -> TokenHeatView:
    widget = TokenHeatView()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def image_of(view: TokenHeatView) -> QImage:
    return view.viewport().grab().toImage()


def centre(view: TokenHeatView, index: int) -> QPoint:
    return view.token_rect(index).center().toPoint()


def close_to(a: QColor, b: QColor, tolerance: int = 3) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def box_pixels(view: TokenHeatView, image: QImage, index: int) -> list[QColor]:
    r = view.token_rect(index).toRect()
    return [
        image.pixelColor(x, y)
        for x in range(r.left() + 1, r.right() - 1)
        for y in range(r.top() + 1, r.bottom() - 1)
    ]


# --- colours ------------------------------------------------------------------------------------
def test_scale_runs_from_cividis_dark_to_light_and_is_ordered_by_lightness() -> None:
    assert colour_for(0.0) == QColor(CIVIDIS[0])
    assert colour_for(1.0) == QColor(CIVIDIS[-1])
    lightness = [colour_for(i / 50).lightnessF() for i in range(51)]
    assert lightness == sorted(lightness)
    assert colour_for(-3) == colour_for(0.0) and colour_for(7) == colour_for(1.0)
    assert colour_for(math.nan) == colour_for(0.0)


def test_text_is_black_on_light_tokens_and_white_on_dark_ones() -> None:
    assert text_colour_for(colour_for(1.0)) == QColor(0, 0, 0)
    assert text_colour_for(colour_for(0.0)) == QColor(255, 255, 255)


def test_confident_and_unsure_tokens_are_tinted_from_the_scale_ends(view: TokenHeatView) -> None:
    infos = infos_of([("Sure", 0.999), (" maybe", 0.001), (" so", 0.5)])
    view.set_tokens(infos)
    image = image_of(view)
    backgrounds = []
    for index in range(3):
        corner = view.token_rect(index).toRect().topLeft() + QPoint(1, 1)
        backgrounds.append(image.pixelColor(corner))
        expected = colour_for(confidence(infos[index], Metric.PROBABILITY))
        assert close_to(backgrounds[-1], expected), (index, backgrounds[-1].name())
    assert close_to(backgrounds[0], QColor(CIVIDIS[-1]))
    assert close_to(backgrounds[1], QColor(CIVIDIS[0]))
    assert not close_to(backgrounds[0], backgrounds[1], 60)
    # the words are readable: dark glyphs on the light token, light ones on the dark token
    assert min(c.lightness() for c in box_pixels(view, image, 0)) < 60
    assert max(c.lightness() for c in box_pixels(view, image, 1)) > 200


def test_changing_the_metric_recolours(view: TokenHeatView) -> None:
    # Unlikely (p 0.3), yet well ahead of the runner-up (0.05): a wide margin.
    lp = math.log(0.3)
    infos = token_infos([{"token": "a", "logprob": lp, "top": [["a", lp], ["b", math.log(0.05)]]}])
    view.set_tokens(infos)
    corner = view.token_rect(0).toRect().topLeft() + QPoint(1, 1)
    by_probability = image_of(view).pixelColor(corner)
    view.set_metric(Metric.MARGIN)
    by_margin = image_of(view).pixelColor(corner)
    assert close_to(by_margin, colour_for(confidence(infos[0], Metric.MARGIN)))
    assert not close_to(by_probability, by_margin, 2)


def test_threshold_outlines_only_the_tokens_under_it(view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("Sure", 0.99), (" maybe", 0.2)]))
    edges = [view.token_rect(i).toRect().topLeft() + QPoint(1, 0) for i in range(2)]
    before = [image_of(view).pixelColor(p) for p in edges]
    view.set_threshold(0.5)
    after = [image_of(view).pixelColor(p) for p in edges]
    assert close_to(after[0], before[0])
    assert close_to(after[1], QColor("white"))  # the text colour, around the dark unsure token
    view.set_threshold(None)
    assert close_to(image_of(view).pixelColor(edges[1]), before[1])


# --- whitespace and layout -----------------------------------------------------------------------
def test_newline_token_shows_a_return_sign_and_breaks_the_line(view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("Hello", 0.9), ("\n", 0.9), ("World", 0.9), (" a", 0.9)]))
    hello, newline, world = (view.token_rect(i) for i in range(3))
    assert view.display_text(1) == "↵"
    assert newline.top() == hello.top() and newline.left() >= hello.right()
    assert world.top() >= hello.bottom()
    assert world.left() == hello.left()
    assert view.display_text(3) == "·a"


def test_tabs_and_blank_lines_are_visible(view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("\tx", 0.9), (".\n\n", 0.9), ("y", 0.9)]))
    assert view.display_text(0) == "→x"
    assert view.display_text(1) == ".↵↵"
    assert view.token_rect(2).top() - view.token_rect(0).top() == 2 * view.token_rect(0).height()


def test_long_text_wraps_at_the_view_width(view: TokenHeatView) -> None:
    view.set_tokens(many(400))
    right = view.viewport().width()
    rects = [view.token_rect(i) for i in range(400)]
    assert all(r.right() <= right for r in rects)
    assert len({r.top() for r in rects}) > 10
    view.resize(300, 400)
    assert all(view.token_rect(i).right() <= view.viewport().width() for i in range(400))


# --- hover, pin, fork ---------------------------------------------------------------------------
def test_hovering_a_token_announces_it_and_lists_its_alternatives(
    qtbot, view: TokenHeatView
) -> None:
    infos = infos_of([("The", 0.9), (" cat", 0.4), (" sat", 0.8)])
    view.set_tokens(infos)
    with qtbot.waitSignal(view.token_hovered) as hovered:
        QTest.mouseMove(view.viewport(), centre(view, 1))
    assert hovered.args == [1]
    qtbot.waitUntil(view.popup.isVisible)
    rows = view.popup.rows()
    assert [token for token, _, _ in rows] == [token for token, _ in infos[1].alternatives]
    assert [token for token, _, chosen in rows if chosen] == [" cat"]
    assert view.popup.geometry().top() >= view.viewport().mapToGlobal(QPoint(0, 0)).y()
    with qtbot.waitSignal(view.token_hovered) as hovered:
        QTest.mouseMove(view.viewport(), QPoint(view.viewport().width() - 10, 300))
    assert hovered.args == [-1]
    assert not view.popup.isVisible()


def test_clicking_pins_the_alternatives_until_escape(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("The", 0.9), (" cat", 0.4), (" sat", 0.8)]))
    with qtbot.waitSignal(view.token_clicked) as clicked:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, 1))
    assert clicked.args == [1]
    assert view.pinned_index == 1 and view.popup.isVisible()
    with qtbot.waitSignal(view.token_hovered):
        QTest.mouseMove(view.viewport(), centre(view, 2))
    assert view.popup.isVisible() and view.popup.token_index == 1  # still the pinned token
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert view.pinned_index == -1
    assert view.popup.token_index == 2  # back to following the mouse


def test_clicking_empty_space_unpins(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("The", 0.9), (" cat", 0.4)]))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, 0))
    assert view.pinned_index == 0
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    assert view.pinned_index == -1
    assert not view.popup.isVisible()


def test_clicking_an_alternative_in_the_pinned_popup_forks_from_it(
    qtbot, view: TokenHeatView
) -> None:
    infos = infos_of([("The", 0.9), (" cat", 0.4), (" sat", 0.8)])
    view.set_tokens(infos)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, 1))
    rows = view.popup.rows()
    row = next(k for k, (_, _, chosen) in enumerate(rows) if not chosen)
    with qtbot.waitSignal(view.popup.alternative_chosen) as chosen:
        QTest.mouseClick(
            view.popup, Qt.MouseButton.LeftButton, pos=view.popup.row_rect(row).center()
        )
    assert chosen.args == [1, rows[row][0]]


def test_hover_popup_is_not_clickable_until_pinned(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("The", 0.9), (" cat", 0.4)]))
    QTest.mouseMove(view.viewport(), centre(view, 1))
    qtbot.waitUntil(view.popup.isVisible)
    with qtbot.assertNotEmitted(view.popup.alternative_chosen):
        QTest.mouseClick(view.popup, Qt.MouseButton.LeftButton, pos=view.popup.row_rect(1).center())
    assert "pin" in view.popup.hint_text().lower()


def test_disabled_fork_says_why_and_ignores_clicks(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(infos_of([("The", 0.9), (" cat", 0.4)]))
    view.popup.set_fork_enabled(False, REASON)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, 1))
    assert view.popup.isVisible()
    assert view.popup.toolTip() == REASON
    assert REASON in view.popup.hint_text()
    with qtbot.assertNotEmitted(view.popup.alternative_chosen):
        QTest.mouseClick(view.popup, Qt.MouseButton.LeftButton, pos=view.popup.row_rect(1).center())
    view.popup.set_fork_enabled(True)
    assert view.popup.toolTip() == "" and REASON not in view.popup.hint_text()


def test_dragging_over_tokens_selects_the_range(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(many(20))
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=centre(view, 2))
    QTest.mouseMove(viewport, centre(view, 4))
    QTest.mouseMove(viewport, centre(view, 5))
    with qtbot.waitSignal(view.selection_changed) as selected:
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=centre(view, 5))
    assert selected.args == [2, 5]
    assert view.selection() == (2, 5) and view.pinned_index == -1
    with qtbot.waitSignal(view.selection_changed) as cleared:
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(300, 390))
    assert cleared.args == [-1, -1]


def test_selected_range_is_underlined(view: TokenHeatView) -> None:
    view.set_tokens(many(20))
    r = view.token_rect(3).toRect()
    underline = QPoint(r.left() + 3, r.bottom() - 2)
    before = image_of(view).pixelColor(underline)
    view.select_range(3, 4)
    highlight = view.palette().color(view.palette().ColorRole.Highlight)
    assert close_to(image_of(view).pixelColor(underline), highlight)
    assert not close_to(before, highlight)


# --- long answers ------------------------------------------------------------------------------
def test_only_the_visible_tokens_are_painted(view: TokenHeatView) -> None:
    view.set_tokens(many(16_000))
    view.viewport().repaint()
    assert 0 < view.last_painted_count < 1_000
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    view.viewport().repaint()
    assert 0 < view.last_painted_count < 1_000


def test_scroll_to_token_brings_it_on_screen(qtbot, view: TokenHeatView) -> None:
    view.set_tokens(many(16_000))
    assert not view.viewport().rect().contains(view.token_rect(15_000).toRect())
    view.scroll_to_token(15_000)
    assert view.viewport().rect().contains(view.token_rect(15_000).toRect())
    with qtbot.waitSignal(view.token_hovered) as hovered:
        QTest.mouseMove(view.viewport(), centre(view, 15_000))
    assert hovered.args == [15_000]


# --- legend ------------------------------------------------------------------------------------
def test_legend_shows_the_scale_from_unsure_to_sure_and_the_metric(qtbot) -> None:
    legend = ColourLegend()
    qtbot.addWidget(legend)
    legend.set_metric_name("Entropy of the top-k")
    legend.resize(legend.sizeHint())
    legend.show()
    image = legend.grab().toImage()
    bar = legend.bar_rect()
    y = bar.center().y()
    assert close_to(image.pixelColor(bar.left() + 1, y), colour_for(0.0), 8)
    assert close_to(image.pixelColor(bar.right() - 1, y), colour_for(1.0), 8)
    assert legend.name.text() == "Entropy of the top-k"
    legend.set_metric(Metric.MARGIN)
    assert legend.name.text() == "margin"
