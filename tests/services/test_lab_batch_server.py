"""The scripted server's Files and Batches endpoints, driven through the openai SDK.

What the server answers is checked against the OpenAPI description, and the batch's life is
followed poll by poll as the app will see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.support.fixtures import SCRIPTED_KEY
from tests.support.openapi import assert_valid
from tests.support.scripted_server import BatchScript, Fault, ScriptedServer, form_fields


@pytest.fixture
def client(server: ScriptedServer) -> Iterator[openai.OpenAI]:
    options: dict[str, Any] = {"api_key": SCRIPTED_KEY, "max_retries": 0, "timeout": 5.0}
    with openai.OpenAI(base_url=server.base_url, **options) as sdk_client:
        yield sdk_client


def _line(custom_id: str, question: str, model: str = "gpt-4o-mini") -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": question}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _valid_batch(batch: openai.types.Batch) -> None:
    # The API sends null for times and files not reached yet (as the spec's own examples show),
    # where the schema only says "string"/"integer": those keys are left out of the check.
    assert_valid("Batch", {k: v for k, v in batch.model_dump().items() if v is not None})


def _start(client: openai.OpenAI, lines: list[dict[str, Any]]) -> openai.types.Batch:
    uploaded = client.files.create(file=("matrix.jsonl", _jsonl(lines)), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )


def _poll_to_end(client: openai.OpenAI, batch_id: str) -> list[openai.types.Batch]:
    seen = []
    for _ in range(20):
        batch = client.batches.retrieve(batch_id)
        _valid_batch(batch)
        seen.append(batch)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return seen
    raise AssertionError(f"batch never ended: {[b.status for b in seen]}")


def _file_lines(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_an_upload_is_kept_as_sent_and_recorded(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    data = _jsonl([_line("a", "One?"), _line("b", "Two?")])
    uploaded = client.files.create(file=("matrix.jsonl", data), purpose="batch")
    assert_valid("OpenAIFile", uploaded.model_dump(exclude_none=True))
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose) == (
        len(data),
        "matrix.jsonl",
        "batch",
    )
    assert client.files.retrieve(uploaded.id).id == uploaded.id
    assert client.files.content(uploaded.id).read() == data
    upload = next(r for r in server.requests if r.path == "/v1/files" and r.method == "POST")
    fields = form_fields(upload)
    assert (fields["file"], fields["purpose"], fields["file.filename"]) == (
        data,
        "batch",
        "matrix.jsonl",
    )
    assert [f.data for f in server.batch_book.uploads()] == [data]


def test_a_bad_purpose_and_an_unknown_file_are_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.files.create(file=("x.jsonl", b"{}\n"), purpose="nonsense")  # type: ignore[arg-type]
    with pytest.raises(openai.NotFoundError, match="No such File object: file-nope"):
        client.files.retrieve("file-nope")
    with pytest.raises(openai.BadRequestError, match="input_file_id"):
        client.batches.create(
            input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")


def test_a_batch_goes_through_every_status_and_answers_each_line_from_its_body(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script_batch(
        BatchScript(progress_polls=3, answer=lambda body: f"Re: {body['messages'][0]['content']}")
    )
    lines = [_line(f"q{n}", f"Question {n}") for n in range(6)]
    created = _start(client, lines)
    _valid_batch(created)
    assert created.status == "validating"
    seen = _poll_to_end(client, created.id)
    statuses = [b.status for b in seen]
    assert statuses == [
        "validating",
        "in_progress",
        "in_progress",
        "in_progress",
        "finalizing",
        "completed",
    ]
    progress = [b.request_counts.completed for b in seen if b.status == "in_progress"]
    assert progress == sorted(progress) and progress[0] < progress[-1] < 6
    done = seen[-1]
    assert done.request_counts.model_dump() == {"total": 6, "completed": 6, "failed": 0}
    assert done.completed_at is not None and done.error_file_id is None
    results = _file_lines(client, done.output_file_id)
    assert [r["custom_id"] for r in results] == [f"q{n}" for n in range(6)]
    for number, result in enumerate(results):
        assert result["response"]["status_code"] == 200 and result["error"] is None
        completion = result["response"]["body"]
        assert_valid("CreateChatCompletionResponse", completion)
        assert completion["model"] == "gpt-4o-mini"
        assert completion["choices"][0]["message"]["content"] == f"Re: Question {number}"
        assert completion["usage"]["prompt_tokens"] > 0


def test_failed_lines_go_to_the_error_file(server: ScriptedServer, client: openai.OpenAI) -> None:
    server.script_batch(BatchScript(failing_lines=(1,), line_status=500))
    lines = [_line("ok", "Hi"), _line("boom", "Hi"), _line("nomodel", "Hi", model="gpt-nope")]
    done = _poll_to_end(client, _start(client, lines).id)[-1]
    assert done.status == "completed"
    assert done.request_counts.model_dump() == {"total": 3, "completed": 1, "failed": 2}
    assert [r["custom_id"] for r in _file_lines(client, done.output_file_id)] == ["ok"]
    errors = {r["custom_id"]: r["response"] for r in _file_lines(client, done.error_file_id)}
    assert errors["boom"]["status_code"] == 500
    assert errors["nomodel"]["status_code"] == 404
    assert "gpt-nope" in errors["nomodel"]["body"]["error"]["message"]


def test_an_expired_batch_keeps_what_ran_and_says_the_rest_expired(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script_batch(BatchScript(outcome="expired", expire_after=2))
    lines = [_line(f"q{n}", "Hi") for n in range(5)]
    done = _poll_to_end(client, _start(client, lines).id)[-1]
    assert done.status == "expired" and done.expired_at is not None
    assert done.request_counts.model_dump() == {"total": 5, "completed": 2, "failed": 3}
    assert [r["custom_id"] for r in _file_lines(client, done.output_file_id)] == ["q0", "q1"]
    expired = _file_lines(client, done.error_file_id)
    assert [r["custom_id"] for r in expired] == ["q2", "q3", "q4"]
    assert {r["error"]["code"] for r in expired} == {"batch_expired"}
    assert all(r["response"] is None for r in expired)


def test_validation_fails_as_scripted_or_on_a_broken_file(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script_batch(BatchScript(outcome="failed"))
    failed = _poll_to_end(client, _start(client, [_line("a", "Hi")]).id)[-1]
    assert failed.status == "failed" and failed.failed_at is not None
    assert failed.errors is not None and failed.errors.data is not None
    assert failed.errors.data[0].code == "token_limit_exceeded"
    assert "gpt-4o-mini" in (failed.errors.data[0].message or "")
    assert failed.output_file_id is None and failed.error_file_id is None

    broken = _poll_to_end(client, _start(client, [_line("a", "Hi"), _line("a", "Again")]).id)[-1]
    assert broken.status == "failed"
    assert broken.errors is not None and broken.errors.data is not None
    assert [(e.code, e.line) for e in broken.errors.data] == [("duplicate_custom_id", 2)]


def test_cancelling_ends_in_cancelled_with_what_was_done(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script_batch(BatchScript(progress_polls=3))
    batch = _start(client, [_line(f"q{n}", "Hi") for n in range(8)])
    client.batches.retrieve(batch.id)  # validating
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress"
    done_by_then = running.request_counts.completed
    cancelling = client.batches.cancel(batch.id)
    _valid_batch(cancelling)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    ended = _poll_to_end(client, batch.id)[-1]
    assert ended.status == "cancelled" and ended.cancelled_at is not None
    assert len(_file_lines(client, ended.output_file_id)) == done_by_then
    with pytest.raises(openai.ConflictError, match="cancelled"):
        client.batches.cancel(batch.id)


def test_a_scripted_fault_answers_a_batch_request(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script("batches", Fault(429, retry_after=0))
    uploaded = client.files.create(file=("m.jsonl", _jsonl([_line("a", "Hi")])), purpose="batch")
    with pytest.raises(openai.RateLimitError):
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    assert (
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        ).status
        == "validating"
    )


def test_reset_forgets_uploads_batches_and_scripts(
    server: ScriptedServer, client: openai.OpenAI
) -> None:
    server.script_batch(BatchScript(outcome="failed"))
    uploaded = client.files.create(file=("m.jsonl", _jsonl([_line("a", "Hi")])), purpose="batch")
    server.reset()
    assert server.batch_book.uploads() == []
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    # The failed-validation script went with it: the next batch completes.
    assert _poll_to_end(client, _start(client, [_line("a", "Hi")]).id)[-1].status == "completed"
