"""Turn what went wrong with a request into words a person can act on."""

from __future__ import annotations

from workbench.core.runs import ErrorKind, RunError

__all__ = ["ErrorKind", "RunError"]


_CONTEXT_HINTS = ("context_length_exceeded", "context length", "maximum context", "too long")


def describe_http_error(
    status: int,
    message: str,
    code: str | None = None,
    retry_after_s: float | None = None,
    request_id: str | None = None,
) -> RunError:
    text = message or ""
    lowered = f"{code or ''} {text}".lower()

    def err(kind: ErrorKind, title: str, retryable: bool = True) -> RunError:
        return RunError(
            kind=kind,
            title=title,
            detail=text,
            status=status,
            retry_after_s=retry_after_s,
            request_id=request_id,
            retryable=retryable,
        )

    # A refused key, a forbidden model or a missing one fails the same way when sent again:
    # the fix is in the settings, so no Retry is offered.
    if status == 401:
        return err(
            ErrorKind.BAD_KEY, "The API key was refused. Check it in Settings ▸ Endpoints.", False
        )
    if status == 403:
        return err(
            ErrorKind.FORBIDDEN, "This key is not allowed to use this model or endpoint.", False
        )
    if status == 404:
        return err(
            ErrorKind.MODEL_NOT_FOUND,
            "Model not found on this endpoint. Pick another model in the parameters.",
            False,
        )
    if status == 429:
        if "insufficient_quota" in lowered or "quota" in lowered:
            return err(ErrorKind.QUOTA, "The account is out of credit (quota exceeded).", False)
        when = f" Try again in {_seconds(retry_after_s)}." if retry_after_s else ""
        return err(ErrorKind.RATE_LIMIT, f"Rate limit reached.{when}")
    if status in (400, 413, 422) and any(h in lowered for h in _CONTEXT_HINTS):
        return err(
            ErrorKind.CONTEXT_TOO_LONG,
            "The conversation is too long for this model's context window. "
            "Start a new session, delete old messages, or pick a model with a larger window.",
            False,
        )
    if status == 400 and ("content_policy" in lowered or "safety system" in lowered):
        return err(
            ErrorKind.REFUSED,
            "Refused by the content policy: the prompt (or image) was not accepted. "
            "Reword it and try again.",
            False,
        )
    if 400 <= status < 500:
        return err(ErrorKind.BAD_REQUEST, f"The server rejected the request ({status}).", False)
    return err(ErrorKind.SERVER, f"The server had a problem ({status}). It may be temporary.")


def describe_connection_error(
    detail: str, *, timeout: bool = False, midstream: bool, timeout_s: float | None = None
) -> RunError:
    if timeout:
        within = f" within {timeout_s:g} s" if timeout_s else ""
        return RunError(
            ErrorKind.TIMEOUT,
            f"Timed out: the server sent nothing{within}. A slow server may need a longer "
            "timeout (Settings ▸ Endpoints).",
            detail,
        )
    if midstream:
        return RunError(
            ErrorKind.BROKEN_STREAM,
            "The connection dropped in the middle of the answer. What arrived is kept.",
            detail,
        )
    return RunError(
        ErrorKind.NETWORK,
        "Could not reach the endpoint. Is the network up and the server running?",
        detail,
    )


def describe_malformed_stream(detail: str) -> RunError:
    return RunError(
        ErrorKind.BROKEN_STREAM,
        "The server sent a malformed event; the answer stopped there. What arrived is kept.",
        detail,
    )


def describe_unfinished_stream() -> RunError:
    """The stream ended cleanly but no choice said why it stopped: llama.cpp's server does this
    when it gives up (a prompt past its window). Not a complete answer, whatever arrived."""
    return RunError(
        ErrorKind.BROKEN_STREAM,
        "The server ended the answer without saying it was done. What arrived is kept.",
        "The stream ended without a finish reason; the prompt may be too long for the "
        "model's context window, or the server stopped generating.",
    )


def describe_local_failure(detail: str) -> RunError:
    return RunError(ErrorKind.LOCAL_MODEL, "The built-in model could not start.", detail)


def describe_store_failure(problem: str, advice: str) -> RunError:
    """The answer could not be written to the app's database: the run ends rather than stream
    on into a log that keeps nothing."""
    return RunError(ErrorKind.STORAGE, f"The answer could not be saved: {problem}", advice)


def describe_unexpected(exc: BaseException) -> RunError:
    return RunError(
        ErrorKind.UNEXPECTED,
        "Something went wrong inside Workbench; the details are in the log.",
        f"{type(exc).__name__}: {exc}",
    )


def _seconds(value: float) -> str:
    if value < 90:
        return f"{value:.0f} s"
    return f"{value / 60:.0f} min"
