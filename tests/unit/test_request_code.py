"""View code: the stored request as Python and curl that really run, with the key left out."""

from __future__ import annotations

import ast
import json
import shlex

from workbench.core.request_code import curl_code, python_code, wire_body
from workbench.core.runs import ChatTurn, RunKind, RunParams, RunRequest
from workbench.services.adapters.chat_completion import chat_body

BODY = chat_body(
    RunRequest(
        RunKind.CHAT_COMPLETION,
        "e",
        RunParams(model="gpt-4o", temperature=0.2, stop=("END",), logprobs=True, top_logprobs=3),
        (ChatTurn.of("system", "Be brief."), ChatTurn.of("user", 'Say "hi" and it\'s done')),
    )
)


def _create_call(code: str) -> ast.Call:
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    return next(c for c in calls if getattr(c.func, "attr", "") == "create")


def test_python_code_parses_and_passes_the_same_arguments() -> None:
    code = python_code("https://api.openai.com/v1", BODY)
    call = _create_call(code)
    sent = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert sent == BODY
    assert 'os.environ["OPENAI_API_KEY"]' in code.replace("'", '"')
    assert "for chunk in response" in code  # streamed, as the app sent it


def test_curl_code_sends_the_wire_body_and_reads_the_key_from_the_environment() -> None:
    vllm = dict(BODY, extra_body={"continue_final_message": True})
    code = curl_code("http://127.0.0.1:8000/v1/", vllm)
    first, payload = code.split("<<'JSON'\n")
    assert shlex.split(first.replace("\\\n", " "))[:3] == [
        "curl",
        "-N",
        "http://127.0.0.1:8000/v1/chat/completions",
    ]
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in first
    sent = json.loads(payload.removesuffix("JSON\n"))
    assert sent == wire_body(vllm) and sent["continue_final_message"] is True
    assert "extra_body" not in sent


def test_a_kind_without_a_template_gets_no_misleading_code() -> None:
    body = {"model": "tts-1", "input": "Hello", "voice": "alloy"}
    for code in (
        python_code("https://api.openai.com/v1", body, kind=RunKind.SPEECH),
        curl_code("https://api.openai.com/v1", body, kind=RunKind.SPEECH),
    ):
        assert "chat" not in code and code.startswith("# View code does not write")


def test_a_transcription_is_a_file_upload() -> None:
    body = {"model": "whisper-1", "file": "<talk.mp3: 1,024 bytes of mp3 audio>", "language": "en"}
    python = python_code("http://h/v1", body, kind=RunKind.TRANSCRIPTION)
    call = _create_call(python)
    assert {k.arg for k in call.keywords} == {"file", "model", "language"}
    assert "open('talk.mp3', \"rb\")" in python
    curl = shlex.split(
        curl_code("http://h/v1", body, kind=RunKind.TRANSCRIPTION).replace("\\\n", "")
    )
    assert "http://h/v1/audio/transcriptions" in curl
    assert "file=@talk.mp3" in curl and "language=en" in curl
