"""The embedded model server as a child process: started on demand, watched, restarted, stopped.

The server (`workbench.local_server`) loads its model, binds a free port on 127.0.0.1 and prints
one `READY <base url>` line. It is handed a fresh bearer token through the environment only, so
the token never shows up in `ps` output, and `--parent-pid` so it ends itself if Workbench dies
without stopping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from workbench.core.endpoints import Endpoint
from workbench.local_server.cli import READY_PREFIX, TOKEN_ENV
from workbench.services.probe import ProbeResult, probe_endpoint

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 180.0
STOP_GRACE_S = 5.0
MAX_RESTARTS = 3
RESTART_WINDOW_S = 60.0
TAIL_LINES = 12
LOADING = "Loading the built-in model…"


# What the server process may inherit: enough to find Python, its libraries and a temp folder,
# to pick a locale and to size its thread pools. Everything else (OPENAI_API_KEY, cloud
# credentials, proxies with passwords in them) stays with the app: the server never needs them.
_ENV_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM",
        "TMPDIR", "TEMP", "TMP",
        "PYTHONPATH", "PYTHONHOME", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE",
        "PYTHONFAULTHANDLER", "VIRTUAL_ENV", "CONDA_PREFIX",
        "LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG",
        "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
        "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
        "CUDA_VISIBLE_DEVICES", "HF_HOME", "HF_HUB_OFFLINE",
        # Windows cannot start Python without some of these.
        "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA",
        "LOCALAPPDATA", "PROGRAMDATA", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    }
)  # fmt: skip
_ENV_PREFIXES = (
    "LC_", "OMP_", "GOMP_", "OPENBLAS_", "MKL_", "GGML_", "LLAMA_", "CT2_", "WORKBENCH_",
)  # fmt: skip
# Names that look like credentials are dropped even when allowed above (WORKBENCH_*_TOKEN...).
_SECRET_MARKS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE")
# Further names (or PREFIX*) to hand on, comma-separated, for a user whose setup needs one.
PASS_ENV = "WORKBENCH_LOCAL_PASS_ENV"


def server_environment(parent: Mapping[str, str], token: str) -> dict[str, str]:
    """The built-in server's environment: the allowed part of `parent`, and its bearer token."""
    extra = [n.strip().upper() for n in parent.get(PASS_ENV, "").split(",") if n.strip()]
    names = _ENV_NAMES.union(n for n in extra if not n.endswith("*"))
    prefixes = _ENV_PREFIXES + tuple(n[:-1] for n in extra if n.endswith("*") and len(n) > 1)
    env = {
        name: value
        for name, value in parent.items()
        if (name.upper() in names or name.upper().startswith(prefixes))
        and not any(mark in name.upper() for mark in _SECRET_MARKS)
    }
    env[TOKEN_ENV] = token
    return env


class LocalState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    RESTARTING = "restarting"


class LocalServerError(RuntimeError):
    """The built-in server could not start or keep running; the message can be shown as is."""


# Called on the event loop's thread with the new state and a sentence for the status bar.
StatusListener = Callable[[LocalState, str], None]


