"""In a narrow chat (1024 px with every dock open) an answer's card fits its column: its actions
show as symbols, named in their tooltips, instead of the card running past the right edge."""

from __future__ import annotations

from tests.support.fixtures import open_window
from workbench.core.sessions import MessageStatus, Role
from workbench.ui.panels.chat.conversation import COMPACT_BELOW_PX
from workbench.ui.panels.chat.message_card import COMPACT_LABELS


def test_cards_fit_a_narrow_chat_and_get_their_words_back_when_wide(ctx, qtbot) -> None:
    session = ctx.store.sessions.create("Narrow")
    question = ctx.store.conversation.add(session, Role.USER, "Hi?", None)
    ctx.store.conversation.add(session, Role.ASSISTANT, "Hello.", question, MessageStatus.COMPLETE)
    window = open_window(ctx, qtbot)
    ctx.bus.session_opened.emit(session)
    view = window.chat.view
    answer = window.chat.path[-1].id
    card = view.cards[answer]

    window.chat.splitter.setSizes([300, 600])  # the parameters and docks take the rest
    qtbot.waitUntil(lambda: view.viewport().width() < 320, timeout=2000)
    qtbot.waitUntil(lambda: card.width() <= view.viewport().width(), timeout=2000)
    assert card.regenerate_button.text() == "↻"
    assert "Regenerate" in card.regenerate_button.toolTip()
    # Every symbol is one the button's font can draw (not an empty box).
    for button in (card.regenerate_button, card.continue_button):
        metrics = button.fontMetrics()
        assert all(metrics.inFontUcs4(ord(c)) for c in button.text()), button.text()
    assert all(card.fontMetrics().inFontUcs4(ord(symbol)) for symbol in COMPACT_LABELS.values()), (
        COMPACT_LABELS
    )

    window.resize(1600, 900)
    window.chat.splitter.setSizes([1300, 250])
    qtbot.waitUntil(lambda: view.viewport().width() >= COMPACT_BELOW_PX, timeout=2000)
    qtbot.waitUntil(lambda: card.regenerate_button.text() == "Regenerate", timeout=2000)
