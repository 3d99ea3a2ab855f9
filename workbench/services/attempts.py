"""See the SDK's retries while they wait, through the HTTP library's transport API.

The SDK retries on its own (the client's `max_retries`); the app only wants to say so during the
pause instead of going silent. Each attempt the SDK sends passes through `AttemptObserver`, a
wrapping transport (httpx's documented extension point), which sees the attempt's number (the
SDK's `x-stainless-retry-count` request header) and its outcome. When the outcome is one the SDK
retries and attempts remain, the run that sent it (found through a context variable set around
the SDK call) is told `RetryScheduled`. Nothing here changes what the SDK does.
"""

from __future__ import annotations

import contextvars
import email.utils
import importlib
import logging
import math
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

import anyio
import openai
from openai import _constants as sdk_constants

from workbench.core.runs import RetryScheduled

log = logging.getLogger(__name__)
ReportRetry = Callable[[RetryScheduled], None]
RETRY_COUNT_HEADER = "x-stainless-retry-count"  # retries taken before this attempt: 0, 1, ...


def _sdk_http_library() -> ModuleType:
    # openai 1.x and 2.x send through httpx, 3.x through its successor httpx2; both keep httpx's
    # transport API, and the SDK's DefaultAsyncHttpxClient is built on whichever it uses.
    for cls in openai.DefaultAsyncHttpxClient.__mro__:
        root = cls.__module__.partition(".")[0]
        if cls.__name__ == "AsyncClient" and root in ("httpx", "httpx2"):
            return importlib.import_module(root)
    raise ImportError("openai.DefaultAsyncHttpxClient is built on neither httpx nor httpx2")


_http: Any = _sdk_http_library()
# What the HTTP library raises for a dropped or refused connection. openai 1.x and 2.x let it out
# of a stream cut mid-way instead of wrapping it in APIConnectionError.
HTTP_TRANSPORT_ERROR: type[Exception] = _http.TransportError


# --- which run is asking -------------------------------------------------------------------------
@dataclass(slots=True)
class _Watch:
    report: ReportRetry
    max_retries: int
    attempts_seen: int = 0  # stands in for the retry-count header if a caller removed it


_watch: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar(
    "workbench_retry_watch", default=None
)
WatchToken = contextvars.Token[_Watch | None]


def report_retries(report: ReportRetry, max_retries: int) -> WatchToken:
    """Until `stop_reporting`, retries of SDK calls made from this context go to `report`.
    `max_retries` is the client's own (`client.max_retries`): the SDK's budget, not ours."""
    return _watch.set(_Watch(report, max_retries))


def stop_reporting(token: WatchToken) -> None:
    _watch.reset(token)


# --- the SDK's documented retry rules, for display ---------------------------------------------
def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The server's requested wait, read as the SDK reads it: retry-after-ms first, then
    Retry-After as seconds, then as an HTTP date."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) / divisor
            except ValueError:
                continue
    date = headers.get("retry-after")
    try:
        parsed = email.utils.parsedate_tz(date) if date else None
        return float(email.utils.mktime_tz(parsed) - time.time()) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


# Newer SDKs (2.x late, 3.x) honour Retry-After up to this and refuse to retry past it; older
# ones honour up to 60 s and otherwise fall back to their backoff.
_RETRY_AFTER_LIMIT: float | None = getattr(sdk_constants, "MAX_RETRY_AFTER_DELAY", None)
_OLD_RETRY_AFTER_LIMIT = 60.0


def status_is_retried(status: int, headers: Mapping[str, str]) -> bool:
    """The SDK's rules: x-should-retry decides if present; else 408, 409, 429 and 5xx."""
    wait = retry_after_s(headers)
    if _RETRY_AFTER_LIMIT is not None and wait is not None and _RETRY_AFTER_LIMIT < wait < math.inf:
        return False
    should_retry = headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        return should_retry == "true"
    return status in (408, 409, 429) or status >= 500


