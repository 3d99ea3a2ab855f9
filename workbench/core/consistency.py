"""How consistent one Compare column is when its prompt is repeated k times.

Answers are grouped after normalising away what a reader would not call a difference: surrounding
and repeated whitespace and letter case, or, for an answer that is JSON (bare or in one ``` fence),
key order and spacing. Values inside JSON compare exactly, since in structured output "Yes" and
"yes" may well be different enum values. Failed answers are counted apart and take no part in
agreement or in the spreads: an error's text and timing say nothing about the model's answers.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*)\n[ \t]*```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Answer:
    """One repeat of a column. Times are in seconds; None where the run did not report them."""

    text: str
    ttft: float | None = None
    total: float | None = None
    completion_tokens: int | None = None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class Spread:
    """Summary statistics of one measure over the answers that have it."""

    count: int
    minimum: float
    median: float
    maximum: float
    stdev: float | None  # sample standard deviation; None for a single value

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        return cls(
            count=len(values),
            minimum=min(values),
            median=statistics.median(values),
            maximum=max(values),
            stdev=statistics.stdev(values) if len(values) >= 2 else None,
        )


@dataclass(frozen=True, slots=True)
class Consistency:
    """The k answers of one column, summarised.

    ``answers`` counts the answers that did not fail; ``agreement`` is the share of them equal
    (after normalising) to the most common one, 0.0 when there are none. ``groups`` gives, for
    each answer in the order passed, its group: 0 for the most common, 1 for the next, and so on
    (ties go to the group seen first), None for a failed answer.
    """

    answers: int
    failed: int
    distinct: int
    agreement: float
    most_common: str | None
    most_common_count: int
    group_sizes: tuple[int, ...]
    groups: tuple[int | None, ...]
    ttft: Spread | None
    total_time: Spread | None
    tokens: Spread | None
    characters: Spread | None

    def summary_text(self) -> str:
        """One line, e.g. "5 answers · 2 distinct · 80% agree · TTFT 0.21–0.35 s (median 0.25)
        · 41–57 tokens". Total time stands in for TTFT, and characters for tokens, when the
        endpoint did not report the first."""
        parts = [_plural(self.answers, "answer")]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.answers:
            parts.append(f"{self.distinct} distinct")
            parts.append(f"{round(self.agreement * 100)}% agree")
        if self.ttft:
            parts.append(f"TTFT {_seconds(self.ttft)}")
        elif self.total_time:
            parts.append(f"total {_seconds(self.total_time)}")
        if self.tokens:
            parts.append(_counted(self.tokens, "token"))
        elif self.characters:
            parts.append(_counted(self.characters, "char"))
        return " · ".join(parts)

    def detail_text(self) -> str:
        """Every spread on its own line, with medians and standard deviations (for a tooltip)."""
        lines = [self.summary_text()]
        if self.most_common is not None and self.answers > 1:
            lines.append(f"most common answer: {self.most_common_count} of {self.answers}")
        measures = (
            ("TTFT", self.ttft, _secs, _secs, " s"),
            ("total time", self.total_time, _secs, _secs, " s"),
            ("completion tokens", self.tokens, _count, _tenths, ""),
            ("characters", self.characters, _count, _tenths, ""),
        )
        for name, spread, fmt, stdev_fmt, unit in measures:
            if spread is None:
                continue
            line = f"{name}: {_range(spread, fmt)}{unit}, median {fmt(spread.median)}"
            if spread.stdev is not None:
                line += f", stdev {stdev_fmt(spread.stdev)}"
            lines.append(line)
        return "\n".join(lines)


def normalise(text: str) -> str:
    """The form two answers are compared in: canonical JSON if the answer is JSON, otherwise the
    text stripped, with whitespace runs as one space, casefolded."""
    stripped = text.strip()
    if fenced := _FENCE.fullmatch(stripped):
        body = fenced.group(1)
        if (canonical := _canonical_json(body)) is not None:
            return canonical
    if (canonical := _canonical_json(stripped)) is not None:
        return canonical
    return _SPACE.sub(" ", stripped).casefold()


def _canonical_json(text: str) -> str | None:
    # Only text that could be JSON is parsed: a quick refusal for prose, and no surprises from
    # Python's json accepting bare NaN or Infinity as "JSON" answers.
    if not text or text[0] not in '{["-0123456789tfn':
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def consistency(answers: Sequence[Answer]) -> Consistency:
    """Distinct answers, agreement and spreads for the repeats of one column."""
    ok = [a for a in answers if not a.failed]
    group_of: dict[str, int] = {}  # normalised text -> group in order of first appearance
    first_text: list[str] = []
    sizes: list[int] = []
    raw_groups: list[int | None] = []
    for answer in answers:
        if answer.failed:
            raw_groups.append(None)
            continue
        key = normalise(answer.text)
        if key not in group_of:
            group_of[key] = len(sizes)
            first_text.append(answer.text)
            sizes.append(0)
        sizes[group_of[key]] += 1
        raw_groups.append(group_of[key])
    # Largest first; sorted() is stable, so ties keep the order in which they first appeared.
    order = sorted(range(len(sizes)), key=lambda g: -sizes[g])
    rank = {g: r for r, g in enumerate(order)}
    top = order[0] if order else None
    return Consistency(
        answers=len(ok),
        failed=len(answers) - len(ok),
        distinct=len(sizes),
        agreement=sizes[top] / len(ok) if top is not None else 0.0,
        most_common=first_text[top] if top is not None else None,
        most_common_count=sizes[top] if top is not None else 0,
        group_sizes=tuple(sizes[g] for g in order),
        groups=tuple(None if g is None else rank[g] for g in raw_groups),
        ttft=Spread.of([a.ttft for a in ok if a.ttft is not None]),
        total_time=Spread.of([a.total for a in ok if a.total is not None]),
        tokens=Spread.of([a.completion_tokens for a in ok if a.completion_tokens is not None]),
        characters=Spread.of([len(a.text) for a in ok]),
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _count(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"  # a median of 41 and 42 is 41.5


def _tenths(x: float) -> str:
    return f"{x:.1f}"


def _counted(spread: Spread, noun: str) -> str:
    shown = _range(spread)
    return f"{shown} {noun}" if shown == "1" else f"{shown} {noun}s"


def _secs(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _range(spread: Spread, fmt: Callable[[float], str] = _count) -> str:
    if fmt(spread.minimum) == fmt(spread.maximum):
        return fmt(spread.minimum)
    return f"{fmt(spread.minimum)}–{fmt(spread.maximum)}"


def _seconds(spread: Spread) -> str:
    if _secs(spread.minimum) == _secs(spread.maximum):
        return f"{_secs(spread.minimum)} s"
    return f"{_range(spread, _secs)} s (median {_secs(spread.median)})"
