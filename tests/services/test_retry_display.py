"""While the SDK waits to retry, the chat says so: which failure, how long, which attempt.

Runs against the scripted server through the app's own client (`make_client`) and `stream_chat`,
on the openai installed in .venv; test_retry_display_versions.py runs the same scenarios on the
lowest openai the project allows.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Iterator

import pytest

from tests.support.retry_probe import (
    ANSWER,
    API_KEY,
    ASK,
    EXPECTED_LINES,
    SCENARIOS,
    Outcome,
    Scenario,
    observe,
)
from tests.support.scripted_server import Fault, ScriptedServer, Stream
from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.core.runs import RetryScheduled, RunEvent, TextDelta
from workbench.services.adapters.chat_completion import stream_chat
from workbench.services.attempts import sdk_wait_s
from workbench.services.clients import make_client


@pytest.fixture
def probe_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(api_key=API_KEY) as running:
        yield running


@pytest.fixture(autouse=True)
def quiet_sdk_logger() -> Iterator[None]:
    # Seeing retries must not depend on the SDK's log lines: keep its logger at WARNING.
    logger = logging.getLogger("openai")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_retry_is_announced_while_the_sdk_waits(
    probe_server: ScriptedServer, name: str
) -> None:
    outcome = observe(probe_server, SCENARIOS[name])
    assert outcome.retry_lines == EXPECTED_LINES[name]
    # One more attempt than announced retries: the SDK did retry each one it was said to.
    assert outcome.attempts_sent == len(outcome.retry_lines) + 1


def test_the_line_shows_before_the_wait_not_after(probe_server: ScriptedServer) -> None:
    outcome = observe(probe_server, SCENARIOS["429 then 503 with Retry-After"])
    assert outcome.answer == ANSWER and not outcome.error
    # The 503 asked for 0.6 s: its line was up for that long before the answer came.
    assert outcome.seconds_left_after_line[-1] >= 0.55
    # The 429's backoff (0.375-0.5 s with the SDK's jitter) came on top of that.
    assert outcome.seconds_left_after_line[0] >= 0.55 + 0.35


def test_the_run_still_fails_plainly_when_retries_run_out(probe_server: ScriptedServer) -> None:
    outcome = observe(probe_server, SCENARIOS["out of retries"])
    assert "500" in outcome.error and not outcome.answer


def test_a_timeout_is_announced(probe_server: ScriptedServer) -> None:
    hang = Fault(500, hang=3.0)  # answers long after the client's 0.3 s timeout
    outcome = observe(probe_server, Scenario((hang, Stream(text=ANSWER)), timeout=0.3))
    assert outcome.retry_lines == ["Timed out: the SDK retries in 0.5 s (attempt 1 of 2)…"]
    assert outcome.answer == ANSWER


@pytest.mark.parametrize(
    "fault",
    [
        Fault(400),
        Fault(401),
        Fault(503, headers={"x-should-retry": "false"}),
    ],
    ids=["400", "401", "x-should-retry false"],
)
def test_failures_the_sdk_does_not_retry_announce_nothing(
    probe_server: ScriptedServer, fault: Fault
) -> None:
    outcome = observe(probe_server, Scenario((fault, Stream(text=ANSWER))))
    assert outcome.retry_lines == []
    assert outcome.attempts_sent == 1
    assert outcome.error


def test_the_server_can_ask_for_a_retry(probe_server: ScriptedServer) -> None:
    asked = Fault(400, headers={"x-should-retry": "true", "retry-after-ms": "200"})
    outcome = observe(probe_server, Scenario((asked, Stream(text=ANSWER))))
    assert outcome.retry_lines == ["Status 400: the SDK retries in 0.2 s (attempt 1 of 2)…"]
    assert outcome.answer == ANSWER


def test_a_retry_after_beyond_the_sdk_limit_is_announced_only_if_the_sdk_retries(
    probe_server: ScriptedServer,
) -> None:
    # openai 3.x (and late 2.x) give up on a Retry-After over 2 minutes; older ones back off.
    outcome = observe(probe_server, Scenario((Fault(429, retry_after=300), Stream(text=ANSWER))))
    assert outcome.attempts_sent == len(outcome.retry_lines) + 1


def test_without_retries_nothing_is_announced(probe_server: ScriptedServer) -> None:
    outcome: Outcome = observe(probe_server, Scenario((Fault(503, retry_after=0.1),), 0))
    assert outcome.retry_lines == [] and "503" in outcome.error


@pytest.mark.parametrize(
    ("headers", "retries_taken", "shown"),
    [
        ({}, 0, 0.5),  # the SDK's backoff: 0.5 s, doubling, at most 8 s
        ({}, 1, 1.0),
        ({}, 6, 8.0),
        ({"retry-after": "2"}, 0, 2.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0, 0.25),  # milliseconds win
        ({"retry-after": "0"}, 1, 1.0),  # not a usable wait: back to the backoff
        ({"retry-after": "soon"}, 0, 0.5),
    ],
)
def test_the_wait_shown_follows_the_sdk_policy(
    headers: dict[str, str], retries_taken: int, shown: float
) -> None:
    assert sdk_wait_s(headers, retries_taken) == pytest.approx(shown)


def test_a_retry_after_date_is_read_as_seconds_from_now() -> None:
    in_30_s = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert sdk_wait_s({"retry-after": in_30_s}, 0) == pytest.approx(30, abs=1.5)


def test_an_endpoint_behind_the_environments_proxy_is_reached_through_it(
    probe_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's client brings its own transport, so it must still honour HTTP(S)_PROXY itself.
    for name in ("http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{probe_server.port}")
    far_away = "http://api.workbench-test.invalid/v1"  # reachable only through the proxy
    scenario = Scenario((Fault(503, retry_after=0.1), Stream(text=ANSWER)))
    outcome = observe(probe_server, scenario, base_url=far_away)
    assert outcome.answer == ANSWER
    assert outcome.retry_lines == ["Status 503: the SDK retries in 0.1 s (attempt 1 of 2)…"]
    assert probe_server.requests[-1].headers["host"] == "api.workbench-test.invalid"


def test_no_proxy_keeps_an_endpoint_direct(
    probe_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "example.org,127.0.0.1")
    outcome = observe(probe_server, Scenario((Stream(text=ANSWER),), max_retries=0))
    assert outcome.answer == ANSWER


def test_a_failing_display_does_not_fail_the_request(
    probe_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    probe_server.script("chat", Fault(503, retry_after=0.1), Stream(text=ANSWER))
    endpoint = Endpoint("scripted", "Scripted", EndpointKind.CUSTOM, probe_server.base_url)
    answer: list[str] = []

    def emit(event: RunEvent) -> None:
        if isinstance(event, RetryScheduled):
            raise RuntimeError("the card is gone")
        if isinstance(event, TextDelta):
            answer.append(event.text)

    async def run() -> None:
        client = make_client(endpoint, API_KEY, timeout=5.0)
        try:
            await stream_chat(client, {"model": "gpt-4o", "messages": ASK, "stream": True}, emit)
        finally:
            await client.close()

    asyncio.run(run())
    assert "".join(answer) == ANSWER
    assert "the card is gone" in caplog.text