def default_command() -> list[str]:
    """How to run the server: a frozen build has no `python -m`, so it re-invokes itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--local-server"]
    return [sys.executable, "-m", "workbench.local_server"]


class LocalServer:
    """One embedded server process. Every coroutine here must run on the same event loop."""

    def __init__(
        self,
        *,
        command: Sequence[str] | None = None,
        model_path: Path | None = None,
        threads: int | None = None,
        extra_args: Sequence[str] = (),
        ready_timeout: float = READY_TIMEOUT_S,
        stop_grace: float = STOP_GRACE_S,
        max_restarts: int = MAX_RESTARTS,
        restart_window: float = RESTART_WINDOW_S,
    ) -> None:
        self.command = list(command) if command is not None else default_command()
        self.model_path = model_path
        # CPU threads for the model; None lets the server choose (1 on a 2-core machine, so
        # generation keeps its speed beside the app's own UI). Read at each (re)start.
        self.threads = threads
        self.extra_args = list(extra_args)
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.max_restarts = max_restarts
        self.restart_window = restart_window

        self.state = LocalState.STOPPED
        self.message = ""
        self.base_url: str | None = None
        self.token = ""
        self.last_error = ""
        self._process: asyncio.subprocess.Process | None = None
        self._start_task: asyncio.Task[str] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._pipe_tasks: list[asyncio.Task[None]] = []
        self._output: deque[str] = deque(maxlen=200)
        self._crashes: deque[float] = deque()
        self._listeners: list[StatusListener] = []
        self._stopping = False

    # --- status ----------------------------------------------------------------------------------
    def add_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Returns a function that removes the listener again."""
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def running(self) -> bool:
        task = self._start_task
        return self.pid is not None or (task is not None and not task.done())

    def output_tail(self, lines: int = TAIL_LINES) -> list[str]:
        """The last lines the server wrote to stderr (and any stray stdout lines)."""
        return list(self._output)[-lines:]

    def _set(self, state: LocalState, message: str) -> None:
        self.state, self.message = state, message
        log.info("local server %s: %s", state, message)
        for listener in list(self._listeners):
            try:
                listener(state, message)
            except Exception:
                log.exception("a local-server status listener failed")

    # --- starting --------------------------------------------------------------------------------
    async def start(self) -> str:
        """Start the server unless it runs already; returns its base URL."""
        return await self.ensure_ready()

    async def ensure_ready(self) -> str:
        """The base URL of a ready server, starting it if needed; concurrent callers share a start.

        A start the server gave up on (crashed too often, or failed to load) is tried again.
        """
        if self.state is LocalState.READY and self.base_url and self.pid is not None:
            return self.base_url
        task = self._start_task
        if task is None or task.done():
            self._crashes.clear()
            task = self._start_task = asyncio.get_running_loop().create_task(
                self._start(LocalState.STARTING, LOADING), name="local server start"
            )
        # Shielded: one caller giving up (a closed dialog) must not abort the others' start.
        return await asyncio.shield(task)

    async def wait_ready(self) -> str:
        """Wait for a start already under way, without starting one."""
        task = self._start_task
        if task is not None and not task.done():
            return await asyncio.shield(task)
        if self.state is LocalState.READY and self.base_url:
            return self.base_url
        raise LocalServerError(self.last_error or "The built-in model server is not running.")

    async def _start(self, state: LocalState, message: str) -> str:
        await self._discard_process()
        self._set(state, message)
        try:
            url = await self._spawn_and_wait()
        except asyncio.CancelledError:
            await self._discard_process()
            self._set(LocalState.STOPPED, "The built-in model server was stopped while loading.")
            raise
        except LocalServerError as exc:
            await self._discard_process()
            self.last_error = str(exc)
            self._set(LocalState.FAILED, str(exc))
            raise
        self.base_url, self.last_error = url, ""
        assert self._process is not None
        self._watch_task = asyncio.get_running_loop().create_task(
            self._watch(self._process), name="local server watch"
        )
        self._set(LocalState.READY, "The built-in model is ready.")
        return url

    async def _spawn_and_wait(self) -> str:
        self.token = secrets.token_urlsafe(32)
        argv = [*self.command, "--port", "0", "--parent-pid", str(os.getpid())]
        if self.model_path is not None:
            argv += ["--model", str(self.model_path)]
        if self.threads is not None:
            argv += ["--threads", str(self.threads)]
        argv += self.extra_args
        self._output.clear()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=server_environment(os.environ, self.token),
            )
        except OSError as exc:
            raise LocalServerError(f"Could not start the built-in model server: {exc}") from exc
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        # stderr is always drained: a chatty model loader would otherwise block on a full pipe.
        self._pipe_tasks = [asyncio.get_running_loop().create_task(self._drain(process.stderr))]
        try:
            async with asyncio.timeout(self.ready_timeout):
                url = await self._read_ready_line(process)
        except TimeoutError:
            raise LocalServerError(
                f"The built-in model server was not ready after {self.ready_timeout:g} seconds."
                + self._tail_text()
            ) from None
        self._pipe_tasks.append(asyncio.get_running_loop().create_task(self._drain(process.stdout)))
        return url

    async def _read_ready_line(self, process: asyncio.subprocess.Process) -> str:
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # an overlong line: not ours, keep reading
                continue
            if not line:
                code = await process.wait()
                await self._pipes_flushed()
                raise LocalServerError(
                    "The built-in model server stopped before it was ready "
                    f"({_describe_exit(code)})." + self._tail_text()
                )
            text = line.decode("utf-8", "replace").strip()
            if text.startswith(READY_PREFIX.strip()):
                return text[len(READY_PREFIX) :].strip()
            if text:
                self._output.append(text)

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:
                continue
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self._output.append(text)

    async def _pipes_flushed(self, timeout: float = 1.0) -> None:
        tasks = [t for t in self._pipe_tasks if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def _tail_text(self) -> str:
        tail = self.output_tail()
        return "\nIts last output:\n" + "\n".join(tail) if tail else ""

    # --- watching --------------------------------------------------------------------------------
    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if self._stopping or process is not self._process:
            return
        await self._pipes_flushed()
        if self._stopping or process is not self._process:
            return  # stopped, or a caller already started a new one while the pipes flushed
        self._process, self.base_url = None, None
        reason = _describe_exit(code)
        now = time.monotonic()
        self._crashes.append(now)
        while self._crashes and now - self._crashes[0] > self.restart_window:
            self._crashes.popleft()
        if len(self._crashes) > self.max_restarts:
            self.last_error = (
                f"The built-in model server crashed {len(self._crashes)} times within "
                f"{self.restart_window:g} seconds and was not restarted again ({reason})."
                + self._tail_text()
            )
            self._set(LocalState.FAILED, self.last_error)
            return
        task = asyncio.get_running_loop().create_task(
            self._start(
                LocalState.RESTARTING,
                f"The built-in model server crashed ({reason}); restarting it…",
            ),
            name="local server restart",
        )
        task.add_done_callback(_retrieve_exception)  # a failed restart is reported as FAILED
        self._start_task = task

    # --- stopping --------------------------------------------------------------------------------
    async def stop(self) -> None:
        """Stop the server and wait until the process is gone (SIGTERM, then SIGKILL)."""
        self._stopping = True
        try:
            for task in (self._start_task, self._watch_task):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.wait([task])
            had_process = self._process is not None
            await self._discard_process()
            if had_process or self.state is not LocalState.STOPPED:
                self._set(LocalState.STOPPED, "The built-in model server stopped.")
        finally:
            self._stopping = False

    async def set_threads(self, threads: int | None) -> None:
        """Use `threads` CPU threads (None: the server's automatic choice) from now on.

        llama.cpp fixes its threads when the model loads, so a running server is restarted
        (about half a second for the bundled model); a stopped one uses it at its next start.
        """
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1 or None, not {threads}")
        changed, self.threads = threads != self.threads, threads
        if changed and self.running:
            await self.stop()
            await self.ensure_ready()

    def kill_now(self) -> None:
        """Last resort when no event loop can run any more: SIGKILL without waiting."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def _discard_process(self) -> None:
        process, self._process, self.base_url = self._process, None, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), self.stop_grace)
            except TimeoutError:
                log.warning("local server ignored SIGTERM for %gs; killing it", self.stop_grace)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        await self._pipes_flushed()
        for task in self._pipe_tasks:
            task.cancel()
        self._pipe_tasks = []


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _retrieve_exception(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()


async def connection_for(
    endpoint: Endpoint, key: str | None, local: LocalServer
) -> tuple[str, str | None]:
    """Base URL and key to reach an endpoint; the built-in one is started on demand."""
    if endpoint.is_local:
        url = await local.ensure_ready()
        return url, local.token
    return endpoint.base_url, key


async def probe(endpoint: Endpoint, key: str | None, local: LocalServer) -> ProbeResult:
    """Test an endpoint; for the built-in one, start the server first and test it for real."""
    if not endpoint.is_local:
        return await probe_endpoint(endpoint, key)
    try:
        url, token = await connection_for(endpoint, key, local)
    except LocalServerError as exc:
        return ProbeResult(False, str(exc))
    return await probe_endpoint(endpoint, token, base_url=url)
