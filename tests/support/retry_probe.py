"""Drive the SDK's retries through the app's client and say what the user was shown.

Used in-process by tests/services/test_retry_display.py and, with an older openai first on
PYTHONPATH, as a subprocess by tests/services/test_retry_display_versions.py::

    python -m tests.support.retry_probe      # prints one JSON object

Scenarios run against the scripted server through `make_client` and `stream_chat`, the path every
chat takes in the app. Each reports the retry lines shown (as the chat card words them), how
long after each line the run ended, and the answer or error the run ended with.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass, field

import openai

from tests.support.scripted_server import Drop, Fault, Response, ScriptedServer, Stream
from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.run_text import retry_line
from workbench.core.runs import RetryScheduled, RunEvent, RunFailed, TextDelta
from workbench.services.adapters.chat_completion import stream_chat
from workbench.services.clients import make_client

API_KEY = "sk-retry-probe-0123456789"
ANSWER = "made it"
ASK = [{"role": "user", "content": "Say hello"}]


@dataclass(frozen=True)
class Scenario:
    script: tuple[Response, ...]
    max_retries: int = 2
    timeout: float = 5.0


@dataclass
class Outcome:
    retry_lines: list[str] = field(default_factory=list)
    seconds_left_after_line: list[float] = field(default_factory=list)  # line shown -> run ended
    answer: str = ""
    error: str = ""
    attempts_sent: int = 0


SCENARIOS: dict[str, Scenario] = {
    # Without Retry-After the SDK backs off on its own; with it, it waits what the server asked.
    "429 then 503 with Retry-After": Scenario(
        (Fault(429), Fault(503, retry_after=0.6), Stream(text=ANSWER))
    ),
    "dropped connection": Scenario((Drop(), Stream(text=ANSWER))),
    "out of retries": Scenario((Fault(500), Fault(500)), max_retries=1),
}

# What the chat card says while the SDK waits. Backoff waits are the SDK's policy without its
# jitter (it waits up to 25% less); a Retry-After is waited as given.
EXPECTED_LINES: dict[str, list[str]] = {
    "429 then 503 with Retry-After": [
        "Status 429: the SDK retries in 0.5 s (attempt 1 of 2)…",
        "Status 503: the SDK retries in 0.6 s (attempt 2 of 2)…",
    ],
    "dropped connection": ["Connection error: the SDK retries in 0.5 s (attempt 1 of 2)…"],
    # The last attempt's failure is not announced as a retry: the run fails instead.
    "out of retries": ["Status 500: the SDK retries in 0.5 s (attempt 1 of 1)…"],
}


def observe(server: ScriptedServer, scenario: Scenario, base_url: str | None = None) -> Outcome:
    """Run `scenario` on `server`, or on `base_url` when the environment's proxy leads there."""
    server.script("chat", *scenario.script)
    already_sent = len(server.requests)
    url = base_url or server.base_url
    endpoint = Endpoint("scripted", "Scripted", EndpointKind.CUSTOM, url)
    outcome = Outcome()
    shown_at: list[float] = []

    def emit(event: RunEvent) -> None:
        if isinstance(event, RetryScheduled):
            outcome.retry_lines.append(retry_line(event))
            shown_at.append(time.monotonic())
        elif isinstance(event, TextDelta):
            outcome.answer += event.text
        elif isinstance(event, RunFailed):
            outcome.error = event.error.title

    async def run() -> None:
        client = make_client(
            endpoint, API_KEY, max_retries=scenario.max_retries, timeout=scenario.timeout
        )
        try:
            await stream_chat(client, {"model": "gpt-4o", "messages": ASK, "stream": True}, emit)
        finally:
            await client.close()

    asyncio.run(run())
    ended = time.monotonic()
    outcome.seconds_left_after_line = [round(ended - t, 2) for t in shown_at]
    outcome.attempts_sent = len(server.requests) - already_sent
    return outcome


def observe_all() -> dict[str, Outcome]:
    # The SDK's logger stays at WARNING: seeing retries must not depend on its log lines.
    logging.getLogger("openai").setLevel(logging.WARNING)
    with ScriptedServer(api_key=API_KEY) as server:
        return {name: observe(server, scenario) for name, scenario in SCENARIOS.items()}


def _http_library() -> str:
    bases = openai.DefaultAsyncHttpxClient.__mro__
    return next(c.__module__.partition(".")[0] for c in bases if c.__name__ == "AsyncClient")


def main() -> None:
    outcomes = observe_all()
    print(
        json.dumps(
            {
                "openai_version": openai.__version__,
                "openai_file": openai.__file__,
                "http_library": _http_library(),
                "scenarios": {name: asdict(o) for name, o in outcomes.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
