"""Smoke test of a built .deb: install it, start the app and its frozen server, measure, clean up.

    python packaging/smoke.py [--deb dist/workbench_X_amd64.deb] [--dpkg] [--json FILE]

By default the package is unpacked into a scratch root (`dpkg-deb -x`, no root needed, nothing
on the machine changes) and run from there; `--dpkg` installs it for real with `dpkg -i` (root)
and runs /usr/bin/workbench, then removes it again. Standard library only, so any Python 3.11 runs
it. Exit status 0 when every check passed; the figures are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "The quick brown fox jumps over the lazy dog."
PROMPT = "Say hello"
SERVER_READY_S = 180
APP_LIMIT_S = 300


class SmokeFailure(AssertionError):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    print(f"  ok: {message}")


def fresh_user(scratch: Path) -> dict[str, str]:
    """The environment of a user who never ran Workbench: an empty HOME in `scratch`."""
    home = scratch / "home"
    home.mkdir()
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(scratch),
        "XDG_RUNTIME_DIR": str(scratch),
    }


def find_deb(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    debs = sorted((ROOT / "dist").glob("workbench_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1] if debs else None


# --- installing ----------------------------------------------------------------------------------
def unpack(deb: Path, scratch: Path) -> Path:
    """The package's files under `scratch`; returns the executable's path."""
    root = scratch / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root / "opt" / "workbench" / "workbench"


def deb_to_test(explicit: str | None, tools: tuple[str, ...], test: str) -> Path | None:
    """The .deb to test, or None after saying what is missing (no package, or a tool)."""
    deb = find_deb(explicit)
    if deb is None or not deb.is_file():
        print("No .deb: build one with `bash packaging/build.sh`.", file=sys.stderr)
        return None
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"{tool} is needed for the {test}.", file=sys.stderr)
            return None
    return deb


def run_main(main: Callable[[], int], name: str) -> None:
    """Exits with main's status; a failed check says `NAME FAILED: why` and exits 1."""
    try:
        sys.exit(main())
    except SmokeFailure as failure:
        print(f"{name} FAILED: {failure}", file=sys.stderr)
        sys.exit(1)


def install(deb: Path) -> Path:
    if os.geteuid() != 0:
        raise SmokeFailure("--dpkg installs the package and needs root")
    subprocess.run(["dpkg", "-i", str(deb)], check=True, stdout=subprocess.DEVNULL)
    return Path("/usr/bin/workbench")


def uninstall() -> None:
    subprocess.run(["dpkg", "--purge", "workbench"], check=True, stdout=subprocess.DEVNULL)
    check(not Path("/opt/workbench").exists(), "dpkg --purge removes /opt/workbench")


def check_package(deb: Path) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True
    ).stdout
    for path in (
        "./opt/workbench/workbench",
        "./usr/bin/workbench",
        "./usr/share/applications/workbench.desktop",
        "./usr/share/icons/hicolor/scalable/apps/workbench.svg",
    ):
        check(f" {path}" in listing, f"the package contains {path}")
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], check=True, capture_output=True, text=True
    ).stdout
    missing = []
    for clause in fields.split(","):
        names = [alt.strip().split(" ")[0] for alt in clause.split("|")]
        if not any(_installed(n) for n in names):
            missing.append(clause.strip())
    check(not missing, f"its Depends are installed here (missing: {missing or 'none'})")


def _installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return "install ok installed" in result.stdout


# --- processes -----------------------------------------------------------------------------------
def processes_from(folder: Path) -> list[tuple[int, str]]:
    """Running processes whose executable lies under `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            exe = os.readlink(entry / "exe")
            if exe.startswith(str(folder)):
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(entry.name), cmd.strip()))
    return found


def assert_nothing_left(folder: Path, what: str) -> None:
    deadline = time.monotonic() + 10
    left = processes_from(folder)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_from(folder)
    for pid, _cmd in left:  # ours: started by this script, directly or through the app
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    check(not left, f"no process left behind after {what} (found: {left or 'none'})")


# --- the frozen server ---------------------------------------------------------------------------
def _request(url: str, token: str, body: bytes | None = None, ctype: str = "application/json"):
    req = urllib.request.Request(url, data=body, headers={"Authorization": f"Bearer {token}"})
    if body is not None:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=120) as response:
        return response.read()


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def smoke_server(exe: Path, env: dict[str, str], figures: dict[str, float]) -> None:
    print("The frozen server (workbench --local-server): speech, then transcription of it")
    token = secrets.token_urlsafe(24)
    started = time.monotonic()
    process = subprocess.Popen(
        [str(exe), "--local-server", "--port", "0", "--parent-pid", str(os.getpid())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**env, "WORKBENCH_LOCAL_TOKEN": token},
    )
    try:
        url = _wait_ready(process)
        figures["server_ready_s"] = time.monotonic() - started
        check(url.startswith("http://127.0.0.1:"), f"it prints READY {url}")
        models = json.loads(_request(f"{url}/models", token))
        check(models.get("data"), f"/v1/models lists {[m['id'] for m in models['data']]}")
        body = json.dumps(
            {"model": "tts-1", "voice": "alloy", "input": SENTENCE, "response_format": "wav"}
        ).encode()
        wav = _request(f"{url}/audio/speech", token, body)
        check(wav[:4] == b"RIFF" and len(wav) > 10_000, f"eSpeak NG speaks ({len(wav)} bytes WAV)")
        form, ctype = _multipart({"model": "whisper-1"}, "file", "fox.wav", wav)
        t = time.monotonic()
        text = json.loads(_request(f"{url}/audio/transcriptions", token, form, ctype))["text"]
        figures["transcription_first_s"] = time.monotonic() - t
        heard = sum(w in text.lower() for w in ("quick", "brown", "fox", "lazy", "dog"))
        check(heard >= 4, f"Whisper transcribes it: {text.strip()!r}")
        chat = json.dumps(
            {
                "model": models["data"][0]["id"],
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 16,
            }
        ).encode()
        answer = json.loads(_request(f"{url}/chat/completions", token, chat))
        content = answer["choices"][0]["message"]["content"]
        check(content.strip(), f"SmolLM2 answers: {content.strip()[:60]!r}")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    check(process.returncode is not None, f"it stops on SIGTERM (exit {process.returncode})")


def _wait_ready(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + SERVER_READY_S
    buffer = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith("READY "):
                    return line[len("READY ") :].strip()
        elif process.poll() is not None:
            break
    err = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
    raise SmokeFailure(f"the server never printed READY (exit {process.poll()}): {err}")


# --- the app under Xvfb --------------------------------------------------------------------------
@contextlib.contextmanager
def virtual_screen():
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    # Xvfb writes the number, then a newline: keep reading to the newline (closing the pipe
    # early kills it with SIGPIPE).
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 64)
        if not chunk:
            break
        number += chunk
    number = number.decode().strip()
    try:
        yield f":{number}"
    finally:
        os.close(read)
        xvfb.terminate()
        xvfb.wait(10)


def drop_caches() -> bool:
    """A cold start means the bundle is not in the page cache: drop it, if allowed (root)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def run_app(exe: Path, env: dict[str, str], args: list[str], ready_file: Path) -> float:
    """Runs the app to its exit; returns the launch time (time.time())."""
    launched = time.time()
    result = subprocess.run(
        [str(exe), *args],
        env={**env, "WORKBENCH_BENCH_READY_FILE": str(ready_file)},
        capture_output=True,
        text=True,
        timeout=APP_LIMIT_S,
    )
    detail = "" if result.returncode == 0 else f": {result.stderr[-1500:]}"
    check(result.returncode == 0, f"workbench {' '.join(args[2:])} exits 0{detail}")
    return launched


