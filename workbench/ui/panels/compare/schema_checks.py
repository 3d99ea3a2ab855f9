"""A column's finished JSON schema answers checked against the schema each run was sent with
(from the stored request, not the column's current parameters), as the chat checks its own."""

from __future__ import annotations

from workbench.core.answer_check import schema_sent
from workbench.core.sessions import MessageStatus
from workbench.services.store.runs import RunQueries
from workbench.ui.panels.compare.column import CompareColumn
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.widgets.schema_check_view import check_soon


def check_column_answer(
    column: CompareColumn, repeat: int, runs: RunQueries, tasks: BackgroundTasks
) -> None:
    """Checks the column's `repeat`th answer once it is complete; nothing when its run asked
    for no JSON schema."""
    answer = column.answers[repeat] if repeat < len(column.answers) else None
    if answer is None or answer.record is None or answer.status != MessageStatus.COMPLETE:
        return
    schema = schema_sent({"response_format": runs.response_format(answer.record.run_id)})
    if schema is None:
        return
    later = lambda check: column.set_check(answer, check)  # noqa: E731
    column.set_check(answer, check_soon(answer.content, schema, tasks, column, later))
