"""A stand-in for `workbench.local_server` that starts in a blink (standard library only).

It takes the same arguments and the token from the same environment variable, waits
``FAKE_LOCAL_DELAY`` seconds ("loading the model"), prints ``READY http://127.0.0.1:PORT/v1``
and serves ``GET /v1/models`` behind the bearer token. Knobs, all through the environment:

- ``FAKE_LOCAL_DELAY``: seconds before READY (default 0.2)
- ``FAKE_LOCAL_FAIL``: exit with this code before READY, after writing a few stderr lines
- ``FAKE_LOCAL_STARTS``: a file that gets one line (this pid) per start, to count starts
- ``FAKE_LOCAL_IGNORE_TERM``: "1" to ignore SIGTERM, so only SIGKILL ends it

Run it as ``python tests/support/fake_local_server.py --port 0 --parent-pid PID``.

The drills at the end (kill the app, quit the app) run with this fake or with the real server.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN_ENV = "WORKBENCH_LOCAL_TOKEN"
MODELS = ("smollm2-135m-instruct", "whisper-tiny.en")
SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[2]


# The app hands its server only an allow-list of variables; the knobs above must get through.
PASS_ENV = "WORKBENCH_LOCAL_PASS_ENV"


def command() -> list[str]:
    """The command a LocalServer should run to start this fake (its knobs are let through the
    server's environment for the rest of the test run, as a user would with PASS_ENV)."""
    os.environ.setdefault(PASS_ENV, "FAKE_LOCAL_*")
    return [sys.executable, str(SCRIPT)]


class Handler(BaseHTTPRequestHandler):
    token = ""

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self._json(401, {"error": {"message": "bad token", "type": "invalid_request_error"}})
        elif self.path.rstrip("/") == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "workbench"} for m in MODELS
            ]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def _json(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        pass


def watch_parent(parent_pid: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(0.2)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int)
    parser.add_argument("--model")
    args, _unknown = parser.parse_known_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < 16:
        print(f"fake local server: set {TOKEN_ENV}", file=sys.stderr)
        return 2
    if starts := os.environ.get("FAKE_LOCAL_STARTS"):
        with open(starts, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    if os.environ.get("FAKE_LOCAL_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.parent_pid:
        watch_parent(args.parent_pid)
    print("loading the model from", args.model or "(default)", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("FAKE_LOCAL_DELAY", "0.2")))
    if fail := os.environ.get("FAKE_LOCAL_FAIL"):
        print("llama_model_load: error loading model: tensor 'blk.0' is corrupt", file=sys.stderr)
        print("fake local server: could not load the model", file=sys.stderr, flush=True)
        return int(fail)
    Handler.token = token
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"READY http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


# --- drills: the app's side, in a child process of the test -----------------------------------
def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def servers_started_by(app_pid: int) -> list[int]:
    """Live processes given `--parent-pid app_pid`: the built-in servers that app started."""
    wanted = [b"--parent-pid", str(app_pid).encode()]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        pairs = [argv[i : i + 2] for i in range(len(argv) - 1)]
        if wanted in pairs and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _server_factory(server: str) -> str:
    return "fake_local_server.command()" if server == "fake" else "None"


APP_SCRIPT = """
import asyncio, sys
from tests.support import fake_local_server
from workbench.services.local import LocalServer

async def main():
    server = LocalServer(command={factory})
    await server.ensure_ready()
    print("SERVER", server.pid, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def start_server_from_child(tmp_path: Path, server: str) -> tuple[subprocess.Popen[str], int]:
    """A child process that starts the built-in server through LocalServer and then idles.

    `server` is "fake" or "real". Returns the child and the server's pid.
    """
    script = tmp_path / "app_with_server.py"
    script.write_text(APP_SCRIPT.format(factory=_server_factory(server)))
    child = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith("SERVER "):
        child.kill()
        child.wait()
        raise AssertionError(f"the child did not start a server: {line!r}")
    return child, int(line.split()[1])


QUIT_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from PySide6.QtCore import QTimer
    import workbench.app.qt_app as qt_app
    from workbench.services.local import LocalServer, LocalState
    from workbench.services.paths import data_paths
    from tests.support import fake_local_server

    seen = []

    class Window(qt_app.MainWindow):
        def __init__(self, ctx):
            if sys.argv[2] == "fake":
                ctx.local = LocalServer(command=fake_local_server.command())
            super().__init__(ctx)

            def quit_once_ready():
                loading = ctx.local.state is LocalState.STARTING and ctx.local.pid
                if ctx.local.state is LocalState.READY or (sys.argv[3] == "loading" and loading):
                    seen.append(ctx.local.pid)
                    self.close()
                elif ctx.local.state is LocalState.FAILED:
                    print("FAILED", ctx.local.message, flush=True)
                    self.close()

            self._poll = QTimer(self, interval=50)
            self._poll.timeout.connect(quit_once_ready)
            self._poll.start()

    qt_app.MainWindow = Window
    code = qt_app.run(data_paths(sys.argv[1]))
    # Checked before this process ends, so the server's own parent watch can't be what ended it.
    print("SERVER", seen[0] if seen else None, flush=True)
    print("LEFT", bool(seen) and fake_local_server.alive(seen[0]), flush=True)
    sys.exit(code)
    """
)


def run_app_until_local_ready_then_quit(
    tmp_path: Path, server: str, *, quit_while_loading: bool = False
) -> list[str]:
    """Run the app as `workbench` does (Local active, no screenshot): it starts the built-in
    server in the background; close the window once it is ready (or while it still loads).
    Returns the script's output: the last lines are `SERVER <pid>` and
    `LEFT <still running right after quit?>`."""
    script = tmp_path / "quit_app.py"
    script.write_text(QUIT_SCRIPT)
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path / "data"),
            server,
            "loading" if quit_while_loading else "ready",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout.splitlines()


if __name__ == "__main__":
    sys.exit(main())
