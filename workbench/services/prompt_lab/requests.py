"""A cell as a request: its version's templates rendered with its dataset row, for its column.

The matrix runner and the Batch API path both build their requests here, so a cell asks the
same thing however it is sent.
"""

from __future__ import annotations

from dataclasses import replace

from workbench.core.prompt_lab.judge import judge_params, judge_turns
from workbench.core.prompt_lab.model import CellKey, Dataset, Matrix, ModelColumn, PromptVersion
from workbench.core.prompt_lab.templates import render_version
from workbench.core.runs import ChatTurn, RunKind, RunParams, RunRequest


def cell_turns(version: PromptVersion, dataset: Dataset, row: int) -> tuple[ChatTurn, ...]:
    """The conversation for one row; raises TemplateProblem naming a missing variable."""
    system, user = render_version(version, dataset.rows[row])
    turns = (ChatTurn.of("system", system),) if system.strip() else ()
    return (*turns, ChatTurn.of("user", user))


def column_params(column: ModelColumn) -> RunParams:
    """The column's parameters with its model filled in."""
    params = column.params
    return params if params.model == column.model else replace(params, model=column.model)


def cell_request(
    matrix: Matrix, version: PromptVersion, dataset: Dataset, key: CellKey
) -> RunRequest:
    column = matrix.columns[key.column]
    return RunRequest(
        RunKind.CHAT_COMPLETION,
        column.endpoint_id,
        column_params(column),
        cell_turns(version, dataset, key.row),
    )


def judge_request(
    column: ModelColumn, rubric: str, rubric_model: str, question: str, answer: str
) -> RunRequest:
    """The judge's request, on the cell's endpoint; its model is `rubric_model` or the cell's."""
    params = judge_params(rubric_model or column.model, column_params(column))
    return RunRequest(
        RunKind.CHAT_COMPLETION,
        column.endpoint_id,
        params,
        judge_turns(rubric, question, answer),
    )
