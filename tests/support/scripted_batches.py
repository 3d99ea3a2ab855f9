"""The Files and Batches endpoints of the scripted server (standard library only).

`BatchBook` holds the uploaded files and the batches, and answers ``/v1/files…`` and
``/v1/batches…`` as OpenAI does (shapes from the OpenAPI description: ``OpenAIFile``, ``Batch``,
the batch output and error line formats). It knows nothing of HTTP: the server hands it the
method, path, body and upload, and sends back what it returns.

A batch moves one step each time it is retrieved, so a test sees every status it would meet:
validating -> in_progress (``request_counts`` growing poll by poll) -> finalizing -> completed,
or a script makes it expire part-way (the rest of its lines end as ``batch_expired`` errors),
fail validation (an ``errors`` list naming the lines), or be cancelled (cancelling ->
cancelled, with what was done by then). Each line is answered from its own body, as the chat
route would answer it (the server passes that in as ``answer``), so a line naming an unknown
model fails with the chat route's 404, and ``BatchScript.failing_lines`` fail with a scripted
status.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

# (body of the line, text to answer, fault status or None) -> (status code, response body)
LineAnswer = Callable[[dict[str, Any], "str | None", "int | None"], tuple[int, dict[str, Any]]]

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
_MOMENTS = (
    "in_progress",
    "finalizing",
    "completed",
    "failed",
    "expired",
    "cancelling",
    "cancelled",
)
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
WINDOW_S = 24 * 3600
EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
TOKEN_LIMIT_MESSAGE = (
    "Enqueued token limit reached for {model} in organization org-scripted. Limit: 90,000 "
    "enqueued tokens. Please try submitting fewer tokens or wait until some of your "
    "in-progress batches complete."
)


@dataclass(frozen=True)
class BatchScript:
    """How the next batch created goes. Each retrieve moves it one step.

    ``validating_polls`` retrieves still say validating; ``progress_polls`` say in_progress
    with counts growing; ``finalizing_polls`` say finalizing; then it has ended.
    ``outcome``: "completed"; "expired" (after ``expire_after`` lines, default half);
    "failed" (validation fails with ``validation_error`` = (code, message), the message may
    name ``{model}``, on ``validation_line`` if set). A file that breaks the input format
    fails validation whatever the outcome. ``failing_lines`` (0-based) fail with
    ``line_status``; ``answer`` computes a line's answer text from its body (None: the
    server's default text).
    """

    outcome: Literal["completed", "expired", "failed"] = "completed"
    validating_polls: int = 1
    progress_polls: int = 2
    finalizing_polls: int = 1
    expire_after: int | None = None
    failing_lines: tuple[int, ...] = ()
    line_status: int = 400
    validation_error: tuple[str, str] = ("token_limit_exceeded", TOKEN_LIMIT_MESSAGE)
    validation_line: int | None = None  # the 1-based line the validation error names
    answer: Callable[[dict[str, Any]], str] | None = None


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def card(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class _Batch:
    id: str
    request: dict[str, Any]
    script: BatchScript
    lines: list[dict[str, Any]]
    status: str = "validating"
    steps: int = 0  # retrieves answered so far in the current status
    processed: int = 0  # lines done, in file order
    results: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[dict[str, Any]] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    times: dict[str, int] = field(default_factory=dict)
    retrieved: int = 0


class BatchBook:
    """Files and batches on one scripted server; every public method is thread-safe."""

    def __init__(self, answer: LineAnswer) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, _Batch] = {}
        self._scripts: deque[BatchScript] = deque()

    # ----- scripting and inspection

    def script(self, *scripts: BatchScript) -> None:
        """Queue how the next batches go, one per batch created."""
        with self._lock:
            self._scripts.extend(scripts)

    def uploads(self, purpose: str = "batch") -> list[StoredFile]:
        """The files uploaded with a purpose, oldest first (batch outputs are not uploads)."""
        with self._lock:
            return [f for f in self.files.values() if f.purpose == purpose]

    def polls(self, batch_id: str) -> int:
        """How many times a batch was retrieved."""
        with self._lock:
            return self.batches[batch_id].retrieved

    # ----- the routes

    def handle(
        self, method: str, path: str, body: dict[str, Any] | None, form: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | bytes]:
        """(status, JSON payload or raw file bytes) for a /v1/files or /v1/batches request."""
        parts = path.strip("/").split("/")[1:]  # without "v1"
        with self._lock:
            if parts == ["files"] and method == "POST":
                return self._upload(form)
            if parts[0] == "files" and len(parts) == 2 and method == "GET":
                return self._file(parts[1], content=False)
            if parts[0] == "files" and len(parts) == 3 and parts[2] == "content":
                return self._file(parts[1], content=True)
            if parts == ["batches"] and method == "POST":
                return self._create(body or {})
            if parts[0] == "batches" and len(parts) == 2 and method == "GET":
                return self._retrieve(parts[1])
            if parts[0] == "batches" and len(parts) == 3 and parts[2] == "cancel":
                return self._cancel(parts[1])
        return 404, _error(f"Invalid URL ({method} {path})")

    def _upload(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        purpose = form.get("purpose")
        if not isinstance(form.get("file"), bytes):
            return 400, _error("Missing required parameter: 'file'.", "file")
        if purpose not in FILE_PURPOSES:
            message = f"'{purpose}' is not one of {list(FILE_PURPOSES)} - 'purpose'"
            return 400, _error(message, "purpose")
        filename = str(form.get("file.filename") or "upload")
        stored = self._keep(filename, str(purpose), form["file"])
        return 200, stored.card()

    def _keep(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(f"file-{secrets.token_hex(11)}", filename, purpose, data)
        self.files[stored.id] = stored
        return stored

    def _file(self, file_id: str, *, content: bool) -> tuple[int, dict[str, Any] | bytes]:
        stored = self.files.get(file_id)
        if stored is None:
            return 404, _error(f"No such File object: {file_id}", "id")
        return 200, (stored.data if content else stored.card())

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not body.get(name):
                return 400, _error(f"Missing required parameter: '{name}'.", name)
        if body["endpoint"] not in BATCH_ENDPOINTS:
            return 400, _error(f"Invalid value: '{body['endpoint']}'.", "endpoint")
        if body["completion_window"] != "24h":
            return 400, _error("Invalid value for 'completion_window'.", "completion_window")
        stored = self.files.get(str(body["input_file_id"]))
        if stored is None or stored.purpose != "batch":
            message = f"Invalid 'input_file_id': '{body['input_file_id']}'. No batch file found."
            return 400, _error(message, "input_file_id")
        script = self._scripts.popleft() if self._scripts else BatchScript()
        lines, problems = _read_lines(stored.data, str(body["endpoint"]))
        batch = _Batch(f"batch_{secrets.token_hex(12)}", body, script, lines)
        batch.times["created_at"] = int(time.time())
        if problems:
            batch.errors = problems
        elif script.outcome == "failed":
            code, message = script.validation_error
            model = lines[0].get("body", {}).get("model", "") if lines else ""
            text = message.format(model=model)
            batch.errors = [_batch_error(code, text, script.validation_line)]
        self.batches[batch.id] = batch
        return 200, self._card(batch)

    def _retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return 404, _error(f"No batch found with id '{batch_id}'.", "batch_id")
        batch.retrieved += 1
        self._advance(batch)
        return 200, self._card(batch)

    def _cancel(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return 404, _error(f"No batch found with id '{batch_id}'.", "batch_id")
        if batch.status in ENDED or batch.status == "cancelling":
            message = f"Cannot cancel a batch with status '{batch.status}'."
            return 409, _error(message, None, "invalid_state")
        self._enter(batch, "cancelling")
        return 200, self._card(batch)

    # ----- the life of a batch

    def _advance(self, batch: _Batch) -> None:
        script = batch.script
        batch.steps += 1
        if batch.status == "validating" and batch.steps > script.validating_polls:
            if batch.errors is not None:
                self._enter(batch, "failed")
            else:
                self._enter(batch, "in_progress")
                self._progress(batch)
        elif batch.status == "in_progress":
            if batch.steps > script.progress_polls:
                if script.outcome == "expired":
                    self._run_lines(batch, self._expire_after(batch))
                    self._end(batch, "expired")
                else:
                    self._run_lines(batch, len(batch.lines))
                    self._enter(batch, "finalizing")
                    if script.finalizing_polls <= 0:
                        self._end(batch, "completed")
            else:
                self._progress(batch)
        elif batch.status == "finalizing" and batch.steps > script.finalizing_polls:
            self._end(batch, "completed")
        elif batch.status == "cancelling":
            self._end(batch, "cancelled")

    def _progress(self, batch: _Batch) -> None:
        # Poll k of P has done k/(P+1) of the lines: counts move, but never all before the end.
        total = len(batch.lines)
        done = total * batch.steps // (batch.script.progress_polls + 1)
        if batch.script.outcome == "expired":
            done = min(done, self._expire_after(batch))
        self._run_lines(batch, done)

    def _expire_after(self, batch: _Batch) -> int:
        limit = batch.script.expire_after
        return len(batch.lines) // 2 if limit is None else min(limit, len(batch.lines))

    def _run_lines(self, batch: _Batch, upto: int) -> None:
        script = batch.script
        while batch.processed < upto:
            index = batch.processed
            body = batch.lines[index].get("body") or {}
            text = script.answer(body) if script.answer is not None else None
            fault = script.line_status if index in script.failing_lines else None
            batch.results.append(self._answer(body, text, fault))
            batch.processed += 1

    def _enter(self, batch: _Batch, status: str) -> None:
        batch.status = status
        batch.steps = 1  # the retrieve that saw the change is the first in the new status
        batch.times[f"{status}_at"] = int(time.time())

    def _end(self, batch: _Batch, status: str) -> None:
        """Writes the output and error files: done lines, failed lines, and (expired) the
        lines never run. A cancelled batch keeps only what was done by then."""
        self._enter(batch, status)
        outputs: list[str] = []
        errors: list[str] = []
        for index, (code, response) in enumerate(batch.results):
            line = _output_line(batch.lines[index]["custom_id"], code, response)
            (outputs if code == 200 else errors).append(line)
        if status == "expired":
            for line in batch.lines[batch.processed :]:
                errors.append(_expired_line(line["custom_id"]))
        name = batch.id
        if outputs:
            data = "".join(f"{line}\n" for line in outputs).encode()
            batch.output_file_id = self._keep(f"{name}_output.jsonl", "batch_output", data).id
        if errors:
            data = "".join(f"{line}\n" for line in errors).encode()
            batch.error_file_id = self._keep(f"{name}_error.jsonl", "batch_output", data).id

    def _card(self, batch: _Batch) -> dict[str, Any]:
        succeeded = sum(1 for code, _ in batch.results if code == 200)
        failed = len(batch.results) - succeeded
        if batch.status == "expired":  # the lines never run count as failed
            failed += len(batch.lines) - batch.processed
        total = 0 if batch.status in ("validating", "failed") else len(batch.lines)
        created = batch.times["created_at"]
        card: dict[str, Any] = {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.request["endpoint"],
            "errors": None if batch.errors is None else {"object": "list", "data": batch.errors},
            "input_file_id": batch.request["input_file_id"],
            "completion_window": batch.request["completion_window"],
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": created,
            "expires_at": created + WINDOW_S,
            "request_counts": {"total": total, "completed": succeeded, "failed": failed},
            "metadata": batch.request.get("metadata"),
        }
        for moment in _MOMENTS:
            card[f"{moment}_at"] = batch.times.get(f"{moment}_at")
        return card


# --------------------------------------------------------------------------- file formats


def _read_lines(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The input file's requests, and what breaks the batch input format (by line, 1-based)."""
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], [_batch_error("invalid_file_format", "The file is not UTF-8 text.", None)]
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        problem = _line_problem(raw, endpoint, seen)
        if problem is not None:
            problems.append(_batch_error(problem[0], problem[1], number, problem[2]))
            continue
        line = json.loads(raw)
        seen.add(line["custom_id"])
        lines.append(line)
    if not lines and not problems:
        problems.append(_batch_error("empty_file", "The input file is empty.", None))
    return lines, problems


