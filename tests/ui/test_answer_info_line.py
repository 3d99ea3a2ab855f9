"""The line under an answer: every figure whole and with its unit, at 1024 px, even when the model
is a long file path (shortened in the middle, whole in the tooltip)."""

from __future__ import annotations

import re

from tests.support.driving import type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import Stream

LONG_MODEL = "/models/some/very/long/path/" + "nested/" * 12 + "Qwen2.5-7B-Instruct-Q4_K_M.gguf"
FIGURES = (
    r"first token \d+ ms|first token \d+\.\d s",
    r"total \d+ ms|total \d+\.\d s",
    r"\d+→\d+ tokens",
    r"(\$[\d.]+|free|unknown price)$",
)


def test_a_long_model_path_is_shortened_and_no_figure_is_cut(ctx, server, qtbot) -> None:
    assert len(LONG_MODEL) >= 120
    server.models = (*server.models, LONG_MODEL)  # a local server serving a GGUF file
    use_scripted_endpoint(ctx, server, default_model=LONG_MODEL)
    window = open_window(ctx, qtbot)
    window.resize(1024, 700)
    window.reset_layout_action.trigger()  # the default layout, at this size
    window.chat.params.model.setCurrentText(LONG_MODEL)
    server.script("chat", Stream(text="Paris is the capital of France.", delay=0.02))
    record = type_and_send(qtbot, window, "Capital of France?")
    assert record.model == LONG_MODEL
    qtbot.wait(50)
    info = window.chat.view.cards[record.message_id].stats
    # All of it shown: every figure within the label's width, every line within its height,
    # the label within its card, the window within 1024 px.
    width = info.contentsRect().width()
    for line in info.text().split("\n"):
        # Unwrapped, a line must fit whole; wrapped (between figures), each figure must.
        pieces = line.split(" · ") if info.wordWrap() else [line]
        for piece in pieces:
            assert info.fontMetrics().horizontalAdvance(piece) <= width, (piece, width)
    assert info.heightForWidth(info.width()) <= info.height()
    card = window.chat.view.cards[record.message_id]
    assert card.rect().contains(info.geometry())
    assert window.width() <= 1024
    # The name shortened in the middle (both ends kept), whole in the tooltip; every unit said.
    shown = info.text().replace("\u00a0", " ")
    assert "…" in shown and shown.startswith("/models/") and shown.count("Q4_K_M.gguf") == 1
    assert LONG_MODEL in info.toolTip()
    for figure in FIGURES:
        assert re.search(figure, shown), (figure, shown)


def test_on_a_narrow_card_the_figures_wrap_rather_than_being_cut(ctx, server, qtbot) -> None:
    server.models = (*server.models, LONG_MODEL)
    use_scripted_endpoint(ctx, server, default_model=LONG_MODEL)
    window = open_window(ctx, qtbot)
    window.chat.params.model.setCurrentText(LONG_MODEL)
    server.script("chat", Stream(text="Paris."))
    record = type_and_send(qtbot, window, "Capital of France?")
    info = window.chat.view.cards[record.message_id].stats
    info.resize(220, info.heightForWidth(220))
    qtbot.wait(20)
    lines = info.text().replace("\u00a0", " ")
    for figure in FIGURES[:3]:
        assert re.search(figure, lines), (figure, lines)
    assert info.heightForWidth(220) > info.fontMetrics().height()  # wrapped onto more lines
