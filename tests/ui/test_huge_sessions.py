"""Huge messages open and stream without the UI thread doing work that scales with their size;
a search hit lands on screen; copying a code block says so.

Nothing here is timed: the tests count how much text the UI thread hands to the block splitter
and to the layout, and check that all of the text stays reachable.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QApplication, QToolTip

from tests.support.driving import chat_of
from workbench.core import markdown
from workbench.core.sessions import Message, MessageStatus, Role
from workbench.core.tree import Position
from workbench.ui.panels.chat.message_card import MessageCard
from workbench.ui.panels.sessions import SEARCH_DELAY_MS
from workbench.ui.widgets.markdown_view import TOTAL_CAP, MarkdownView

LINE = ("lorem ipsum dolor sit amet " * 40)[:79] + "\n"  # 80 characters


@pytest.fixture
def split_chars(monkeypatch):
    """Characters each view's block splitter has been given: split_chars(view)."""
    fed: dict[int, int] = {}
    feed = markdown.BlockSplitter.feed

    def counting(self, delta: str) -> list[str]:
        fed[id(self)] = fed.get(id(self), 0) + len(delta)
        return feed(self, delta)

    monkeypatch.setattr(markdown.BlockSplitter, "feed", counting)
    return lambda view: fed.get(id(view._splitter), 0)


def show_all_text(view: MarkdownView) -> str:
    view.anchorClicked.emit(QUrl("show:all" if view._overflow else "show:tail"))
    dialog = view.full_text_dialog
    assert dialog is not None
    return dialog.text()


def test_opening_a_session_with_a_20_mb_message_splits_only_its_first_part(
    ctx, qtbot, split_chars
) -> None:
    content = LINE * 250_000  # 20 MB of short lines: one paragraph, folded
    session = ctx.store.sessions.create("Huge")
    question = ctx.store.conversation.add(session, Role.USER, "All of it.", None)
    ctx.store.conversation.add(session, Role.ASSISTANT, content, question)
    from workbench.app.panels import build_chat

    chat = build_chat(ctx)
    qtbot.addWidget(chat)
    chat.resize(1000, 700)
    chat.show()
    chat.open_session(session)
    qtbot.waitUntil(lambda: chat.session_id == session, timeout=10_000)  # read off the UI thread
    body = chat.view.cards[chat.path[-1].id].body
    assert split_chars(body) <= 1_000_000  # the open itself looked at a slice, not 20 MB
    qtbot.waitUntil(lambda: not body._timer.isActive(), timeout=20_000)
    assert body.document().characterCount() < 50_000  # what is laid out stays small
    assert show_all_text(body) == content  # and every character is one click away


def test_a_stream_past_the_cap_is_counted_not_split(qtbot, split_chars) -> None:
    view = MarkdownView()
    qtbot.addWidget(view)
    paragraphs = "".join(f"Paragraph {i}. {LINE}\n" for i in range(12_000))  # ~1 MB, 12k blocks
    for start in range(0, len(paragraphs), 1024):
        view.append(paragraphs[start : start + 1024])
        view.flush()
    view.finish()
    qtbot.waitUntil(lambda: not view._timer.isActive(), timeout=20_000)
    assert view._overflow
    assert split_chars(view) < TOTAL_CAP + 100_000  # the rest was only counted for its label
    assert show_all_text(view) == paragraphs


def test_late_reference_definitions_still_apply_to_a_whole_text(qtbot) -> None:
    blocks = [f"Paragraph {i}." for i in range(3_000)]  # split over several passes
    text = "![a cat][cat]\n\n" + "\n\n".join(blocks) + "\n\n[cat]: https://e.example/cat.png"
    view = MarkdownView()
    qtbot.addWidget(view)
    view.set_markdown(text)
    qtbot.waitUntil(lambda: not view._timer.isActive(), timeout=20_000)
    assert 'href="https://e.example/cat.png"' in view.toHtml()


