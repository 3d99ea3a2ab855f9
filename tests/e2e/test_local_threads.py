"""The built-in server says how many CPU threads its model uses: the automatic choice or the
user's own, as the app passes it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, start_local_server, stop_local_server
from workbench.local_server.threads import choose_threads
from workbench.services.local import LocalServer

pytestmark = pytest.mark.timeout(300)


def _chat_model(server: RunningServer) -> dict[str, Any]:
    return server.client().models.list().data[0].model_dump()


def test_by_default_the_server_uses_the_automatic_choice(local_server: RunningServer) -> None:
    model = _chat_model(local_server)
    automatic = choose_threads()
    assert (model["threads"], model["batch_threads"]) == (automatic.generation, automatic.batch)


def test_a_thread_count_on_the_command_line_is_used() -> None:
    server = start_local_server("--threads", "2", "--batch-threads", "1")
    try:
        model = _chat_model(server)
    finally:
        stop_local_server(server)
    assert (model["threads"], model["batch_threads"]) == (2, 1)


def test_the_apps_thread_setting_reaches_the_model() -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        local = LocalServer(threads=2)
        try:
            await local.ensure_ready()
            chosen = await _models(local)
            await local.set_threads(None)
            automatic = await _models(local)
        finally:
            await local.stop()
        return chosen, automatic

    chosen, automatic = asyncio.run(scenario())
    assert (chosen["threads"], chosen["batch_threads"]) == (2, 2)
    assert automatic["threads"] == choose_threads().generation


async def _models(local: LocalServer) -> dict[str, Any]:
    import openai

    async with openai.AsyncOpenAI(
        base_url=local.base_url, api_key=local.token, max_retries=0
    ) as client:
        return (await client.models.list()).data[0].model_dump()
