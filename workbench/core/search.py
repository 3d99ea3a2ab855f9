"""Turn what a person types into a search box into a safe SQLite FTS5 query."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Every word must match; the last one as a prefix, so results follow the typing.

    Words are quoted so FTS5 operators in the input (AND, NEAR, quotes, colons) are plain text.
    Returns None when there is nothing to search for.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    if _WORD.fullmatch(text[-1]):  # still typing the last word
        quoted[-1] += "*"
    return " ".join(quoted)
