"""A chat message's markdown shows the same however it streams in, and stays cheap to update."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

from workbench.core.markdown import RenderedBlock
from workbench.ui.widgets import markdown_view
from workbench.ui.widgets.markdown_view import MarkdownView

ANSWER = """## Plan

Here is how to do it, with `inline code` and a [link](https://example.com).

1. Install
2. Run

```python
def greet(name: str) -> str:
    return f"Hello {name}"


print(greet("world"))
```

| tool | use |
|------|-----|
| ruff | lint |

> A quote
> on two lines.

---

Raw HTML stays text: <script>alert("x")</script>
"""
KEYWORD = QColor("#008000")  # Pygments' light style colours Python keywords this green


@pytest.fixture
def view(qtbot) -> MarkdownView:
    widget = MarkdownView()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    return widget


def in_scroll_area(qtbot, *views: MarkdownView, width: int = 500) -> QScrollArea:
    """Views stacked in a scroll area, as the chat shows its messages."""
    content = QWidget()
    layout = QVBoxLayout(content)
    for v in views:
        layout.addWidget(v)
    layout.addStretch(1)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(content)
    area.resize(width, 400)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def stream_in(view: MarkdownView, text: str, seed: int, max_piece: int = 9) -> None:
    rng = random.Random(seed)
    i = 0
    while i < len(text):
        n = rng.randint(1, max_piece)
        view.append(text[i : i + n])
        i += n
        if rng.random() < 0.6:
            view.flush()  # as if a frame passed
    view.finish()


def find(view: MarkdownView, text: str) -> QTextCursor:
    cursor = view.document().find(text)
    assert not cursor.isNull(), f"{text!r} is not shown"
    return cursor


@pytest.mark.parametrize("seed", range(3))
def test_streamed_in_pieces_shows_the_same_as_the_whole_text(qtbot, seed: int) -> None:
    whole, streamed = MarkdownView(), MarkdownView()
    qtbot.addWidget(whole)
    qtbot.addWidget(streamed)
    whole.set_markdown(ANSWER)
    stream_in(streamed, ANSWER, seed)
    assert streamed.toPlainText() == whole.toPlainText()
    assert streamed.toHtml() == whole.toHtml()  # same formatting too, not just the same words
    assert streamed.text() == ANSWER
    assert "Hello {name}" in streamed.toPlainText()


def test_deltas_are_coalesced_into_one_update_per_frame(view: MarkdownView, qtbot) -> None:
    updates: list[None] = []
    view.updated.connect(lambda: updates.append(None))
    with qtbot.waitSignal(view.updated, timeout=1000):
        for word in ("many", "small", "deltas", "arriving", "within", "one", "frame"):
            view.append(word + " ")
        assert updates == []  # append only buffers
    qtbot.wait(50)
    assert len(updates) == 1
    assert view.toPlainText() == "many small deltas arriving within one frame"


def test_code_is_highlighted_while_it_streams_and_when_finished(view: MarkdownView) -> None:
    view.set_dark(False)
    view.append("Look:\n\n```python\ndef f(x):\n    return x")
    view.flush()  # the fence is still open: it shows as code already
    keyword = find(view, "def")
    assert keyword.charFormat().foreground().color() == KEYWORD
    assert keyword.charFormat().fontFixedPitch() or "mono" in keyword.charFormat().fontFamilies()[0]
    view.append(" + 1\n```\n")
    view.finish()
    assert find(view, "def").charFormat().foreground().color() == KEYWORD
    assert "return x + 1" in view.toPlainText()


def test_copy_link_puts_the_raw_code_on_the_clipboard(view: MarkdownView, qtbot) -> None:
    view.set_markdown("```sh\necho one\n```\n\ntext\n\n```python\nprint('<two>')\n```")
    view.show()
    qtbot.waitExposed(view)
    second_copy = view.document().find("Copy", find(view, "text"))
    inside = QTextCursor(view.document())
    inside.setPosition(second_copy.selectionStart() + 2)  # between "Co" and "py"
    with qtbot.waitSignal(view.code_copied, timeout=1000) as copied:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(inside).center()
        )
    assert copied.args == [1]
    assert QApplication.clipboard().text() == "print('<two>')\n"


def test_links_open_only_for_web_addresses(view: MarkdownView, monkeypatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(markdown_view.QDesktopServices, "openUrl", opened.append)
    for url in ("https://example.com/a", "file:///etc/passwd", "javascript:alert(1)", "copy:9"):
        view.anchorClicked.emit(QUrl(url))
    assert [u.toString() for u in opened] == ["https://example.com/a"]


def test_raw_html_in_the_answer_is_shown_as_text(view: MarkdownView) -> None:
    view.set_markdown('Before <script>alert("x")</script> <b>not bold</b>')
    assert view.toPlainText() == 'Before <script>alert("x")</script> <b>not bold</b>'
    assert not find(view, "not bold").charFormat().font().bold()


def test_each_finished_block_is_rendered_once(view: MarkdownView, monkeypatch) -> None:
    calls: list[str] = []

    def counting(markdown: str, **kwargs) -> RenderedBlock:
        calls.append(markdown)
        return real(markdown, **kwargs)

    real = markdown_view.render_block
    monkeypatch.setattr(markdown_view, "render_block", counting)
    blocks = [f"Paragraph {i} says something *useful*." for i in range(200)]
    for block in blocks:
        view.append(block + "\n\n")
        view.flush()
    view.finish()
    assert calls == blocks  # never re-rendered, and an empty tail is not rendered at all


def test_update_work_follows_the_new_text_not_the_whole_message(view, monkeypatch) -> None:
    rendered: list[int] = []

    def counting(markdown: str, **kwargs) -> RenderedBlock:
        rendered.append(len(markdown))
        return real(markdown, **kwargs)

    real = markdown_view.render_block
    monkeypatch.setattr(markdown_view, "render_block", counting)
    text = "".join(f"Block {i} has a few words in it.\n\n" for i in range(200))
    stream_in(view, text, seed=7, max_piece=12)
    # Re-rendering the whole message on each update would render ~len(text) * updates / 2.
    assert sum(rendered) < 3 * len(text)
    assert view.toPlainText().count("has a few words") == 200


def test_height_follows_the_text_and_the_width(qtbot) -> None:
    view = MarkdownView()
    area = in_scroll_area(qtbot, view, width=600)
    view.append("First line.")
    view.flush()
    settle()
    heights = [view.height()]
    for i in range(6):
        view.append(f"\n\nParagraph {i} " + "with quite a few words in it " * 4)
        view.flush()
        settle()
        heights.append(view.height())
    assert heights == sorted(heights) and heights[-1] > 3 * heights[0]
    document_height = view.document().size().height()
    assert abs(view.height() - document_height) <= 4  # no scrollbar, no blank space
    wide = view.height()
    area.resize(250, 400)
    qtbot.waitUntil(lambda: view.height() > wide * 1.3, timeout=2000)
    area.resize(600, 400)
    qtbot.waitUntil(lambda: view.height() == wide, timeout=2000)


def test_dark_style_recolours_code_and_keeps_copy_working(view: MarkdownView, qtbot) -> None:
    view.set_dark(False)
    view.set_markdown("```python\nimport os\n```\n\nmore")
    light = find(view, "import").charFormat().foreground().color()
    view.set_dark(True)
    dark = find(view, "import").charFormat().foreground().color()
    assert light != dark and dark.lightness() > light.lightness()
    with qtbot.waitSignal(view.code_copied):
        view.anchorClicked.emit(QUrl("copy:0"))
    assert QApplication.clipboard().text() == "import os\n"
    assert view.toPlainText().endswith("more")


def test_code_in_the_open_tail_can_be_copied_before_the_stream_ends(view: MarkdownView) -> None:
    view.append("```\nfirst\n```\n\n```\nsecond so far")
    view.flush()
    view.anchorClicked.emit(QUrl("copy:1"))
    assert QApplication.clipboard().text() == "second so far"


def test_a_leading_rule_and_tables_survive_streaming(qtbot) -> None:
    text = "---\n\n| a |\n|---|\n| 1 |\n\n---\n\nend"
    reference = QTextDocument()
    reference.setHtml("".join(markdown_view.render_block(b).html for b in text.split("\n\n")))
    view = MarkdownView()
    qtbot.addWidget(view)
    stream_in(view, text, seed=3)
    assert view.toPlainText() == reference.toPlainText()


def test_code_colours_follow_the_application_palette(view: MarkdownView, qtbot) -> None:
    app = QApplication.instance()
    original = app.palette()
    view.set_markdown("```python\nimport os\n```")
    try:
        app.setPalette(QPalette(QColor(30, 30, 32)))  # a dark window colour
        qtbot.waitUntil(lambda: find(view, "import").charFormat().foreground().color() != KEYWORD)
        app.setPalette(QPalette(QColor(240, 240, 240)))
        qtbot.waitUntil(lambda: find(view, "import").charFormat().foreground().color() == KEYWORD)
    finally:
        app.setPalette(original)


REFERENCE_IMAGE = "Here: ![a cat][cat] and more.\n\nLater text.\n\n[cat]: https://e.test/cat.png\n"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_reference_style_image_shows_as_a_link_not_raw_markdown(
    view: MarkdownView, streamed: bool
) -> None:
    """The definition comes after the image, as answers write it; shown whole or streamed."""
    if streamed:
        stream_in(view, REFERENCE_IMAGE, seed=3)
    else:
        view.set_markdown(REFERENCE_IMAGE)
        view.finish()
    shown = view.document().toPlainText()
    assert "![a cat][cat]" not in shown and "a cat" in shown
    cursor = find(view, "a cat")
    assert cursor.charFormat().anchorHref() == "https://e.test/cat.png"
    assert "[cat]: https" not in shown  # a definition is not text
