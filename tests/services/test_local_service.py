"""The built-in server's process as the app manages it, driven with a fast stand-in server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import fake_local_server
from workbench.core.endpoints import local_endpoint
from workbench.services import local as local_module
from workbench.services.local import (
    LOADING,
    LocalServer,
    LocalServerError,
    LocalState,
    default_command,
    probe,
)


def _server(**kwargs: object) -> LocalServer:
    return LocalServer(command=fake_local_server.command(), **kwargs)  # type: ignore[arg-type]


_alive = fake_local_server.alive


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def test_start_says_loading_then_ready_and_the_server_answers() -> None:
    async def scenario() -> None:
        server = _server()
        said: list[tuple[LocalState, str]] = []
        server.add_listener(lambda state, message: said.append((state, message)))
        url = await server.ensure_ready()
        try:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            assert server.state is LocalState.READY and server.base_url == url
            assert said[0] == (LocalState.STARTING, LOADING)
            assert said[-1][0] is LocalState.READY
            result = await probe(local_endpoint(), None, server)
            assert result.ok, result.message
            assert result.models == ("smollm2-135m-instruct", "whisper-tiny.en")
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_concurrent_callers_share_one_process(tmp_path: Path, monkeypatch) -> None:
    starts = tmp_path / "starts.txt"
    monkeypatch.setenv("FAKE_LOCAL_STARTS", str(starts))
    monkeypatch.setenv("FAKE_LOCAL_DELAY", "0.5")

    async def scenario() -> None:
        server = _server()
        try:
            urls = await asyncio.gather(*(server.ensure_ready() for _ in range(5)))
            assert len(set(urls)) == 1
            assert await server.ensure_ready() == urls[0]
        finally:
            await server.stop()

    asyncio.run(scenario())
    assert len(starts.read_text().splitlines()) == 1


def test_a_crash_is_reported_and_the_server_restarted() -> None:
    async def scenario() -> None:
        server = _server()
        said: list[tuple[LocalState, str]] = []
        server.add_listener(lambda state, message: said.append((state, message)))
        await server.ensure_ready()
        first = server.pid
        assert first is not None
        try:
            os.kill(first, signal.SIGKILL)
            await _until(lambda: server.state is LocalState.RESTARTING)
            assert server.message == (
                "The built-in model server crashed (killed by SIGKILL); restarting it…"
            )
            url = await server.ensure_ready()
            assert server.pid not in (None, first)
            assert said[-1][0] is LocalState.READY
            result = await probe(local_endpoint(), None, server)
            assert result.ok, result.message
            assert server.base_url == url
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_too_many_crashes_end_in_failed_with_the_reason() -> None:
    async def scenario() -> None:
        server = _server(max_restarts=1)
        try:
            await server.ensure_ready()
            for _ in range(2):
                os.kill(server.pid or 0, signal.SIGKILL)
                await _until(lambda: server.state is not LocalState.READY)
                await _until(lambda: server.state in (LocalState.READY, LocalState.FAILED))
            assert server.state is LocalState.FAILED
            assert "crashed 2 times within 60 seconds" in server.message
            assert "killed by SIGKILL" in server.message
            assert server.pid is None
            # Asking again (Test connection, a new run) tries afresh.
            assert (await server.ensure_ready()).startswith("http://127.0.0.1:")
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_stop_leaves_no_process() -> None:
    async def scenario() -> int:
        server = _server()
        await server.ensure_ready()
        pid = server.pid
        assert pid is not None and _alive(pid)
        await server.stop()
        assert server.state is LocalState.STOPPED and server.pid is None
        return pid

    assert not _alive(asyncio.run(scenario()))


def test_stop_kills_a_server_that_ignores_sigterm(monkeypatch) -> None:
    monkeypatch.setenv("FAKE_LOCAL_IGNORE_TERM", "1")

    async def scenario() -> int:
        server = _server(stop_grace=0.5)
        await server.ensure_ready()
        pid = server.pid
        assert pid is not None
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 5
        return pid

    assert not _alive(asyncio.run(scenario()))


def test_stop_during_loading_leaves_no_process(monkeypatch, tmp_path: Path) -> None:
    starts = tmp_path / "starts.txt"
    monkeypatch.setenv("FAKE_LOCAL_STARTS", str(starts))
    monkeypatch.setenv("FAKE_LOCAL_DELAY", "30")

    async def scenario() -> None:
        server = _server()
        waiting = asyncio.create_task(server.ensure_ready())
        await _until(lambda: starts.exists() and starts.read_text().strip() != "")
        assert server.state is LocalState.STARTING
        await server.stop()
        assert server.state is LocalState.STOPPED
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
    pid = int(starts.read_text().split()[0])
    assert not _alive(pid)


def test_a_server_that_exits_before_ready_explains_why(monkeypatch) -> None:
    monkeypatch.setenv("FAKE_LOCAL_FAIL", "3")

    async def scenario() -> None:
        server = _server()
        with pytest.raises(LocalServerError) as caught:
            await server.ensure_ready()
        message = str(caught.value)
        assert "stopped before it was ready (exit code 3)" in message
        assert "tensor 'blk.0' is corrupt" in message
        assert "could not load the model" in message
        assert server.state is LocalState.FAILED and server.message == message
        result = await probe(local_endpoint(), None, server)
        assert not result.ok and "tensor 'blk.0' is corrupt" in result.message

    asyncio.run(scenario())


def test_a_server_that_never_gets_ready_times_out(monkeypatch, tmp_path: Path) -> None:
    starts = tmp_path / "starts.txt"
    monkeypatch.setenv("FAKE_LOCAL_STARTS", str(starts))
    monkeypatch.setenv("FAKE_LOCAL_DELAY", "30")

    async def scenario() -> None:
        server = _server(ready_timeout=0.5)
        with pytest.raises(LocalServerError, match=r"not ready after 0\.5 seconds") as caught:
            await server.ensure_ready()
        assert "loading the model from (default)" in str(caught.value)
        assert server.pid is None

    asyncio.run(scenario())
    assert not _alive(int(starts.read_text().split()[0]))


def test_a_missing_program_is_a_clear_error() -> None:
    async def scenario() -> None:
        server = LocalServer(command=["/nonexistent/workbench-server"])
        with pytest.raises(LocalServerError, match="Could not start the built-in model server"):
            await server.ensure_ready()

    asyncio.run(scenario())


def test_token_is_in_the_environment_only(tmp_path: Path) -> None:
    model = tmp_path / "my model.gguf"

    async def scenario() -> None:
        server = _server(model_path=model)
        await server.ensure_ready()
        try:
            pid = server.pid
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert server.token and len(server.token) >= 32
            assert not any(server.token.encode() in arg for arg in argv)
            assert [b"--parent-pid", str(os.getpid()).encode()] == argv[
                argv.index(b"--parent-pid") : argv.index(b"--parent-pid") + 2
            ]
            assert str(model).encode() in argv
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert f"WORKBENCH_LOCAL_TOKEN={server.token}".encode() in environ
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_command_in_development_and_in_a_frozen_build(monkeypatch) -> None:
    assert default_command() == [sys.executable, "-m", "workbench.local_server"]
    monkeypatch.setattr(local_module.sys, "frozen", True, raising=False)
    assert default_command() == [sys.executable, "--local-server"]


def test_the_app_entry_point_runs_the_server_without_qt() -> None:
    """What a frozen build runs: `workbench --local-server ...` (here with --help)."""
    code = textwrap.dedent(
        """
        import sys
        from workbench.app.main import main
        try:
            main(["--local-server", "--help"])
        except SystemExit as done:
            assert done.code == 0, done.code
        print("QT LOADED", any(m.startswith(("PySide6", "qasync")) for m in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "workbench-local-server" in result.stdout
    assert result.stdout.strip().endswith("QT LOADED False")


def test_server_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    app, server_pid = fake_local_server.start_server_from_child(tmp_path, "fake")
    assert _alive(server_pid)
    app.kill()
    app.wait()
    deadline = time.monotonic() + 5
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(server_pid), "the server outlived the app that started it"
