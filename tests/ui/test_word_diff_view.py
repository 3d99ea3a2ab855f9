"""The diff view: what only A has is struck out on red, what only B has is on green, the rest plain;
answers and column names are shown as the text they are, in light and dark palettes alike."""

from __future__ import annotations

import random

import pytest
from PySide6.QtGui import QColor, QFont, QPalette, QTextCharFormat
from PySide6.QtWidgets import QApplication, QTextEdit

from workbench.ui import theme
from workbench.ui.widgets.word_diff_view import WordDiffView, diff_colours

Fragment = tuple[str, QTextCharFormat]


@pytest.fixture
def view(qtbot) -> WordDiffView:
    widget = WordDiffView()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    return widget


def fragments(view: WordDiffView) -> list[Fragment]:
    """Every run of same-formatted text in the document, block by block ("\\n" between blocks)."""
    out: list[Fragment] = []
    block = view.text.document().begin()
    while block.isValid():
        if out:
            out.append(("\n", QTextCharFormat()))
        for it in block:
            fragment = it.fragment()
            if fragment.isValid():
                out.append((fragment.text(), fragment.charFormat()))
        block = block.next()
    return out


def is_deleted(fmt: QTextCharFormat) -> bool:
    return fmt.fontStrikeOut()


def has_background(fmt: QTextCharFormat) -> bool:
    return fmt.hasProperty(QTextCharFormat.Property.BackgroundBrush)


def marked(view: WordDiffView) -> list[tuple[str, str]]:
    """("delete" | "insert", text) for every fragment that is not plain."""
    out = []
    for text, fmt in fragments(view):
        if is_deleted(fmt):
            out.append(("delete", text))
        elif has_background(fmt):
            out.append(("insert", text))
    return out


def luminance(colour: QColor) -> float:
    channels = (colour.redF(), colour.greenF(), colour.blueF())
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_deleted_words_are_struck_out_on_red_and_inserted_words_are_on_green(view) -> None:
    view.show_diff("gpt-4o", "The cat sat on the mat.", "local", "The dog sat on the mat.")
    deleted_bg, inserted_bg = diff_colours(view.palette())
    frags = {text: fmt for text, fmt in fragments(view)}
    assert set(frags) == {"The ", "cat", "dog", " sat on the mat."}
    assert frags["cat"].fontStrikeOut()
    assert frags["cat"].background().color() == deleted_bg
    assert not frags["dog"].fontStrikeOut()
    assert frags["dog"].background().color() == inserted_bg
    for plain in ("The ", " sat on the mat."):
        assert not frags[plain].fontStrikeOut()
        assert not has_background(frags[plain])
    assert deleted_bg.red() > deleted_bg.green() and inserted_bg.green() > inserted_bg.red()


def test_header_names_both_sides_and_sums_up_the_change(view) -> None:
    view.show_diff("gpt-4o", "The cat sat on the mat.", "local", "The dog sat on a mat!")
    assert view.label_a.text() == "− gpt-4o"
    assert view.label_b.text() == "+ local"
    assert view.label_a.isVisible() and view.label_b.isVisible()
    assert view.stats.text() == "similarity 57% · +3 / −3 words"
    assert marked(view) == [
        ("delete", "cat"),
        ("insert", "dog"),
        ("delete", "the"),
        ("insert", "a"),
        ("delete", "."),
        ("insert", "!"),
    ]


def test_html_in_answers_and_names_is_shown_literally(view) -> None:
    a = 'Use <b>bold</b> &amp; <script>alert("x")</script> here'
    b = 'Use <b>strong</b> &amp; <script>alert("x")</script> there'
    view.show_diff("<b>A</b>", a, "B &amp; C", b)
    assert view.text.document().toPlainText() == (
        'Use <b>boldstrong</b> &amp; <script>alert("x")</script> herethere'
    )
    assert all(fmt.fontWeight() == QFont.Weight.Normal for _, fmt in fragments(view))
    assert marked(view) == [
        ("delete", "bold"),
        ("insert", "strong"),
        ("delete", "here"),
        ("insert", "there"),
    ]
    assert view.label_a.text() == "− <b>A</b>"
    assert view.label_b.text() == "+ B &amp; C"


def test_reading_around_the_marks_gives_back_each_answer(view) -> None:
    rng = random.Random(5)
    words = ["the", "model", "said", "that", "a", "small", "answer", "is", "often", "fine", "so"]
    lines = [[rng.choice(words) for _ in range(12)] for _ in range(300)]
    edited = [
        [w if rng.random() > 0.05 else rng.choice(["big", "rarely"]) for w in line]
        for line in lines
    ]
    # Only words are swapped; each line is numbered and ends in a full stop, so no line break is
    # ever part of a change and fragments() may count each block break on both sides.
    a = "\n".join(f"L{n} {' '.join(line)} ." for n, line in enumerate(lines)) + "\nEND."
    b = "\n".join(f"L{n} {' '.join(line)} ." for n, line in enumerate(edited)) + "\nEND."
    view.show_diff("A", a, "B", b)
    frags = fragments(view)
    side_a = "".join(t for t, f in frags if not (has_background(f) and not is_deleted(f)))
    side_b = "".join(t for t, f in frags if not is_deleted(f))
    assert side_a == a
    assert side_b == b
    assert len(marked(view)) > 100


def test_whitespace_only_changes_are_shown_as_marks(view) -> None:
    view.show_diff("A", "one two  three", "B", "one\ntwo three")
    assert view.stats.text() == "similarity 100% · +0 / −0 words · whitespace only"
    assert marked(view) == [("delete", "·"), ("insert", "↵"), ("delete", "··"), ("insert", "·")]
    # The inserted line break still breaks the line, so the layout is B's.
    assert view.text.document().blockCount() == 2


def test_identical_answers(view) -> None:
    view.show_diff("A", "Same answer.\n", "B", "Same answer.\n")
    assert view.stats.text() == "identical"
    assert marked(view) == []
    assert view.text.document().toPlainText() == "Same answer.\n"


def test_empty_answers(view) -> None:
    view.show_diff("A", "", "B", "Only B answered.")
    assert view.stats.text() == "similarity 0% · +4 / −0 words"
    assert marked(view) == [("insert", "Only B answered.")]


def test_clear_shows_the_message_instead_of_a_diff(view) -> None:
    view.show_diff("A", "x y", "B", "x z")
    view.clear("Pick two columns")
    assert view.diff is None
    assert view.text.document().isEmpty()
    assert view.text.placeholderText() == "Pick two columns"
    assert view.stats.text() == ""
    assert not view.label_a.isVisible() and not view.label_b.isVisible()


@pytest.mark.parametrize("dark", [False, True])
def test_marked_text_keeps_its_contrast_in_light_and_dark_palettes(view, dark: bool) -> None:
    palette = theme._dark_palette() if dark else QApplication.style().standardPalette()
    view.show_diff("A", "keep old words", "B", "keep new words")
    view.setPalette(palette)
    text_colour = palette.color(QPalette.ColorRole.Text)
    deleted_bg, inserted_bg = diff_colours(palette)
    assert (deleted_bg.lightness() < 128) == dark
    formats = [fmt for _, fmt in fragments(view) if has_background(fmt)]
    assert [f.background().color() for f in formats] == [deleted_bg, inserted_bg]
    for background in (deleted_bg, inserted_bg):
        assert contrast(text_colour, background) >= 4.5
    chip_palette = view.label_a.palette()
    assert chip_palette.color(QPalette.ColorRole.Window) == deleted_bg
    assert view.label_b.palette().color(QPalette.ColorRole.Window) == inserted_bg


def test_two_long_answers_are_shown_whole(view) -> None:
    rng = random.Random(9)
    vocabulary = [f"w{i}" for i in range(800)] + [",", ".", "the", "a", "of"] * 40
    a = " ".join(rng.choice(vocabulary) for _ in range(4000))
    b = " ".join(w if rng.random() > 0.1 else rng.choice(vocabulary) for w in a.split(" "))
    view.show_diff("A", a, "B", b)
    QApplication.processEvents()
    assert view.diff is not None and view.diff.similarity > 0.8
    shown = view.findChild(QTextEdit).toPlainText()
    assert all(word in shown for word in a.split(" ")[-5:] + b.split(" ")[-5:])