def test_counting_a_huge_text_makes_no_object_per_token(ctx) -> None:
    """A list of token ids is built holding the GIL (~100 ms per 20 MB, the UI thread waiting);
    the count needs none."""
    import tracemalloc

    text = LINE * 25_000  # 2 MB, ~400k tokens
    ctx.tokens.count("gpt-4o", "warm up")
    tracemalloc.start()
    try:
        count = ctx.tokens.count("gpt-4o", text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count > 100_000
    assert peak < 1_000_000  # a list of the ids alone would be over 3 MB
    special = "say <|endoftext|> and \ud800 too"  # special-token text, a lone surrogate
    encoding = ctx.tokens.encoding_for("gpt-4o")
    fixed = special.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert ctx.tokens.count("gpt-4o", special) == len(encoding.encode_ordinary(fixed))


def test_copying_a_code_block_says_so(qtbot) -> None:
    message = Message(
        1, 1, None, Role.ASSISTANT, "```python\nx = 1\n```", MessageStatus.COMPLETE, ""
    )
    card = MessageCard(message, Position(0, 1, None, None))
    qtbot.addWidget(card)
    card.show()
    with qtbot.waitSignal(card.copied) as said:
        card.body.anchorClicked.emit(QUrl("copy:0"))  # what clicking the block's Copy link does
    assert QApplication.clipboard().text() == "x = 1\n"
    assert "copied" in said.args[0].lower()  # the status bar says it
    assert QToolTip.isVisible() and QToolTip.text() == "Copied"  # and so does the pointer


def test_the_first_search_hit_is_scrolled_into_view(ctx, window, qtbot) -> None:
    other = ctx.store.sessions.create("Other")
    ctx.store.conversation.add(other, Role.USER, "Something else.", None)
    long = ctx.store.sessions.create("Long")
    parent, ids = None, []
    for n in range(24):
        role = Role.USER if n % 2 == 0 else Role.ASSISTANT
        words = "zanzibar" if n == 5 else "filler"
        text = f"Message {n} about {words}.\n\n" + "\n\n".join(LINE * 3 for _ in range(4))
        parent = ctx.store.conversation.add(long, role, text, parent)
        ids.append(parent)
    ctx.bus.session_opened.emit(other)
    sessions = window.panel("sessions")
    qtbot.keyClicks(sessions.search, "zanzibar")
    qtbot.waitUntil(lambda: sessions.list.count() == 1, timeout=SEARCH_DELAY_MS * 20)
    qtbot.keyClick(sessions.search, Qt.Key.Key_Return)  # the first hit
    chat = chat_of(window)
    qtbot.waitUntil(lambda: chat.session_id == long)
    view = chat.view

    def hit_on_screen() -> bool:
        card = view.cards.get(ids[5])
        if card is None:
            return False
        top = card.mapTo(view.viewport(), QPoint(0, 0)).y()
        return 0 <= top < view.viewport().height() - 20

    for _ in range(20):  # however many layout passes the newly opened session takes
        QApplication.processEvents()
    qtbot.waitUntil(hit_on_screen, timeout=2_000)
    qtbot.wait(300)  # and it stays there once the layout settles
    assert hit_on_screen()
    assert view.verticalScrollBar().value() > 0  # (it was above the newest messages)


def test_a_session_holding_20_mb_is_read_off_the_ui_thread(ctx, qtbot) -> None:
    small = ctx.store.sessions.create("Small")
    ctx.store.conversation.add(small, Role.USER, "Hi?", None)
    huge = ctx.store.sessions.create("Huge")
    question = ctx.store.conversation.add(huge, Role.USER, "All of it.", None)
    answer = ctx.store.conversation.add(huge, Role.ASSISTANT, LINE * 250_000, question)
    from workbench.app.panels import build_chat

    chat = build_chat(ctx)
    qtbot.addWidget(chat)
    chat.show()
    chat.open_session(small)
    assert chat.session_id == small  # a small session is read at once, as before
    statements: list[str] = []
    ctx.store.db.conn.set_trace_callback(statements.append)
    try:
        chat.open_session(huge)
        assert chat.session_id == small  # still showing the last one while the text is read
        qtbot.waitUntil(lambda: chat.session_id == huge, timeout=10_000)
    finally:
        ctx.store.db.conn.set_trace_callback(None)
    assert chat.tree.by_id[answer].content == LINE * 250_000
    # The UI thread's connection never read the messages' text: the store's own thread did.
    assert not [s for s in statements if "content" in s and "FROM messages" in s], statements
