"""What a matrix will send and cost, before it is sent: for the budget question.

Token counting is CPU work (tiktoken over every rendered cell): call `estimate_matrix` from a
worker thread, or `estimate_matrix_async`, never on the UI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from workbench.core.budget import Estimate, combined
from workbench.core.pricing import Price
from workbench.core.prompt_lab.judge import judge_turns
from workbench.core.prompt_lab.model import AssertionKind, Dataset, Matrix, PromptVersion
from workbench.core.prompt_lab.plan import request_count
from workbench.core.prompt_lab.templates import TemplateProblem
from workbench.core.runs import RunKind, RunRequest
from workbench.services.prompt_lab.batch_cells import BATCH_SHARE
from workbench.services.prompt_lab.requests import cell_turns, column_params, judge_request
from workbench.services.run_service import RunService
from workbench.services.tokens import TokenCounter


@dataclass(frozen=True, slots=True)
class MatrixEstimate:
    requests: int  # cells plus judge calls
    prompt_tokens: int  # over every request, as tiktoken counts them
    estimate: Estimate  # feed to core.budget.judge for the budget question

    def describe(self) -> str:
        return (
            f"{self.requests:,} requests, {self.prompt_tokens:,} prompt tokens, "
            f"{self.estimate.describe()}"
        )


def estimate_matrix(
    runs: RunService,
    counter: TokenCounter,
    matrix: Matrix,
    versions: Sequence[PromptVersion],
    dataset: Dataset,
) -> MatrixEstimate:
    """Every cell priced as it will run; judges priced with the answer at its upper bound."""
    by_id = {v.id: v for v in versions}
    repeats = max(1, matrix.repeats)
    estimates: list[Estimate] = []
    tokens = 0
    priced: dict[tuple[str, str, int | None, int], Estimate] = {}

    def estimate(request: RunRequest, count: int) -> Estimate:
        # genai-prices takes ~0.4 ms a call; a matrix has few distinct (model, size) pairs.
        key = (request.endpoint_id, request.model, request.params.max_tokens, count)
        if key not in priced:
            priced[key] = runs.estimate(request, count)
        return priced[key]

    for version_id in matrix.version_ids:
        version = by_id.get(version_id)
        if version is None:
            continue
        judges = [a for a in version.assertions if a.kind is AssertionKind.JUDGE]
        for row in range(len(dataset.rows)):
            try:
                turns = cell_turns(version, dataset, row)
            except TemplateProblem:
                continue  # such a cell fails before sending: it costs nothing
            for column in matrix.columns:
                params = column_params(column)
                request = RunRequest(RunKind.CHAT_COMPLETION, column.endpoint_id, params, turns)
                count = counter.count_messages(params.model, [(t.role, t.content) for t in turns])
                estimates.append(estimate(request, count))
                tokens += count * repeats
                answer = "x " * (params.max_tokens or 0)  # the answer at its cap, roughly
                for a in judges:
                    judged = judge_request(column, a.value, a.rubric_model, turns[-1].content, "")
                    jturns = judge_turns(a.value, turns[-1].content, answer)
                    jcount = counter.count_messages(
                        judged.model, [(t.role, t.content) for t in jturns]
                    )
                    estimates.append(estimate(judged, jcount))
                    tokens += jcount * repeats
    total = combined(estimates, repeats)
    if matrix.via_batch and total.price.usd is not None:  # the Batch API bills half price
        total = replace(total, price=Price(total.price.usd * BATCH_SHARE, total.price.status))
    count = request_count(matrix, len(dataset.rows), versions)
    return MatrixEstimate(count, tokens, total)


async def estimate_matrix_async(
    runs: RunService,
    counter: TokenCounter,
    matrix: Matrix,
    versions: Sequence[PromptVersion],
    dataset: Dataset,
) -> MatrixEstimate:
    return await asyncio.to_thread(estimate_matrix, runs, counter, matrix, versions, dataset)
