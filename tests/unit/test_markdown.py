"""Streamed markdown is cut into blocks the same way however it arrives, and renders safely."""

from __future__ import annotations

import random
import re

import pytest

from workbench.core.markdown import BlockSplitter, render_block, split_blocks

ANSWER = """# Title

A paragraph with **bold** and `code`,
continued on a second line.

- one
- two

```python
def f(x):
    return x


    # blank lines inside a fence do not end it
```
Text right after a fence.
  ~~~~ bash title
  echo "```"
  ~~~
  ~~~~
| a | b |
|---|---|
| 1 | 2 |



````
```
nested fence text
```
````

last paragraph without a newline"""

EXPECTED = [
    "# Title",
    "A paragraph with **bold** and `code`,\ncontinued on a second line.",
    "- one\n- two",
    "```python\ndef f(x):\n    return x\n\n\n    # blank lines inside a fence do not end it\n```",
    'Text right after a fence.\n  ~~~~ bash title\n  echo "```"\n  ~~~\n  ~~~~',
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "````\n```\nnested fence text\n```\n````",
    "last paragraph without a newline",
]


def stream(text: str, cuts: list[int]) -> tuple[list[str], list[str]]:
    """Blocks from feeding text cut at `cuts`, and the tail seen after each delta."""
    splitter = BlockSplitter()
    blocks: list[str] = []
    tails: list[str] = []
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        blocks += splitter.feed(text[start:end])
        tails.append(splitter.tail)
    return blocks + splitter.finish(), tails


def test_blocks_end_at_blank_lines_and_closing_fences() -> None:
    assert split_blocks(ANSWER) == EXPECTED


@pytest.mark.parametrize("seed", range(40))
def test_any_cutting_of_the_stream_gives_the_same_blocks(seed: int) -> None:
    rng = random.Random(seed)
    text = ANSWER * 3
    # Cut often and at the awkward places: inside "```" and between the two newlines of "\n\n".
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, len(text) // 3)))
    blocks, _ = stream(text, cuts)
    assert blocks == split_blocks(text)


def test_fence_markers_and_blank_lines_split_across_deltas() -> None:
    text = "intro\n```py\nx = 1\n\ny = 2\n```\nafter\n\nend"
    one_char_at_a_time, _ = stream(text, list(range(1, len(text))))
    assert one_char_at_a_time == ["intro\n```py\nx = 1\n\ny = 2\n```", "after", "end"]


def test_feed_returns_a_block_as_soon_as_it_is_finished() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("Hello wor") == []
    assert splitter.tail == "Hello wor"
    assert splitter.feed("ld\n") == []
    assert splitter.feed("\nNext") == ["Hello world"]
    assert splitter.tail == "Next"
    assert splitter.feed("\n```\ncode\n\n") == []
    assert splitter.in_fence
    assert splitter.feed("```\n") == ["Next\n```\ncode\n\n```"]
    assert splitter.tail == ""
    assert splitter.finish() == []


def test_tail_with_an_unclosed_fence_is_held_open_until_finish() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("```js\nlet a = 1;\n\n\nlet b") == []
    assert splitter.tail == "```js\nlet a = 1;\n\n\nlet b"
    assert splitter.finish() == ["```js\nlet a = 1;\n\n\nlet b"]
    assert splitter.feed("fresh\n\n") == ["fresh"]  # finish() starts afresh


def test_inline_triple_backticks_and_short_closers_do_not_toggle_fences() -> None:
    assert split_blocks("Use ```x``` inline\n\nnext") == ["Use ```x``` inline", "next"]
    text = "````\n```\n\nstill code\n````\n\nout"
    assert split_blocks(text) == ["````\n```\n\nstill code\n````", "out"]
    assert split_blocks("~~~\n```\n\nx\n~~~\n\ny") == ["~~~\n```\n\nx\n~~~", "y"]


def test_feeding_is_incremental_not_a_rescan() -> None:
    # A long unfinished line arriving in many pieces: each piece is looked at once, so the work
    # grows with the text; rescanning the tail on every feed would take ~n^2 / 2 char visits.
    splitter = BlockSplitter()
    pieces = ["word " for _ in range(20_000)]
    for piece in pieces:
        assert splitter.feed(piece) == []
    assert splitter.tail == "".join(pieces)
    assert len(splitter._partial) == len(pieces)  # kept as pieces, joined once


def test_code_block_is_highlighted_with_inline_styles_and_a_copy_link() -> None:
    block = render_block("```python\ndef f():\n    return 1\n```", first_code_index=4)
    assert block.code == ("def f():\n    return 1\n",)
    assert 'href="copy:4"' in block.html
    assert ">python<" in block.html
    assert re.search(r'<span style="[^"]*color: #[0-9A-Fa-f]{3,6}[^"]*">def</span>', block.html)
    assert "class=" not in block.html  # Qt ignores CSS classes


def test_dark_code_style_uses_a_dark_background() -> None:
    light = render_block("```python\nx = 1\n```")
    dark = render_block("```python\nx = 1\n```", dark=True)

    def background(html: str) -> int:
        colour = re.search(r'bgcolor="#([0-9a-fA-F]{6})"', html)[1]
        return sum(int(colour[i : i + 2], 16) for i in (0, 2, 4)) // 3

    assert background(light.html) > 200 > 60 > background(dark.html)


def test_every_code_block_gets_its_own_index_and_raw_text() -> None:
    block = render_block("```\n<b>a</b>\n```\n\n```sh\nls\n```", first_code_index=1)
    assert block.code == ("<b>a</b>\n", "ls\n")
    assert 'href="copy:1"' in block.html and 'href="copy:2"' in block.html
    assert "&lt;b&gt;a&lt;/b&gt;" in block.html


def test_unclosed_fence_renders_as_code_so_far() -> None:
    block = render_block("```python\nfor i in range(3):\n    print(i")
    assert block.code == ("for i in range(3):\n    print(i",)
    assert "<pre" in block.html and "copy:0" in block.html


def test_raw_html_from_the_model_is_shown_as_text() -> None:
    html = render_block('<script>alert("x")</script> <b>hi</b>').html
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_unsafe_links_stay_text_and_images_become_links() -> None:
    html = render_block(
        "[x](javascript:alert(1)) ![cat](file:///etc/x) ![dog](https://e/d.png)"
    ).html
    assert 'href="javascript' not in html and 'href="file' not in html
    assert "<img" not in html
    assert '<a href="https://e/d.png">dog</a>' in html


def test_tables_and_strikethrough_are_enabled() -> None:
    html = render_block("| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~gone~~").html
    assert "<table" in html and "<td" in html and "<s>gone</s>" in html
