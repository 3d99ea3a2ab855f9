"""A stored request as code to run elsewhere: Python with the `openai` SDK, and curl.

The key is always read from an environment variable; the code never contains it.
"""

from __future__ import annotations

import json
import pprint
import re
import shlex
from collections.abc import Callable
from typing import Any

from workbench.core.runs import RunKind

KEY_VARIABLE = "OPENAI_API_KEY"
# The built-in server takes a new port and token each launch, so code for a run on it points at
# the server started by hand (README) on a fixed port, with the token the user chose.
LOCAL_HAND_URL = "http://127.0.0.1:8080/v1"
LOCAL_KEY_VARIABLE = "WORKBENCH_LOCAL_TOKEN"
LOCAL_NOTE = (
    "# The built-in server's port and token change each launch, so this code is for a server"
    " started by hand:\n"
    "#   export WORKBENCH_LOCAL_TOKEN=$(openssl rand -hex 16)\n"
    "#   python -m workbench.local_server --port 8080\n"
    "# For another endpoint, use its base URL and key.\n"
)
_SDK_ONLY = ("extra_body",)
# Kinds sent as a form with a file, with the SDK resource and the URL path for each.
_FILE_KINDS = {
    RunKind.TRANSCRIPTION: ("audio.transcriptions", "/audio/transcriptions"),
    RunKind.TRANSLATION: ("audio.translations", "/audio/translations"),
}


def wire_body(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON the server receives: the SDK merges `extra_body` into the top level."""
    wire = {k: v for k, v in body.items() if k not in _SDK_ONLY}
    wire.update(body.get("extra_body") or {})
    return wire


def python_code(
    base_url: str,
    body: dict[str, Any],
    key_variable: str = KEY_VARIABLE,
    kind: RunKind = RunKind.CHAT_COMPLETION,
    local: bool = False,
) -> str:
    """`local`: a run on the built-in server, written for one started by hand (LOCAL_NOTE)."""
    return _written(_python_chat_code, _python_file_code, base_url, body, key_variable, kind, local)


def curl_code(
    base_url: str,
    body: dict[str, Any],
    key_variable: str = KEY_VARIABLE,
    kind: RunKind = RunKind.CHAT_COMPLETION,
    local: bool = False,
) -> str:
    return _written(_curl_chat_code, _curl_file_code, base_url, body, key_variable, kind, local)


ChatWriter = Callable[[str, dict[str, Any], str], str]
FileWriter = Callable[[str, dict[str, Any], str, RunKind], str]


def _written(
    chat: ChatWriter,
    upload: FileWriter,
    base_url: str,
    body: dict[str, Any],
    key_variable: str,
    kind: RunKind,
    local: bool,
) -> str:
    """The code for `kind` in one language: the same choices for Python and curl."""
    note = ""
    if local:
        note, base_url, key_variable = LOCAL_NOTE, LOCAL_HAND_URL, LOCAL_KEY_VARIABLE
    if kind in _FILE_KINDS:
        return note + upload(base_url, body, key_variable, kind)
    if kind is not RunKind.CHAT_COMPLETION:
        return note + _not_yet(kind)
    return note + chat(base_url, body, key_variable)


def _python_chat_code(base_url: str, body: dict[str, Any], key_variable: str) -> str:
    arguments = "\n".join(f"    {name}={_python_value(value)}," for name, value in body.items())
    streamed = bool(body.get("stream"))
    read = (
        "for chunk in response:\n"
        "    if chunk.choices and chunk.choices[0].delta.content:\n"
        '        print(chunk.choices[0].delta.content, end="", flush=True)\n'
        "print()\n"
        if streamed
        else "print(response.choices[0].message.content)\n"
    )
    return (
        _python_client(base_url, key_variable)
        + f"response = client.chat.completions.create(\n{arguments}\n)\n"
        + read
    )


def _python_client(base_url: str, key_variable: str) -> str:
    return (
        "import os\n\n"
        "from openai import OpenAI\n\n"
        f"client = OpenAI(base_url={base_url!r}, api_key=os.environ[{key_variable!r}])\n"
    )


def _curl_chat_code(base_url: str, body: dict[str, Any], key_variable: str) -> str:
    url = base_url.rstrip("/") + "/chat/completions"
    payload = json.dumps(wire_body(body), indent=2, ensure_ascii=False)
    return (
        f"curl {'-N ' if body.get('stream') else ''}{shlex.quote(url)} \\\n"
        f'  -H "Authorization: Bearer ${key_variable}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        "  -d @- <<'JSON'\n"
        f"{payload}\n"
        "JSON\n"
    )


def _python_value(value: Any) -> str:
    text = pprint.pformat(value, indent=2, width=88, sort_dicts=False)
    return text.replace("\n", "\n    ")


def stored_file_name(body: dict[str, Any]) -> str:
    """The file a stored body names ("<fox.wav: 12,345 bytes of wav audio>" -> "fox.wav")."""
    match = re.match(r"<([^:>]+)", str(body.get("file", "")))
    return match[1].strip() if match else "audio.wav"


def _python_file_code(base_url: str, body: dict[str, Any], key_variable: str, kind: RunKind) -> str:
    resource, _path = _FILE_KINDS[kind]
    fields = {k: v for k, v in body.items() if k != "file"}
    arguments = "\n".join(f"    {name}={_python_value(value)}," for name, value in fields.items())
    name = stored_file_name(body)
    return (
        _python_client(base_url, key_variable) + f'with open({name!r}, "rb") as audio:\n'
        f"    response = client.{resource}.create(\n        file=audio,\n"
        + "\n".join(f"    {line}" for line in arguments.splitlines())
        + "\n    )\nprint(response.text)\n"
    )


def _curl_file_code(base_url: str, body: dict[str, Any], key_variable: str, kind: RunKind) -> str:
    _resource, path = _FILE_KINDS[kind]
    url = base_url.rstrip("/") + path
    fields = [f"  -F {shlex.quote(f'{k}={v}')} \\\n" for k, v in body.items() if k != "file"]
    return (
        f"curl {shlex.quote(url)} \\\n"
        f'  -H "Authorization: Bearer ${key_variable}" \\\n'
        + "".join(fields)
        + f"  -F {shlex.quote('file=@' + stored_file_name(body))}\n"
    )


def _not_yet(kind: RunKind) -> str:
    # Better no code than a chat call that would send something else.
    return f"# View code does not write {kind} requests yet; the Request tab shows what was sent.\n"
