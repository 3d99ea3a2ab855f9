"""What a grid cell says: a short output, its figures, its tooltip. Called only for cells on
screen (the view asks for those alone), so a 10,000-cell grid formats a screenful at a time."""

from __future__ import annotations

from workbench.core.pricing import Price
from workbench.core.prompt_lab.model import Cell, CellStatus
from workbench.core.run_text import duration
from workbench.core.runs import PriceStatus

SHORT_CHARS = 120  # the view elides to its width; this only bounds the work for huge answers
TOOLTIP_CHARS = 600

_WAITING = {
    CellStatus.PENDING: "",
    CellStatus.QUEUED: "queued…",
    CellStatus.RUNNING: "running…",
    CellStatus.CANCELLED: "cancelled",
    CellStatus.BATCHED: "in a batch…",
}


def short_output(cell: Cell | None) -> str:
    """One line: the answer's start with line breaks as spaces, or what the cell is waiting on."""
    if cell is None:
        return ""
    if cell.status is CellStatus.FAILED:
        return f"error: {cell.error}"[:SHORT_CHARS]
    if cell.status is not CellStatus.DONE:
        return _WAITING.get(cell.status, str(cell.status))
    return " ".join(cell.output[:SHORT_CHARS].split())


def cost_label(cell: Cell) -> str:
    if cell.cost_usd is None and not cell.price_status:
        return ""
    try:
        status = PriceStatus(cell.price_status)
    except ValueError:  # "" or a value from a newer version
        status = PriceStatus.PRICED if cell.cost_usd is not None else PriceStatus.UNKNOWN
    label = Price(cell.cost_usd, status).label
    return f"{label} (batch −50%)" if cell.batch_discount else label


def figures(cell: Cell | None) -> str:
    """'1.2 s (+0.8 s queued) · 12→57 tok · $0.0004': model time apart from queue time."""
    if cell is None or not cell.status.finished:
        return ""
    parts = []
    if cell.latency_ms is not None:
        latency = duration(cell.latency_ms / 1000)
        if cell.queue_ms:
            latency += f" (+{duration(cell.queue_ms / 1000)} queued)"
        parts.append(latency)
    if cell.completion_tokens is not None:
        parts.append(f"{cell.prompt_tokens or 0}→{cell.completion_tokens} tok")
    cost = cost_label(cell)
    if cost:
        parts.append(cost)
    return " · ".join(parts)


def verdict(cell: Cell | None, names: tuple[str, ...] = ()) -> str:
    """'pass', or 'fail: <reason>; <reason>' naming the failed checks (by assertion, if named)."""
    if cell is None:
        return ""
    if cell.status is CellStatus.FAILED:
        return f"fail: the request failed ({cell.error})" if cell.error else "fail"
    passed = cell.passed
    if passed is None:
        return ""
    if passed:
        return "pass"
    reasons = []
    for check in cell.checks:
        if not check.passed:
            name = names[check.index] if check.index < len(names) else f"check {check.index + 1}"
            reasons.append(f"{name}: {check.reason}")
    return "fail: " + "; ".join(reasons)


def tooltip(cell: Cell | None, names: tuple[str, ...] = ()) -> str:
    if cell is None:
        return ""
    lines = [verdict(cell, names), figures(cell)]
    if cell.status is CellStatus.DONE:
        text = cell.output[:TOOLTIP_CHARS]
        lines.append(text + ("…" if len(cell.output) > TOOLTIP_CHARS else ""))
    elif cell.status is not CellStatus.FAILED:
        lines.append(short_output(cell) or str(cell.status))
    return "\n".join(line for line in lines if line)


def rate(passed: int, judged: int) -> str:
    """'7/10 pass (70%)', or '' before anything is judged."""
    if not judged:
        return ""
    return f"{passed}/{judged} pass ({100 * passed / judged:.0f}%)"
