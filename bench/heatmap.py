"""The token-heat view on a long answer: first paint and hover, against painting every token.

A 16k-token answer (tokens drawn Zipf-like from a vocabulary of markdown pieces, pseudo-words,
punctuation, newlines and indentation; random probabilities and top-5 alternatives, built through
`core.logprobs.token_infos` as the app builds them from a run's stored logprobs) is shown in a
`TokenHeatView` in a shown 900x700 window (offscreen platform). Prints:
- set_tokens + first paint: from the call to the end of the viewport's first paintEvent, driving
  Qt's event loop as the app would (processEvents passes); a fresh view every round, so the
  per-token work (whitespace pieces, text widths, layout) is all in it; round 0 warms up.
- repaint of the whole viewport with the layout already made (scrolling costs this per frame).
- hover: a mouse-move event sent to the viewport over a token other than the last one, until both
  the alternatives popup has painted that token and the view has repainted its outline; median and
  p99 over the hovers.
Baseline, in the same run: the same view with visibility culling turned off (every paint draws
every token; Qt still clips to the update region, but each token's draw calls are made).
`--vocab 0` makes every token distinct (no token's text is measured twice): the worst case.
Run: .venv/bin/python -m bench.heatmap [--tokens 16000] [--top 5] [--rounds 10] [--hovers 200]
     [--vocab 8000] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPaintEvent
from PySide6.QtWidgets import QApplication

from bench.render import percentile, pin_singletons_if_bindings_leak_them, tokens_of
from workbench.core.logprobs import TokenInfo, token_infos
from workbench.ui.widgets.token_heat import TokenHeatView, _Layout

FIRST_PAINT_GOAL_MS = 150.0
FRAME_MS = 16.0
WINDOW = (900, 700)
_SYLLABLES = (
    "ta", "re", "mo", "del", "ing", "ver", "sion", "ex", "pec", "tor",
    "an", "con", "fig", "ser", "que", "ly", "tion", "al", "im", "port",
)  # fmt: skip
_FIXED = [".", ",", ":", "`", "**", "(", ")", "\n", "\n\n", ".\n", "    ", " =", " {", "}\n"]


def vocabulary(size: int, rnd: random.Random) -> list[str]:
    """Markdown pieces, punctuation and whitespace, then pseudo-words, most common first."""
    words = {" " + "".join(rnd.choices(_SYLLABLES, k=rnd.randint(1, 4))) for _ in range(size * 2)}
    extra = sorted(words)
    rnd.shuffle(extra)
    common = list(dict.fromkeys(_FIXED + tokens_of(2_000)))
    return (common + extra)[:size] if size > len(common) else common


def answer(count: int, top: int, seed: int, vocab: int) -> list[TokenInfo]:
    """`count` tokens, Zipf-distributed over `vocab` kinds (vocab 0: every token distinct);
    most tokens sure, some torn between alternatives, a few long shots."""
    rnd = random.Random(seed)
    if vocab:
        pool = vocabulary(vocab, rnd)
        weights = [1 / (rank + 2) for rank in range(len(pool))]
        pieces = rnd.choices(pool, weights, k=count)
    else:
        pool = pieces = [f" w{i}" + "\n" * (i % 9 == 0) for i in range(count)]
    items = []
    for token in pieces:
        kind = rnd.random()
        p = rnd.betavariate(8, 1) if kind < 0.7 else rnd.uniform(0.2, 0.7) if kind < 0.95 else 0.1
        p = max(1e-6, p * rnd.uniform(0.9, 1.0) if kind >= 0.95 else p)
        rest, others = 1.0 - p, []
        for _ in range(top - 1):
            share = rest * rnd.uniform(0.3, 0.8)
            others.append([rnd.choice(pool), math.log(max(share, 1e-9))])
            rest -= share
        alternatives = [[token, math.log(p)], *others]
        rnd.shuffle(alternatives)  # servers list them by probability; token_infos sorts anyway
        items.append({"token": token, "logprob": math.log(p), "top": alternatives})
    return token_infos(items)


class TimedView(TokenHeatView):
    """The real view, noting when its last paint ended."""

    painted_at = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()


class EveryTokenView(TimedView):
    """The baseline: no visibility culling, every line is painted on every paint."""

    def _lines_in(self, top: int, bottom: int, layout: _Layout) -> range:
        return range(layout.lines)


def run_until(app: QApplication, done: Callable[[], bool], limit_s: float = 10.0) -> None:
    deadline = time.perf_counter() + limit_s
    while not done():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise RuntimeError("the view never painted")


def shown(kind: type[TimedView], app: QApplication) -> TimedView:
    view = kind()
    view.resize(*WINDOW)
    view.show()
    run_until(app, lambda: view.painted_at > 0)
    return view


def first_paint_ms(kind: type[TimedView], infos: list[TokenInfo], app: QApplication) -> float:
    view = shown(kind, app)
    started = time.perf_counter()
    view.set_tokens(infos)
    run_until(app, lambda: view.painted_at > started)
    elapsed = (view.painted_at - started) * 1000
    view.close()
    view.deleteLater()
    app.processEvents()
    return elapsed


def repaint_ms(view: TimedView, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        view.viewport().repaint()
        out.append((time.perf_counter() - started) * 1000)
    return out


def hover_ms(view: TimedView, app: QApplication, hovers: int, seed: int) -> list[float]:
    """Mouse-move event to popup painted (and the view's outline repainted), per hover."""
    viewport = view.viewport()
    area = viewport.rect()
    visible = [i for i in range(len(view._infos)) if area.contains(view.token_rect(i).toRect())]
    rnd, last, out = random.Random(seed), -1, []
    for _ in range(hovers):
        index = rnd.choice([i for i in visible[:: max(1, len(visible) // 500)] if i != last])
        pos = view.token_rect(index).center()
        event = QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            QPointF(viewport.mapToGlobal(pos.toPoint())),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        started = time.perf_counter()
        QApplication.sendEvent(viewport, event)

        def updated(index: int = index, started: float = started) -> bool:
            return view.popup.painted_index == index and view.painted_at > started

        run_until(app, updated)
        out.append((time.perf_counter() - started) * 1000)
        last = index
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=16_000)
    parser.add_argument("--top", type=int, default=5, help="alternatives per token")
    parser.add_argument("--rounds", type=int, default=10, help="first paints, round 0 dropped")
    parser.add_argument("--hovers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--vocab", type=int, default=8_000, help="token kinds to draw from; 0: all distinct"
    )
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    infos = answer(args.tokens, args.top, args.seed, args.vocab)

    first: dict[type[TimedView], list[float]] = {TimedView: [], EveryTokenView: []}
    for _ in range(args.rounds + 1):  # alternate, so both see the same machine load
        for kind, times in first.items():
            times.append(first_paint_ms(kind, infos, app))
    results = {}
    for kind in (TimedView, EveryTokenView):
        view = shown(kind, app)
        view.set_tokens(infos)
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
        run_until(app, lambda v=view: v.painted_at > 0)
        repaints = repaint_ms(view, 30)
        painted = view.last_painted_count
        hovers = hover_ms(view, app, args.hovers, args.seed)
        results[kind] = (statistics.median(first[kind][1:]), max(first[kind][1:]), repaints)
        results[kind] += (painted, hovers)
        view.close()

    cull, base = results[TimedView], results[EveryTokenView]
    distinct = len({i.token for i in infos})
    lines = sum(i.token.count("\n") for i in infos)
    print(
        f"{len(infos)} tokens ({distinct} distinct, {lines} newlines), top-{args.top}, "
        f"{WINDOW[0]}x{WINDOW[1]} view, {args.rounds} first paints (+1 warm-up), "
        f"{args.hovers} hovers"
    )
    print()
    print("| measure | culled (the view) | every token (baseline) | baseline / view | goal |")
    print("|---|---:|---:|---:|---|")

    def row(name: str, a: float, b: float, goal: str = "", unit: str = " ms") -> None:
        print(f"| {name} | {a:.2f}{unit} | {b:.2f}{unit} | {b / a:.1f}x | {goal} |")

    goal = (
        f"<= {FIRST_PAINT_GOAL_MS:.0f} ms: {'PASS' if cull[0] <= FIRST_PAINT_GOAL_MS else 'FAIL'}"
    )
    row("set_tokens + first paint, median", cull[0], base[0], goal)
    row("set_tokens + first paint, worst round", cull[1], base[1])
    row(
        "repaint of the whole viewport, median",
        statistics.median(cull[2]),
        statistics.median(base[2]),
    )
    print(f"| tokens drawn per full paint | {cull[3]} | {base[3]} | {base[3] / cull[3]:.0f}x | |")
    hover_p50 = (statistics.median(cull[4]), statistics.median(base[4]))
    hover_p99 = (percentile(cull[4], 0.99), percentile(base[4], 0.99))
    row("hover to popup painted, median", *hover_p50, f"<= {FRAME_MS:.0f} ms")
    verdict = "PASS" if hover_p99[0] <= FRAME_MS else "FAIL"
    row("hover to popup painted, p99", *hover_p99, f"<= {FRAME_MS:.0f} ms: {verdict}")
    row("hover, max", max(cull[4]), max(base[4]))


if __name__ == "__main__":
    main()
