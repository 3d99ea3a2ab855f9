"""A run's outcome in one line of plain words, the same in the chat and the compare columns."""

from __future__ import annotations

from workbench.core.pricing import Price
from workbench.core.runs import RetryScheduled, RunRecord


def stats_line(record: RunRecord, *, with_model: bool = True) -> str:
    """'gpt-4o · first token 210 ms · total 1.3 s · 45 tok/s · 12→57 tokens · $0.0004'."""
    model, figures = stats_parts(record)
    return " · ".join(p for p in (model if with_model else "", *figures) if p)


def stats_parts(record: RunRecord) -> tuple[str, list[str]]:
    """The model, and the run's figures each with its unit: a view short of room shortens the
    model's name, never a figure."""
    t = record.timings
    figures = []
    if t.first_token_s is not None:
        figures.append(f"first token {duration(t.first_token_s)}")
    if t.total_s is not None:
        figures.append(f"total {duration(t.total_s)}")
    if t.tokens_per_s:
        figures.append(f"{t.tokens_per_s:.0f} tok/s")
    if record.usage.completion_tokens:
        figures.append(f"{record.usage.prompt_tokens}→{record.usage.completion_tokens} tokens")
        figures.append(Price(record.cost_usd, record.price_status).label)
    return record.model, figures


def duration(seconds: float) -> str:
    """'794 ms', '1.3 s', '2 min 05 s': always with its unit."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def retry_line(event: RetryScheduled) -> str:
    return (
        f"{_reason(event.reason)}: the SDK retries in {event.wait_s:.1f} s "
        f"(attempt {event.attempt} of {event.max_retries})…"
    )


def _reason(reason: str) -> str:
    # The transport names a timeout "timeout"; people read "Timed out", not a noun.
    return "Timed out" if reason == "timeout" else reason.capitalize()


def waiting_line(elapsed_s: float, attempt: int = 0, max_retries: int = 0) -> str:
    """What the app is waiting for before the first token arrives, and for how long."""
    retry = f" (retry {attempt} of {max_retries})" if attempt else ""
    return f"Waiting for the server's first token{retry}… {elapsed_s:.0f} s"