def sdk_wait_s(headers: Mapping[str, str], retries_taken: int) -> float:
    """The pause the SDK's policy gives before the next attempt: the server's Retry-After when
    it is a reasonable figure, else its exponential backoff from its public constants. Shown to
    the user only; the SDK also takes up to 25% off the backoff at random (jitter), which this
    leaves out."""
    wait = retry_after_s(headers)
    limit = _RETRY_AFTER_LIMIT if _RETRY_AFTER_LIMIT is not None else _OLD_RETRY_AFTER_LIMIT
    if wait is not None and math.isfinite(wait) and 0 < wait <= limit:
        return wait
    backoff = sdk_constants.INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000)
    return min(backoff, sdk_constants.MAX_RETRY_DELAY)


# Failures to get a response that the SDK retries (3.x lists these; 1.x/2.x retry any exception).
_TIMEOUTS: tuple[type[BaseException], ...] = (_http.TimeoutException,)
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    _http.RequestError,
    ssl.SSLError,
    anyio.EndOfStream,
)


def _report(watch: _Watch, retries_taken: int, reason: str, headers: Mapping[str, str]) -> None:
    if retries_taken >= watch.max_retries:
        return  # that was the last attempt: the SDK raises instead of retrying
    try:
        wait = sdk_wait_s(headers, retries_taken)
        watch.report(RetryScheduled(retries_taken + 1, watch.max_retries, wait, reason))
    except Exception:
        # Display only: a failure here must not become the request's failure (the SDK would
        # even retry it as a connection error), so it goes to the log instead.
        log.exception("Could not report the SDK's retry %d", retries_taken + 1)


# --- the transport ------------------------------------------------------------------------------
class AttemptObserver(_http.AsyncBaseTransport):
    """Passes every attempt to `inner` unchanged; tells the watching run when one failed in a
    way the SDK will retry."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def handle_async_request(self, request: Any) -> Any:
        watch = _watch.get()
        if watch is None:
            return await self._inner.handle_async_request(request)
        watch.attempts_seen += 1
        header = request.headers.get(RETRY_COUNT_HEADER, "")
        retries_taken = int(header) if header.isdigit() else watch.attempts_seen - 1
        try:
            response = await self._inner.handle_async_request(request)
        except _TIMEOUTS:
            _report(watch, retries_taken, "timeout", {})
            raise
        except _CONNECTION_ERRORS:
            _report(watch, retries_taken, "connection error", {})
            raise
        status = response.status_code
        if status >= 400 and status_is_retried(status, response.headers):
            _report(watch, retries_taken, f"status {status}", response.headers)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AttemptObserver:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc_value, traceback)


def observed_http_client(base_url: str) -> openai.DefaultAsyncHttpxClient:
    """The SDK's own default HTTP client (its timeouts, redirects), sending through
    AttemptObserver. A client given its own transport skips the environment's proxies and
    its connection limits, so the inner transport is given both: the SDK's limits, and the
    proxy the environment names for this base URL."""
    inner = _http.AsyncHTTPTransport(
        limits=sdk_constants.DEFAULT_CONNECTION_LIMITS, proxy=_environment_proxy(base_url)
    )
    return openai.DefaultAsyncHttpxClient(transport=AttemptObserver(inner))


def _environment_proxy(url: str) -> str | None:
    # The same sources httpx reads (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY); one client talks to
    # one server, so one proxy decision serves all its requests.
    try:
        parsed = _http.URL(url)
    except _http.InvalidURL:
        return None  # the SDK says what is wrong with the URL when it is given it
    proxies = urllib.request.getproxies()
    if not parsed.host or _bypassed(parsed.host, proxies.get("no", "")):
        return None
    return proxies.get(parsed.scheme) or proxies.get("all")


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY as httpx reads it: "*", or hosts and domains (with their subdomains)."""
    for entry in no_proxy.lower().split(","):
        domain = entry.strip().rpartition("://")[2].lstrip(".")
        if domain == "*" or (domain and (host == domain or host.endswith("." + domain))):
            return True
    return False