def _line_problem(raw: str, endpoint: str, seen: set[str]) -> tuple[str, str, str | None] | None:
    try:
        line = json.loads(raw)
    except ValueError:
        return "invalid_json_line", "This line is not parseable as valid JSON.", None
    if not isinstance(line, dict):
        return "invalid_request", "Each line must be a JSON object.", None
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return "missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id"
    if custom_id in seen:
        return "duplicate_custom_id", f"The custom_id '{custom_id}' is not unique.", "custom_id"
    if line.get("method") != "POST":
        return "invalid_method", "The method must be POST.", "method"
    if line.get("url") != endpoint:
        message = f"The URL '{line.get('url')}' does not match the batch endpoint '{endpoint}'."
        return "mismatched_endpoint", message, "url"
    if not isinstance(line.get("body"), dict) or not line["body"].get("model"):
        return "missing_required_parameter", "Missing required parameter: 'body.model'.", "body"
    return None


def _output_line(custom_id: str, code: int, response: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": f"batch_req_{secrets.token_hex(12)}",
            "custom_id": custom_id,
            "response": {
                "status_code": code,
                "request_id": f"req_{secrets.token_hex(16)}",
                "body": response,
            },
            "error": None,
        }
    )


def _expired_line(custom_id: str) -> str:
    error = {"code": "batch_expired", "message": EXPIRED_MESSAGE}
    line = {"id": f"batch_req_{secrets.token_hex(12)}", "custom_id": custom_id}
    return json.dumps({**line, "response": None, "error": error})


def _batch_error(
    code: str, message: str, line: int | None, param: str | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def _error(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }
