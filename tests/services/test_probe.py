"""Testing an endpoint's connection against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

from tests.support.scripted_server import Fault, ScriptedServer
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.probe import probe_endpoint


def _endpoint(url: str):
    return new_endpoint(EndpointKind.CUSTOM, "Scripted").with_changes(
        base_url=url, headers=(("X-Team", "lab"),)
    )


def test_ok_lists_models_and_sends_key_and_headers() -> None:
    with ScriptedServer(models=("gpt-4o", "gpt-4o-mini"), api_key="sk-right") as server:
        result = asyncio.run(probe_endpoint(_endpoint(server.base_url), "sk-right"))
        assert result.ok, result.message
        assert result.models == ("gpt-4o", "gpt-4o-mini")
        assert "2 models available" in result.message
        sent = server.requests[-1]
        assert sent.path == "/v1/models"
        assert sent.headers["authorization"] == "Bearer sk-right"
        assert sent.headers["x-team"] == "lab"


def test_wrong_key_says_the_key_was_refused() -> None:
    with ScriptedServer(api_key="sk-right") as server:
        result = asyncio.run(probe_endpoint(_endpoint(server.base_url), "sk-wrong"))
    assert not result.ok
    assert "refused the key (401)" in result.message


def test_unreachable_server_says_so() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    result = asyncio.run(probe_endpoint(_endpoint(url), None, timeout=5))
    assert not result.ok
    assert result.message == f"Could not connect to {url}: is the server running?"


def test_server_error_is_reported_with_its_message() -> None:
    with ScriptedServer() as server:
        server.script("models", Fault(503, message="The engine is currently overloaded"))
        result = asyncio.run(probe_endpoint(_endpoint(server.base_url), None))
    assert not result.ok
    assert result.message == "The server answered 503: The engine is currently overloaded"


def test_wrong_path_is_a_404_hint() -> None:
    with ScriptedServer() as server:
        result = asyncio.run(probe_endpoint(_endpoint(server.base_url + "/nope"), None))
    assert not result.ok and "(404)" in result.message


def test_slow_server_times_out_clearly() -> None:
    with ScriptedServer() as server:
        server.script("models", Fault(200, hang=3))
        result = asyncio.run(probe_endpoint(_endpoint(server.base_url), None, timeout=0.5))
    assert not result.ok
    assert "within 0.5 seconds" in result.message
