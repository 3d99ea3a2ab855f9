"""Compare columns asking for JSON schema output say whether each answer matches the schema."""

from __future__ import annotations

import json

from tests.support.scripted_server import Stream
from tests.ui.test_compare_panel import _run
from workbench.core.runs import RunParams
from workbench.ui.widgets import schema_check_view

SCHEMA_DOC = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
    "additionalProperties": False,
}
SCHEMA = json.dumps(SCHEMA_DOC)
VALID = '{"city": "Lyon", "population": 522000}'
INVALID = '{"city": "Lyon", "population": "about half a million"}'
PROBLEM = "$.population: 'about half a million' is not of type 'integer'"


def _schema_column(column, endpoint_id: str) -> None:
    column.endpoint.setCurrentIndex(column.endpoint.findData(endpoint_id))
    column.set_parameters(
        RunParams(model="gpt-4o", response_format="json_schema", json_schema=SCHEMA), ""
    )


def test_each_column_says_whether_its_answer_matches(
    compare, endpoints, server, second_server, qtbot
):
    first, second = compare.columns
    for column, endpoint_id in zip((first, second), endpoints, strict=True):
        _schema_column(column, endpoint_id)
        assert column.schema_check.isHidden()
    server.script("chat", Stream(text=VALID))
    second_server.script("chat", Stream(text=INVALID))
    _run(compare, qtbot, "Lyon as JSON, please.")

    qtbot.waitUntil(lambda: first.schema_check.isVisible() and second.schema_check.isVisible())
    assert first.schema_check.text() == "Matches the schema"
    assert second.schema_check.problems.isVisible()
    assert second.schema_check.text().splitlines() == ["1 problem with the schema:", PROBLEM]
    for running in (server, second_server):
        (body,) = [r.body for r in running.requests if r.path.endswith("/chat/completions")]
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"] == SCHEMA_DOC


def test_stepping_through_repeats_shows_each_answers_own_check(
    compare, endpoints, server, second_server, qtbot, monkeypatch
):
    monkeypatch.setattr(schema_check_view, "INLINE_LIMIT", 10)  # a worker checks each answer
    first, second = compare.columns
    for column, endpoint_id in zip((first, second), endpoints, strict=True):
        _schema_column(column, endpoint_id)
    server.script("chat", Stream(text=VALID), Stream(text=INVALID))
    second_server.script("chat", Stream(text=INVALID), Stream(text=VALID))
    compare.repeats.setValue(2)
    _run(compare, qtbot, "Lyon as JSON, please.")

    expected = {VALID: "Matches the schema", INVALID: f"1 problem with the schema:\n{PROBLEM}"}
    for column in (first, second):
        qtbot.waitUntil(lambda c=column: all(a.check for a in c.answers), timeout=5000)
        seen = {}
        for repeat in (0, 1):
            column.show_repeat(repeat, by_user=True)
            assert column.position.text() == f"{repeat + 1}/2"
            assert column.schema_check.isVisible()
            seen[column.shown_answer().content] = column.schema_check.text()
        assert seen == expected
    first.set_parameters(RunParams(model="gpt-4o"), "")  # later edits don't change what was sent
    first.show_repeat(0, by_user=True)
    assert first.schema_check.isVisible()
