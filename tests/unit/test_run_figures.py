"""An answer's figures, each with its unit, and the model's name kept apart so a view can shorten
it without cutting a figure."""

from __future__ import annotations

import re

import pytest

from workbench.core.run_text import duration, stats_line, stats_parts
from workbench.core.runs import PriceStatus, RunRecord, RunTimings, Usage
from workbench.core.sessions import MessageStatus

LONG_MODEL = "/models/some/very/long/path/" + "nested/" * 12 + "Qwen2.5-7B-Instruct-Q4_K_M.gguf"


def _record(**changes) -> RunRecord:
    values = {
        "run_id": 1,
        "session_id": 1,
        "message_id": 2,
        "endpoint": "Local",
        "model": "gpt-4o",
        "status": MessageStatus.COMPLETE,
        "timings": RunTimings(first_token_s=0.794, total_s=1.32, completion_tokens=57),
        "usage": Usage(prompt_tokens=12, completion_tokens=57),
        "cost_usd": 0.0004,
        "price_status": PriceStatus.PRICED,
    }
    return RunRecord(**{**values, **changes})


def test_every_figure_carries_its_unit() -> None:
    model, figures = stats_parts(_record())
    assert model == "gpt-4o"
    assert figures == ["first token 794 ms", "total 1.3 s", "106 tok/s", "12→57 tokens", "$0.00040"]
    for figure in figures:
        assert re.search(r"( ms| s| tok/s| tokens)$|^\$", figure), figure


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.0794, "79 ms"), (0.794, "794 ms"), (1.0, "1.0 s"), (12.34, "12.3 s"), (125, "2 min 05 s")],
)
def test_a_duration_says_its_unit(seconds: float, said: str) -> None:
    assert duration(seconds) == said


def test_a_slow_first_token_is_said_in_seconds() -> None:
    _model, figures = stats_parts(_record(timings=RunTimings(2.5, 4.0, 10)))
    assert figures[:2] == ["first token 2.5 s", "total 4.0 s"]


def test_a_free_or_unpriced_run_says_so_instead_of_a_sum() -> None:
    assert stats_parts(_record(price_status=PriceStatus.FREE, cost_usd=0.0))[1][-1] == "free"
    unknown = _record(model=LONG_MODEL, price_status=PriceStatus.UNKNOWN, cost_usd=None)
    assert stats_parts(unknown)[1][-1] == "unknown price"


def test_the_line_puts_the_whole_model_name_first() -> None:
    line = stats_line(_record(model=LONG_MODEL))
    assert line.startswith(LONG_MODEL + " · first token 794 ms · total 1.3 s")
    assert stats_line(_record(), with_model=False).startswith("first token 794 ms")
