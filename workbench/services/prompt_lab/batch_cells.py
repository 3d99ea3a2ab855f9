"""A Batch API result as a grid cell and as a run: its answer, tokens, the batch's half price,
its checks, or the API's error in the words the chat uses."""

from __future__ import annotations

from workbench.core.endpoints import Endpoint
from workbench.core.pricing import (
    PRICED,
    UNKNOWN_PRICE,
    Price,
    has_processing_price,
    price_usage,
)
from workbench.core.prompt_lab.assertions import check
from workbench.core.prompt_lab.model import (
    AssertionKind,
    Cell,
    CellKey,
    CellStatus,
    CheckResult,
    ModelColumn,
    PromptVersion,
)
from workbench.core.run_errors import describe_http_error
from workbench.core.runs import RunError, RunKind, RunRecord, RunStatus, RunTimings, Usage
from workbench.services.prompt_lab.batch_lines import LineResult

# OpenAI bills Batch API requests at half the standard rate. genai-prices holds its batch rates
# as a "processing: batch" price variant (its own cached-input rate included, which is not always
# half); a model it has no batch rates for is charged half its standard price.
BATCH = "batch"
BATCH_SHARE = 0.5

NOT_RUN = {
    "expired": "Not run: the batch expired (24 h window) before this request ran.",
    "cancelled": "Not run: the batch was cancelled before this request ran.",
    "failed": "Not run: the batch failed validation",
}
# A batch has no per-request latency, and a judge needs a request of its own: a matrix with
# these checks is refused a batch (BatchRunner.refusal), so none is skipped unsaid.
UNBATCHED_CHECKS = frozenset({AssertionKind.JUDGE, AssertionKind.MAX_LATENCY_MS})


def batch_price(model: str, endpoint: Endpoint, usage: Usage) -> Price:
    hint = endpoint.base_url or None
    if has_processing_price(model, endpoint.kind, BATCH, hint):
        return price_usage(model, endpoint.kind, usage, hint, processing=BATCH)
    full = price_usage(model, endpoint.kind, usage, hint)
    if full.status != PRICED or full.usd is None:
        return full
    return Price(full.usd * BATCH_SHARE, full.status)


def line_error(result: LineResult) -> RunError:
    """A failed line's error, as the chat would word the same HTTP answer."""
    return describe_http_error(
        result.status_code or 0, result.error, result.error_code, request_id=result.request_id
    )


def result_price(result: LineResult, column: ModelColumn, endpoint: Endpoint) -> Price:
    if not result.ok or result.usage is None:
        return UNKNOWN_PRICE
    return batch_price(result.model or column.model, endpoint, result.usage)


def answered_cell(
    result: LineResult, price: Price, version: PromptVersion | None, run_id: int | None = None
) -> Cell:
    """A line that came back: done with its answer, failed with the API's error, or (expired
    or cancelled before it ran) cancelled, so the next run sends it again."""
    if result.not_run:
        return Cell(result.key, CellStatus.CANCELLED, error=result.error)
    if not result.ok:
        error = line_error(result)
        words = error.title if error.detail in error.title else f"{error.title} {error.detail}"
        return Cell(result.key, CellStatus.FAILED, error=words, run_id=run_id)
    usage = result.usage
    return Cell(
        result.key,
        CellStatus.DONE,
        output=result.output,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        cost_usd=price.usd,
        price_status=str(price.status),
        run_id=run_id,
        checks=_checks(version, result.output, price.usd),
        batch_discount=True,
    )


def result_run(
    result: LineResult, run_id: int, column: ModelColumn, endpoint: Endpoint, price: Price
) -> RunRecord:
    """The run kept for a line that ran, so the cost meter counts it and the inspector shows it."""
    return RunRecord(
        run_id=run_id,
        session_id=None,
        message_id=None,
        endpoint=endpoint.name,
        model=result.model or column.model,
        status=RunStatus.COMPLETE if result.ok else RunStatus.ERROR,
        timings=RunTimings(),
        usage=result.usage or Usage(),
        finish_reason=result.finish_reason,
        request_id=result.request_id,
        error=None if result.ok else line_error(result),
        cost_usd=price.usd,
        price_status=price.status,
        kind=RunKind.CHAT_COMPLETION,
        endpoint_id=endpoint.id,
        endpoint_kind=str(endpoint.kind),
        base_url=endpoint.base_url,
    )


def unanswered_cell(key: CellKey, batch_status: str, detail: str = "") -> Cell:
    """A cell the batch's files say nothing about: it never ran."""
    reason = NOT_RUN.get(batch_status, f"Not run: the batch ended as {batch_status}.")
    if detail:
        reason = f"{reason.rstrip('.')}: {detail}"
    return Cell(key, CellStatus.CANCELLED, error=reason)


def rejected_cell(key: CellKey, line: int, message: str) -> Cell:
    """A line validation refused: the request itself is wrong, so it fails rather than rerun."""
    return Cell(key, CellStatus.FAILED, error=f"Refused by the Batch API (line {line}): {message}")


def _checks(
    version: PromptVersion | None, output: str, cost_usd: float | None
) -> tuple[CheckResult, ...]:
    if version is None:
        return ()
    return tuple(
        check(assertion, index, output, None, cost_usd)
        for index, assertion in enumerate(version.assertions)
        if assertion.kind not in UNBATCHED_CHECKS
    )
