"""What a matrix's cells say together: pass rates, and a version B against version A."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from statistics import mean

from workbench.core.prompt_lab.model import Cell


@dataclass(frozen=True, slots=True)
class PassRate:
    passed: int = 0
    failed: int = 0
    unchecked: int = 0  # finished with no assertions, or not finished yet

    @property
    def checked(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float | None:
        """Passed over checked; None when nothing was checked."""
        return self.passed / self.checked if self.checked else None

    def label(self) -> str:
        if self.rate is None:
            return "–"
        return f"{self.rate:.0%} ({self.passed}/{self.checked})"


class By(StrEnum):
    COLUMN = "column"
    ROW = "row"
    VERSION = "version"


def pass_rate(cells: Iterable[Cell]) -> PassRate:
    passed = failed = unchecked = 0
    for cell in cells:
        verdict = cell.passed
        if verdict is None:
            unchecked += 1
        elif verdict:
            passed += 1
        else:
            failed += 1
    return PassRate(passed, failed, unchecked)


def pass_rates(cells: Iterable[Cell], by: By) -> dict[int, PassRate]:
    """Pass rate per column, row or version id (repeats count as separate cases)."""
    groups: dict[int, list[Cell]] = defaultdict(list)
    for cell in cells:
        key = cell.key
        group = {By.COLUMN: key.column, By.ROW: key.row, By.VERSION: key.version_id}[by]
        groups[group].append(cell)
    return {g: pass_rate(members) for g, members in sorted(groups.items())}


class Direction(StrEnum):
    BROKE = "pass->fail"
    FIXED = "fail->pass"


@dataclass(frozen=True, slots=True)
class Flip:
    """A case (row, column, repeat) that passed under one version and fails under the other."""

    row: int
    column: int
    repeat: int
    before: Cell  # version A
    after: Cell  # version B

    @property
    def direction(self) -> Direction:
        return Direction.FIXED if self.after.passed else Direction.BROKE


@dataclass(frozen=True, slots=True)
class Regression:
    version_a: int
    version_b: int
    flips: tuple[Flip, ...]
    pairs: int  # cases finished under both versions
    rate_a: PassRate
    rate_b: PassRate
    cost_a_usd: float | None  # total over the paired cases; None when no price is known
    cost_b_usd: float | None
    latency_a_ms: float | None  # mean over the paired cases
    latency_b_ms: float | None

    @property
    def broke(self) -> tuple[Flip, ...]:
        return tuple(f for f in self.flips if f.direction is Direction.BROKE)

    @property
    def fixed(self) -> tuple[Flip, ...]:
        return tuple(f for f in self.flips if f.direction is Direction.FIXED)

    @property
    def cost_delta_usd(self) -> float | None:
        if self.cost_a_usd is None or self.cost_b_usd is None:
            return None
        return self.cost_b_usd - self.cost_a_usd

    @property
    def latency_delta_ms(self) -> float | None:
        if self.latency_a_ms is None or self.latency_b_ms is None:
            return None
        return self.latency_b_ms - self.latency_a_ms


def regression(cells: Iterable[Cell], version_a: int, version_b: int) -> Regression:
    """Version B against A on the cases both have finished (same row, column and repeat)."""
    by_case: dict[tuple[int, int, int], dict[int, Cell]] = defaultdict(dict)
    for cell in cells:
        k = cell.key
        if k.version_id in (version_a, version_b) and cell.status.finished:
            by_case[(k.row, k.column, k.repeat)][k.version_id] = cell
    pairs = [
        (case, both[version_a], both[version_b])
        for case, both in sorted(by_case.items())
        if version_a in both and version_b in both
    ]
    flips = tuple(
        Flip(*case, a, b)
        for case, a, b in pairs
        if a.passed is not None and b.passed is not None and a.passed != b.passed
    )
    olds, news = [a for _, a, _ in pairs], [b for _, _, b in pairs]
    return Regression(
        version_a,
        version_b,
        flips,
        len(pairs),
        pass_rate(olds),
        pass_rate(news),
        _total_cost(olds),
        _total_cost(news),
        _mean_latency(olds),
        _mean_latency(news),
    )


def _total_cost(cells: list[Cell]) -> float | None:
    costs = [c.cost_usd for c in cells if c.cost_usd is not None]
    return sum(costs) if costs else None


def _mean_latency(cells: list[Cell]) -> float | None:
    values = [c.latency_ms for c in cells if c.latency_ms is not None]
    return mean(values) if values else None
