"""The Compare panel's word diff on long answers, against plain difflib over the same words.

Cases: a 4,000-word text (GPL-3's opening, or generated prose if the licence file is absent)
against a copy with 5 % of its words replaced; and 500 lines of code with every line changed
(repetitive tokens: difflib's worst case). For each, `core.word_diff.compare` (what the panel
calls) and, as the baseline in the same run, `difflib.SequenceMatcher` over the words with its
defaults (autojunk on). Prints the median of --rounds runs and the ratio baseline / ours.
Run: .venv/bin/python -m bench.word_diff [--rounds 5]
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from workbench.core.word_diff import compare

LICENCE = Path("/usr/share/common-licenses/GPL-3")
_WORDS = re.compile(r"\w+|[^\w\s]")


def _prose(rng: random.Random, words: int) -> str:
    if LICENCE.exists():
        return " ".join(LICENCE.read_text().split(" ")[:words])
    vocabulary = [f"w{i}" for i in range(900)] + ["the", "a", "of", ",", "."] * 50
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _cases(rng: random.Random) -> list[tuple[str, str, str]]:
    text = _prose(rng, 4000)
    pool = text.split(" ")
    edited = " ".join(w if rng.random() > 0.05 else rng.choice(pool) for w in pool)
    code = "\n".join(f"    x{i % 50} = foo(a, b[{i % 7}], c) + bar(d)  # {i}" for i in range(500))
    return [
        ("4k words, 5% edited", text, edited),
        ("500 code lines, all changed", code, code.replace("bar", "baz")),
    ]


def _median_ms(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _difflib(a: str, b: str) -> None:
    difflib.SequenceMatcher(None, _WORDS.findall(a), _WORDS.findall(b)).get_opcodes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name, a, b in _cases(random.Random(2)):
        ours = _median_ms(lambda a=a, b=b: compare(a, b), args.rounds)
        baseline = _median_ms(lambda a=a, b=b: _difflib(a, b), max(1, args.rounds // 2))
        print(
            f"{name:30} word_diff {ours:7.1f} ms   difflib {baseline:8.1f} ms   "
            f"ratio {baseline / ours:5.1f}x   similarity {compare(a, b).similarity:.2f}"
        )


if __name__ == "__main__":
    main()
