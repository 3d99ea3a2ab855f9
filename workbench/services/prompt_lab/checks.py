"""A finished cell's checks: the plain assertions at once, each judge through a run of its own."""

from __future__ import annotations

from workbench.core.prompt_lab.assertions import check
from workbench.core.prompt_lab.judge import read_verdict
from workbench.core.prompt_lab.model import AssertionKind, Cell, CheckResult, ModelColumn
from workbench.core.prompt_lab.model import PromptVersion as Version
from workbench.core.runs import RunStatus
from workbench.services.prompt_lab.requests import judge_request
from workbench.services.run_pipeline import NoMessageSink, RunOrigin
from workbench.services.run_service import RunService


async def cell_checks(
    runs: RunService, version: Version, column: ModelColumn, question: str, cell: Cell
) -> tuple[CheckResult, ...]:
    """Every assertion of `version` on a done cell, in the version's order."""
    results = []
    for index, assertion in enumerate(version.assertions):
        if assertion.kind is AssertionKind.JUDGE:
            results.append(
                await judge(
                    runs,
                    index,
                    assertion.value,
                    assertion.rubric_model,
                    column,
                    question,
                    cell.output,
                )
            )
        else:
            results.append(check(assertion, index, cell.output, cell.latency_ms, cell.cost_usd))
    return tuple(results)


async def judge(
    runs: RunService,
    index: int,
    rubric: str,
    rubric_model: str,
    column: ModelColumn,
    question: str,
    answer: str,
) -> CheckResult:
    """The judge's verdict, with its answer and run kept; a judge that fails fails the check."""
    if not rubric.strip():
        return CheckResult(index, False, "Give the judge a rubric: what makes an answer pass.")
    request = runs.prepared(judge_request(column, rubric, rubric_model, question, answer))
    run = runs.start(request, RunOrigin(None, None), sink=NoMessageSink())
    record = await runs.execute(run)
    if record.status != RunStatus.COMPLETE or record.error is not None:
        why = record.error.title if record.error is not None else str(record.status)
        return CheckResult(
            index, False, f"the judge's request failed: {why}", run.text, record.run_id
        )
    verdict = read_verdict(index, run.text)
    return CheckResult(verdict.index, verdict.passed, verdict.reason, run.text, record.run_id)
