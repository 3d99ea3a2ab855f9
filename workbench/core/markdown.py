"""Streamed markdown, split into blocks as it arrives and rendered to Qt's rich-text HTML subset.

A chat answer arrives a few characters at a time. `BlockSplitter` cuts it into top-level blocks
so a view can render each finished block once and re-render only the open tail; `render_block`
turns one block into HTML that QTextDocument draws well (inline styles, tables, no CSS classes).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

HIGHLIGHT_LIMIT = 5_000  # characters of code coloured; longer code blocks are shown plain

# Any indentation opens a fence here, not only CommonMark's 0-3 spaces: a fence nested in a list
# item sits deeper, and wrongly holding a block open only merges blocks, whereas missing a real
# fence would cut a code block in two at its first blank line.
_FENCE_OPEN = re.compile(r"([ \t]*)(`{3,}|~{3,})([^\r\n]*)")
_FENCE_CLOSE = re.compile(r"([ \t]*)(`{3,}|~{3,})[ \t]*[\r\n]*")
_FENCE_HEAD = re.compile(r"[ \t]*[`~]")
# A line that may be a link reference definition; the parser then decides.
_DEFINITION_LINE = re.compile(r" {0,3}\[[^\]\n]+\]:.*")


@dataclass(frozen=True, slots=True)
class _Fence:
    char: str
    length: int
    indent: int

    def is_closed_by(self, line: str) -> bool:
        match = _FENCE_CLOSE.fullmatch(line)
        return bool(
            match
            # Up to 3 columns deeper than the opener, as CommonMark allows inside its container.
            and len(match[1].expandtabs(4)) <= self.indent + 3
            and match[2][0] == self.char
            and len(match[2]) >= self.length
        )


def _fence_opened_by(line: str) -> _Fence | None:
    if not _FENCE_HEAD.match(line):  # most lines: no rstrip, which would copy a long one
        return None
    match = _FENCE_OPEN.fullmatch(line.rstrip("\r\n"))
    if not match:
        return None
    marker, info = match[2], match[3]
    if marker[0] == "`" and "`" in info:  # "```x```" is inline code, not a fence
        return None
    return _Fence(marker[0], len(marker), len(match[1].expandtabs(4)))


class BlockSplitter:
    """Cuts streamed markdown into top-level blocks, looking at each character once.

    A block is finished by a blank line outside a fenced code block, or by the line that closes
    a fence. Only complete lines are judged, so the blocks never depend on how the text was cut
    into deltas; the unfinished last line waits in `_partial` until its newline arrives.
    Lines outside fences that may define a link reference (`[label]: url`) are kept in
    `definitions`, so a view learns a message's definitions from the text it has split.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []  # complete lines of the open block
        self._partial: list[str] = []  # pieces of the line still arriving; joined once complete
        self._fence: _Fence | None = None
        self._size = 0  # characters in the open block, so its length costs nothing to ask
        self.definitions: list[str] = []  # candidate reference definition lines, in order

    @property
    def tail(self) -> str:
        """The open, unfinished block as received so far."""
        return "".join(self._lines) + "".join(self._partial)

    @property
    def tail_length(self) -> int:
        return self._size

    def tail_head(self, count: int) -> str:
        """The first `count` characters of the open block, without joining all of it."""
        pieces: list[str] = []
        for piece in itertools.chain(self._lines, self._partial):
            if count <= 0:
                break
            pieces.append(piece[:count])
            count -= len(piece)
        return "".join(pieces)

    def open_definition(self) -> str | None:
        """The unfinished last line, if it may be a reference definition (the last line of a
        message often is one, and has no newline to finish it)."""
        if self._fence is not None or not self._partial or len(self._partial[0]) > 2_000:
            return None
        line = "".join(self._partial)
        return line if len(line) <= 2_000 and _DEFINITION_LINE.fullmatch(line) else None

    @property
    def in_fence(self) -> bool:
        return self._fence is not None

    def feed(self, delta: str) -> list[str]:
        """Takes the next piece of text; returns the blocks it finished, in order."""
        finished: list[str] = []
        start = 0
        # Only the new text is scanned: the offset moves from newline to newline within it.
        while (newline := delta.find("\n", start)) != -1:
            self._partial.append(delta[start : newline + 1])
            self._size += newline + 1 - start
            line = "".join(self._partial)
            self._partial.clear()
            self._take_line(line, finished)
            start = newline + 1
        if start < len(delta):
            self._partial.append(delta[start:])
            self._size += len(delta) - start
        return finished

    def finish(self) -> list[str]:
        """Ends the text: whatever is open becomes finished, and the splitter starts afresh."""
        finished: list[str] = []
        if self._partial:
            line = "".join(self._partial)
            self._partial.clear()
            self._take_line(line, finished)
        self._emit(finished)
        self._fence = None
        return finished

    def _take_line(self, line: str, finished: list[str]) -> None:
        if self._fence is not None:
            self._lines.append(line)
            if self._fence.is_closed_by(line):
                self._fence = None
                self._emit(finished)
            return
        # isspace and a look at the line's head, not strip or a search: a line may be 20 MB.
        if line.isspace():
            self._size -= len(line)
            self._emit(finished)  # blank lines between blocks belong to neither
            return
        self._lines.append(line)
        self._fence = _fence_opened_by(line)
        if self._fence is None and line[:4].lstrip(" ").startswith("["):
            candidate = line.rstrip("\r\n")
            if _DEFINITION_LINE.fullmatch(candidate):
                self.definitions.append(candidate)

    def _emit(self, finished: list[str]) -> None:
        lines = self._lines
        if not lines:
            return
        # Newlines are stripped from the last lines before the join, not from the joined
        # block: one copy of a 20 MB block, not two.
        while lines and not (last := lines[-1].rstrip("\r\n")):
            lines.pop()
        finished.append("".join([*lines[:-1], last]) if lines else "")
        lines.clear()
        self._size = 0  # every caller has taken the partial line first


