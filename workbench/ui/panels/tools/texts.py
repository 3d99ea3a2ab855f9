"""What the Tools panel says."""

from __future__ import annotations

from workbench.core.tools import Problem

NO_FUNCTION = "Add a function, or pick one in the list, to define it here."
UNNAMED = "(unnamed)"
USED = "The chat offers these tools from its next message on."
STOPPED = "The chat no longer offers tools."
USE_ANYWAY = "Use anyway"
DONT_USE = "Don't use"
SHOWN_PROBLEMS = 3  # the status line names this many; the tooltip has them all


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def ready(functions: int) -> str:
    return f"Ready: {_count(functions, 'function')}"


def problems_line(problems: list[Problem]) -> str:
    """'2 problems: get_weather: name: …; …' for the status line."""
    said = "; ".join(f"{p.where}: {p.message}" for p in problems[:SHOWN_PROBLEMS])
    more = f"; …and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
    return f"{_count(len(problems), 'problem')}: {said}{more}"


def problems_detail(problems: list[Problem]) -> str:
    return "\n".join(f"{p.where}: {p.message}" for p in problems)
