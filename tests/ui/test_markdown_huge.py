"""A huge answer never freezes the chat: long blocks show folded, with all of the text reachable.

Timings are compared with a small answer measured in the same test, never against a fixed number,
so a busy shared machine slows both sides alike.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from workbench.core.sessions import Message, MessageStatus, Role
from workbench.core.tree import Position
from workbench.ui.panels.chat.message_card import MessageCard
from workbench.ui.widgets.markdown_view import MarkdownView

DELTA = 1024


def long_line(size: int) -> str:
    return ("lorem ipsum dolor " * (size // 18 + 1))[:size]


@pytest.fixture
def make_view(qtbot):
    def make() -> MarkdownView:
        view = MarkdownView()
        qtbot.addWidget(view)
        view.resize(600, 400)
        view.show()
        return view

    return make


def stream(view: MarkdownView, text: str, give_up_after_s: float = float("inf")) -> float:
    """Appends `text` in 1 KB deltas, each painted at once; returns the seconds it took."""
    started = time.perf_counter()
    for i in range(0, len(text), DELTA):
        view.append(text[i : i + DELTA])
        view.flush()
        QApplication.processEvents()
        if time.perf_counter() - started > give_up_after_s:
            pytest.fail(f"gave up after {i:,} of {len(text):,} characters")
    return time.perf_counter() - started


def links(view: MarkdownView) -> dict[str, str]:
    """Text of each link in the view -> its target."""
    found: dict[str, str] = {}
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isAnchor():
                found[fragment.text()] = fragment.charFormat().anchorHref()
            it += 1
        block = block.next()
    return found


def open_show_all(view: MarkdownView):
    target = next(href for text, href in links(view).items() if text.startswith("Show all"))
    view.anchorClicked.emit(QUrl(target))
    dialog = view.full_text_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_long_single_line_streams_in_time_proportional_to_its_length(make_view):
    small = stream(make_view(), long_line(100_000))
    # 20 times the text may take at most 20 times as long: each delta costs its own size.
    big_view = make_view()
    line = long_line(2_000_000)
    big = stream(big_view, line, give_up_after_s=20 * small + 1)
    assert big < 20 * small + 1
    assert big_view.text() == line


def test_a_folded_line_offers_show_all_with_every_character(make_view, qtbot):
    view = make_view()
    line = long_line(2_000_000)
    stream(view, line[:50_000])
    view.append(line[50_000:])
    view.finish()
    assert "Show all (2.0 MB)" in links(view)
    assert view.document().characterCount() < 50_000  # only the first part is laid out
    dialog = open_show_all(view)
    assert dialog.text() == line
    shown = dialog.findChild(QPlainTextEdit).toPlainText()
    assert shown.replace("\n", "") == line  # long lines are cut into rows, nothing else
    dialog.copy_all()
    assert QApplication.clipboard().text() == line
    assert view.text() == line


def test_an_open_tail_over_the_cap_is_folded_while_it_streams(make_view):
    view = make_view()
    line = long_line(300_000)
    stream(view, line)
    assert "Show all (300 KB)" in links(view)
    assert open_show_all(view).text() == line


def test_a_huge_message_shows_its_first_part_and_all_of_it_on_demand(qtbot):
    paragraphs = [f"Paragraph {i}: " + long_line(1000) for i in range(1000)]
    content = "\n\n".join(paragraphs)
    message = Message(1, 1, None, Role.ASSISTANT, content, MessageStatus.COMPLETE, "now")
    card = MessageCard(message, Position(0, 1, None, None))
    qtbot.addWidget(card)
    body = card.body
    qtbot.waitUntil(lambda: any(t.startswith("Show all") for t in links(body)), timeout=10_000)
    assert body.document().characterCount() < 300_000
    cursor = QTextCursor(body.document())
    assert body.document().find("Paragraph 0:", cursor).hasSelection()
    assert open_show_all(body).text() == content
    card.copy_text()
    assert QApplication.clipboard().text() == content


def test_many_code_fences_open_in_slices(make_view):
    def fences(count: int) -> str:
        return "\n\n".join(f"```python\nx = {i}\n```" for i in range(count))

    few_view = make_view()
    started = time.perf_counter()
    few_view.set_markdown(fences(50))
    few = time.perf_counter() - started
    view = make_view()
    started = time.perf_counter()
    view.set_markdown(fences(5000))
    many = time.perf_counter() - started
    # The first pass lays out a bounded slice; the rest follows between frames.
    assert many < 10 * few + 0.05
    assert view.text() == fences(5000)
