"""The built-in server gets what it needs to run, and none of the user's secrets."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.support import fake_local_server
from workbench.local_server.cli import TOKEN_ENV
from workbench.services.local import LocalServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SECRETS = {
    "OPENAI_API_KEY": "sk-parent-openai-0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-parent-0123456789",
    "GITHUB_TOKEN": "ghp_parent0123456789",
    "MY_SERVICE_SECRET": "parent-secret-0123456789",
    "AWS_ACCESS_KEY_ID": "AKIAPARENT0123456789",
    "AZURE_OPENAI_ENDPOINT": "https://parent.openai.azure.com",
    "DATABASE_PASSWORD": "parent-password-0123456789",
    "WORKBENCH_OTHER_TOKEN": "parent-workbench-token-0123456789",
    "https_proxy": "http://user:parent-pass@proxy.invalid:8080",
}


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode() for k, v in pairs}


def test_the_server_process_gets_its_token_and_runtime_but_no_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")

    async def scenario() -> dict[str, str]:
        server = LocalServer(command=fake_local_server.command())
        await server.ensure_ready()
        try:
            assert server.pid is not None
            seen = _environ_of(server.pid)
            assert seen[TOKEN_ENV] == server.token
            return seen
        finally:
            await server.stop()

    seen = asyncio.run(scenario())
    leaked = sorted(set(SECRETS) & set(seen))
    assert leaked == []
    assert not any(value in "\0".join(seen.values()) for value in SECRETS.values())
    assert seen["PATH"] and seen["OMP_NUM_THREADS"] == "2" and seen["LC_ALL"] == "C.UTF-8"
