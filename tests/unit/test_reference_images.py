"""Reference-style images (`![alt][ref]` with `[ref]: url` elsewhere) show as inline images do:
a link to the image, never fetched, instead of the raw markdown."""

from __future__ import annotations

from workbench.core.markdown import reference_definitions, render_block

AFTER = "A picture: ![a cat][cat] here.\n\n[cat]: https://e/cat.png\n[dog]: https://e/d.png"


def test_a_block_renders_reference_images_from_definitions_elsewhere() -> None:
    html = render_block("![a cat][CAT]", references=reference_definitions(AFTER)).html
    assert '<a href="https://e/cat.png">a cat</a>' in html and "<img" not in html


def test_definitions_in_code_are_not_definitions() -> None:
    assert reference_definitions("```\n[cat]: https://e/x.png\n```") == {}
