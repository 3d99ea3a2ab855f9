"""When may we try again? Read from Retry-After and OpenAI's x-ratelimit-reset-* headers."""

from __future__ import annotations

import contextlib
import re
from email.utils import parsedate_to_datetime

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_reset_duration(text: str) -> float | None:
    """OpenAI writes resets as "1s", "6m0s", "20ms", "1h2m3.5s"."""
    text = text.strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def retry_after_seconds(headers: dict[str, str], now: float) -> float | None:
    """The longest wait any of the headers asks for; None when none of them says."""
    h = {k.lower(): v for k, v in headers.items()}
    waits: list[float] = []
    if "retry-after-ms" in h:
        with contextlib.suppress(ValueError):
            waits.append(float(h["retry-after-ms"]) / 1000)
    if "retry-after" in h:
        value = h["retry-after"].strip()
        try:
            waits.append(float(value))
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                waits.append(parsedate_to_datetime(value).timestamp() - now)
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if name in h and h.get(name.replace("reset", "remaining")) == "0":
            wait = parse_reset_duration(h[name])
            if wait is not None:
                waits.append(wait)
    waits = [w for w in waits if w >= 0]
    return max(waits) if waits else None
