"""Where JSON text can fold: pure functions, no Qt, so they are tested on plain lists of lines.

A foldable region starts on a line where an object or array opens (`{` or `[` outside a string)
and its matching closer is on a later line; the region is the lines after the start up to and
including the closer's line. JSON strings never span lines, so each line is read on its own.
Brackets that do not pair up (a `}` closing a `[`, an opener never closed) make no region: the
openers still waiting when a mismatched closer arrives are dropped rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

OPENERS = {"{": "}", "[": "]"}
_PAIRS = {"{": "}", "[": "]", "}": "{", "]": "["}
# A string (perhaps unterminated: then it runs to the end of the line) or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\]]')
_BRACKET = re.compile(r"[{}\[\]]")


def brackets(line: str) -> list[tuple[int, str]]:
    """Columns of the brackets in one line of JSON that are not inside a string."""
    if "{" not in line and "}" not in line and "[" not in line and "]" not in line:
        return []  # most lines of pretty JSON: checked in C, no scan
    return [(m.start(), m.group()) for m in _TOKEN.finditer(line) if m.group() in _PAIRS]


def fold_ranges(lines: Sequence[str]) -> dict[int, int]:
    """{start line: end line} (0-based) of every foldable region. A line that opens several
    regions folds up to the furthest of their closers."""
    regions: dict[int, int] = {}
    stack: list[tuple[str, int]] = []  # (opener, its line)
    for number, line in enumerate(lines):
        if "{" not in line and "}" not in line and "[" not in line and "]" not in line:
            continue
        # Strings come back whole and are skipped; without a quote only brackets can match.
        for token in (_TOKEN if '"' in line else _BRACKET).findall(line):
            if token in OPENERS:
                stack.append((token, number))
            elif token not in _PAIRS:
                continue
            elif stack and stack[-1][0] == _PAIRS[token]:
                start = stack.pop()[1]
                if number > start and number > regions.get(start, -1):
                    regions[start] = number
            else:
                stack.clear()  # a stray or mismatched closer: what was open cannot be trusted
    return regions


def closer_of(line: str) -> str | None:
    """The closer of the outermost opener on `line` that the line itself does not close (the
    one a fold of this line hides up to), or None."""
    waiting: list[str] = []
    for _column, ch in brackets(line):
        if ch in OPENERS:
            waiting.append(ch)
        elif waiting and waiting[-1] == _PAIRS[ch]:
            waiting.pop()
    return OPENERS[waiting[0]] if waiting else None


def innermost(regions: dict[int, int], line: int) -> int | None:
    """The start of the region that `line` starts, else of the innermost one holding it."""
    if line in regions:
        return line
    holding = [start for start, end in regions.items() if start < line <= end]
    return max(holding) if holding else None


class FoldIndex:
    """Fold ranges computed on demand and kept until the text's revision changes, so typing
    costs nothing until someone asks where the folds are."""

    def __init__(self) -> None:
        self._revision: int | None = None
        self._regions: dict[int, int] = {}

    def regions(self, revision: int, lines: Callable[[], Sequence[str]]) -> dict[int, int]:
        if revision != self._revision:
            self._regions = fold_ranges(lines())
            self._revision = revision
        return self._regions

    def cached(self, revision: int) -> dict[int, int] | None:
        """The regions if they are known for this revision, without computing them."""
        return self._regions if revision == self._revision else None