def smoke_app(exe: Path, env: dict[str, str], scratch: Path, figures: dict[str, float]) -> None:
    print("The app under Xvfb, fresh HOME and data folder")
    cold = drop_caches()
    figures["cold_cache"] = float(cold)
    shot = scratch / "window.png"
    ready = scratch / "ready-1"
    launched = run_app(
        exe, env, ["--data-dir", str(scratch / "data1"), "--screenshot", str(shot)], ready
    )
    check(shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"it saved its window as {shot.name}")
    painted = float(ready.read_text().split()[1])
    figures["start_to_first_window_s"] = painted - launched
    print(f"  start to first window: {painted - launched:.2f} s (page cache dropped: {cold})")

    answered = scratch / "answer.png"
    data = scratch / "data2"
    ready = scratch / "ready-2"
    launched = run_app(
        exe,
        env,
        ["--data-dir", str(data), "--prompt", PROMPT, "--screenshot", str(answered)],
        ready,
    )
    check(
        answered.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"it saved the answer as {answered.name}"
    )
    figures["second_start_to_first_window_s"] = float(ready.read_text().split()[1]) - launched
    with contextlib.closing(sqlite3.connect(data / "workbench.db")) as db:
        db.row_factory = sqlite3.Row
        run = db.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        check(run is not None, "the prompt made a run in the store")
        check(
            run["status"] == "complete", f"the run finished ({run['status']}, model {run['model']})"
        )
        answer = db.execute(
            "SELECT content FROM messages WHERE role = 'assistant' ORDER BY created_at DESC"
        ).fetchone()
        check(answer and answer[0].strip(), f"the answer was stored: {answer[0].strip()[:60]!r}")
    # The store fills ttft_ms (from the request's start); its first_token_at column stays empty.
    check(run["ttft_ms"] is not None, f"the run has a first-token time ({run['ttft_ms']:.0f} ms)")
    first_token = datetime.fromisoformat(run["started_at"]).timestamp() + run["ttft_ms"] / 1000
    figures["launch_to_first_token_s"] = first_token - launched
    figures["ttft_after_send_ms"] = float(run["ttft_ms"] or 0)
    print(f"  launch to first streamed token: {first_token - launched:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", help="the .deb to test (default: the newest in dist/)")
    parser.add_argument("--dpkg", action="store_true", help="install with dpkg -i (root)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    deb = deb_to_test(args.deb, ("dpkg-deb", "Xvfb"), "smoke test")
    if deb is None:
        return 2
    print(f"Smoke test of {deb}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="workbench-smoke-") as tmp:
        scratch = Path(tmp)
        check_package(deb)
        exe = install(deb) if args.dpkg else unpack(deb, scratch)
        bundle = Path("/opt/workbench") if args.dpkg else exe.parent
        env = fresh_user(scratch)
        try:
            out = subprocess.run([str(exe), "--version"], env=env, capture_output=True, text=True)
            check(
                out.returncode == 0 and "Workbench" in out.stdout,
                f"--version: {out.stdout.strip()}",
            )
            smoke_server(exe, env, figures)
            assert_nothing_left(bundle, "the server")
            with virtual_screen() as display:
                smoke_app(exe, {**env, "DISPLAY": display}, scratch, figures)
            assert_nothing_left(bundle, "the app")
        finally:
            if args.dpkg:
                uninstall()
    print("Figures:")
    for name, value in figures.items():
        print(f"  {name}: {value:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print("SMOKE PASSED")
    return 0


if __name__ == "__main__":
    run_main(main, "SMOKE")
