"""What every adapter does around its SDK call: show the SDK's retries, and turn the SDK's
typed errors into RunFailed events in plain words. Cancellation goes through untouched."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from workbench.core.rate_limits import retry_after_seconds
from workbench.core.run_errors import (
    describe_connection_error,
    describe_http_error,
    describe_malformed_stream,
)
from workbench.core.runs import RunError, RunFailed
from workbench.services.adapters.base import Emit

if TYPE_CHECKING:
    import openai


@contextmanager
def reported_failures(
    client: openai.AsyncOpenAI, emit: Emit, midstream: Callable[[], bool] = lambda: False
) -> Iterator[None]:
    """Around one SDK call: its retries and its failures go to `emit`; `midstream` says whether
    part of the answer had arrived (a cut connection is then a broken stream, not a refusal)."""
    import openai  # loaded by then: `client` is one of its objects

    from workbench.services.attempts import HTTP_TRANSPORT_ERROR, report_retries, stop_reporting

    token = report_retries(emit, client.max_retries)
    try:
        yield
    except openai.APIStatusError as exc:
        emit(RunFailed(status_error(exc)))
    except openai.APITimeoutError as exc:
        emit(
            RunFailed(
                describe_connection_error(
                    str(exc), timeout=True, midstream=midstream(), timeout_s=_timeout_s(client)
                )
            )
        )
    except openai.APIConnectionError as exc:
        emit(RunFailed(describe_connection_error(_cause(exc), midstream=midstream())))
    except openai.APIError as exc:  # an error event inside the stream
        emit(RunFailed(describe_http_error(500, exc.message, getattr(exc, "code", None))))
    except json.JSONDecodeError as exc:  # the SDK lets a malformed SSE event through as this
        emit(RunFailed(describe_malformed_stream(str(exc))))
    except HTTP_TRANSPORT_ERROR as exc:  # a stream cut mid-way, on openai 1.x and 2.x
        emit(RunFailed(describe_connection_error(_cause(exc), midstream=midstream())))
    finally:
        stop_reporting(token)


def status_error(exc: openai.APIStatusError) -> RunError:
    headers = dict(exc.response.headers.items())
    return describe_http_error(
        exc.status_code,
        _server_message(exc),
        exc.code,
        retry_after_seconds(headers, time.time()),
        exc.request_id,
    )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def _timeout_s(client: openai.AsyncOpenAI) -> float | None:
    """The client's read timeout in seconds: a number, or an HTTP-library Timeout object."""
    timeout = client.timeout
    if isinstance(timeout, int | float):
        return float(timeout)
    read = getattr(timeout, "read", None)
    return float(read) if isinstance(read, int | float) else None


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{exc} ({type(cause).__name__}: {cause})" if cause else str(exc)