def split_blocks(text: str) -> list[str]:
    """All blocks of a complete text, as streaming it would give them."""
    splitter = BlockSplitter()
    return splitter.feed(text) + splitter.finish()


@dataclass(frozen=True, slots=True)
class RenderedBlock:
    html: str
    code: tuple[str, ...]  # raw text of each fenced code block; `copy:<n>` links index into it


@dataclass(frozen=True, slots=True)
class _Theme:
    """Colours for the parts QTextDocument would otherwise take from the palette. All are set,
    so a pinned dark or light style reads well whatever the palette is."""

    pygments_style: str
    text: str  # inline code and uncoloured code tokens
    link: str
    code_background: str  # the Pygments style's own background
    header_background: str
    header_text: str
    inline_code_background: str
    border: str


_LIGHT = _Theme(
    "default", "#1f2328", "#0969da", "#f8f8f8", "#e8ebef", "#57606a", "#eff1f3", "#d0d7de"
)
_DARK = _Theme(
    "github-dark", "#e6edf3", "#4493f8", "#0d1117", "#1c2128", "#8b949e", "#343942", "#3d444d"
)


@lru_cache(maxsize=2)
def _formatter(style_name: str) -> HtmlFormatter:
    # Inline styles only: QTextDocument ignores CSS classes.
    return HtmlFormatter(noclasses=True, nowrap=True, style=style_name)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _highlighted(code: str, language: str, theme: _Theme) -> str:
    # Pygments takes about 4 ms per KB, paid again each frame while a code block streams; past
    # this length the code is shown uncoloured so one pass stays well under a frame budget.
    lexer = _lexer(language.lower()) if len(code) <= HIGHLIGHT_LIMIT else None
    if lexer is None:
        return escape(code, quote=False)
    return highlight(code, lexer, _formatter(theme.pygments_style)).removesuffix("\n")


def _code_box(code: str, language: str, theme: _Theme, copy_index: int | None) -> str:
    # A one-cell table, because Qt paints cell backgrounds and padding reliably, and pre-wrap,
    # because the view has no horizontal scrollbar for long lines.
    body = _highlighted(code.removesuffix("\n"), language, theme)
    header = ""
    if copy_index is not None:
        cell = f'bgcolor="{theme.header_background}" style="color:{theme.header_text};"'
        header = (
            f"<tr><td {cell}><small>{escape(language or 'text')}</small></td>"
            f'<td {cell} align="right"><small><a href="copy:{copy_index}"'
            f' style="color:{theme.link};">Copy</a></small></td></tr>'
        )
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" bgcolor="{theme.code_background}"'
        f' style="margin-top:6px; margin-bottom:6px;">{header}'
        f'<tr><td colspan="2"><pre style="margin:0; white-space:pre-wrap;'
        f' color:{theme.text};">{body}</pre></td></tr></table>\n'
    )


def _render_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    token = tokens[idx]
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    codes: list[str] = env["code"]
    index = env["first_code_index"] + len(codes)
    codes.append(token.content)
    return _code_box(token.content, language, env["theme"], index)


def _render_code_block(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    return _code_box(tokens[idx].content, "", env["theme"], None)


def _render_code_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    theme: _Theme = env["theme"]
    content = escape(tokens[idx].content, quote=False)
    style = f"background-color:{theme.inline_code_background}; color:{theme.text};"
    return f'<code style="{style}">{content}</code>'


def _render_table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    border = env["theme"].border
    return (
        '<table border="1" cellspacing="0" cellpadding="4"'
        f' style="border-collapse:collapse; border-color:{border};">\n'
    )


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    # A link instead of an <img>: the view never fetches, nor reads local files named by a model.
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    label = self.renderInlineAsText(token.children or [], options, env) or source
    return f'<a href="{escape(source)}">{escape(label, quote=False)}</a>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_code_block)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("image", _render_image)
    return md


References = dict[str, dict[str, str]]  # markdown-it's own shape: normalised label -> href, title


def reference_definitions(text: str) -> References:
    """The `[label]: url` definitions of a whole message. Blocks are rendered one at a time, so
    `![alt][label]` in one block needs the definitions made in others (often after it).
    Only candidate lines are parsed, by the real parser; ones inside code fences are skipped."""
    splitter = BlockSplitter()
    splitter.feed(text)
    splitter.finish()
    return with_definitions({}, splitter.definitions)


def with_definitions(references: References, lines: list[str]) -> References:
    """`references` plus those that candidate `lines` (from `BlockSplitter.definitions`) make;
    an earlier definition of a label wins, as in CommonMark."""
    if not lines:
        return references
    env: dict[str, Any] = {"references": dict(references)}
    _parser().parse("\n".join(lines), env)
    return env.get("references", {})


def render_block(
    markdown: str,
    *,
    first_code_index: int = 0,
    dark: bool = False,
    references: References | None = None,
) -> RenderedBlock:
    """HTML for one block (or an open tail: an unclosed fence renders as code up to the end).

    Code blocks get a "Copy" link to `copy:<first_code_index + i>`, so indices stay unique
    across the blocks of one message when the caller passes how many it has handed out so far.
    """
    env: dict[str, Any] = {
        "code": [],
        "first_code_index": first_code_index,
        "theme": _DARK if dark else _LIGHT,
        # A copy: definitions inside this block must not leak into the caller's.
        "references": dict(references or {}),
    }
    # Without the trailing newline, which Qt would keep as a space at the end of the last block.
    html = _parser().render(markdown, env).rstrip()
    return RenderedBlock(html, tuple(env["code"]))
