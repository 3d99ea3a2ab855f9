"""Start-up: the real app to its first painted window, and its memory at idle, against a bare
PySide6 QMainWindow measured in the same run.

Both run under one Xvfb (started here on a free display, 1600x1000, no window manager), each as
its own process, started the same way. The clock starts just before the process is spawned and
stops when the window's first frame has been painted: the process writes two stamps (first paint
event of the main window, and the next event-loop turn, once the frame is painted and flushed)
into the file named by WORKBENCH_BENCH_READY_FILE (`workbench.app.first_paint`; the bare script
uses the same module). After --idle seconds the process's memory is read from
/proc/<pid>/smaps_rollup (Rss, Pss). The app runs as a user starts it: `python -m
workbench.app.main --data-dir <tmp>`, the built-in model endpoint active, so its server starts in
the background; the time from launch to "built-in model ready" (from the app's log) is printed
too, to show that start is not held back. One warm-up launch of each (not counted) creates the
data folder and warms the disk cache; then --runs launches of each, alternating; medians.

By default the data folder is new, as at a user's first start. `--history N` first stores one
session of N messages (markdown answers with code), which the app reopens at start as it does for
a returning user: the chat renders it and counts its tokens (loading tiktoken's encoding).

Run: .venv/bin/python -m bench.startup [--runs 7] [--idle 4] [--history 0] [--importtime FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbench.app.first_paint import READY_FILE_ENV

ROOT = Path(__file__).resolve().parent.parent
SCREEN = "1600x1000x24"
READY_TIMEOUT_S = 60.0
MODEL_READY_TIMEOUT_S = 120.0
GOAL_WINDOW_S = 1.0
GOAL_RSS_MIB = 200.0

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
from workbench.app.first_paint import report_first_paint

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("Workbench")
window.resize(1280, 800)
report_first_paint(window)
window.show()
sys.exit(app.exec())
"""


@dataclass(frozen=True, slots=True)
class Launch:
    paint_event_s: float  # spawn to the window's first paint event
    painted_s: float  # spawn to the end of that frame
    rss_mib: float
    pss_mib: float
    model_ready_s: float | None = None  # spawn to "built-in model ready" in the app's log


class Xvfb:
    """A private X server on a free display, for as long as the bench runs."""

    def __enter__(self) -> str:
        read, write = os.pipe()
        self._process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self._process.kill()
            raise RuntimeError("Xvfb did not start (apt-get install xvfb)")
        return f":{number}"

    def __exit__(self, *_exc: object) -> None:
        self._process.terminate()
        self._process.wait(10)


def memory_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_unit = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return fields["Rss"], fields["Pss"]


def _model_ready_at(log: Path) -> float | None:
    """When the app's log says the built-in model is ready, as time.time()."""
    if not log.exists():
        return None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "local server ready" in line:
            stamp = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})", line)
            if stamp:
                when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
                return when + int(stamp.group(2)) / 1000
    return None


def launch(
    command: list[str],
    display: str,
    work: Path,
    idle_s: float,
    log: Path | None = None,
    stderr: Path | None = None,
) -> Launch:
    ready = work / "ready"
    ready.unlink(missing_ok=True)
    if log is not None:
        log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        READY_FILE_ENV: str(ready),
        "PYTHONPATH": str(ROOT),
    }
    err = stderr.open("w") if stderr else subprocess.DEVNULL
    started = time.time()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,  # its own group: the model server it starts goes with it
    )
    try:
        deadline = started + READY_TIMEOUT_S
        while not ready.exists():
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode} before painting")
            if time.time() > deadline:
                raise RuntimeError(f"{command} painted no window in {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.002)
        paint_event, painted = (float(x) for x in ready.read_text().split())
        time.sleep(idle_s)
        rss, pss = memory_mib(process.pid)
        model_ready = None
        if log is not None:
            deadline = time.time() + MODEL_READY_TIMEOUT_S
            while (at := _model_ready_at(log)) is None and time.time() < deadline:
                time.sleep(0.05)
            model_ready = None if at is None else at - started
        return Launch(paint_event - started, painted - started, rss, pss, model_ready)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if stderr:
            err.close()  # type: ignore[union-attr]


ANSWER = (
    "Here is a short answer with **bold** text, a list and some code.\n\n"
    "- first point, with `inline code`\n- second point\n\n"
    "```python\ndef greet(name: str) -> str:\n    return f'Hello, {name}!'\n```\n\n"
    "That should do it. Ask again if anything is unclear.\n"
)


def seed_history(data: Path, messages: int) -> None:
    """One session of `messages` messages, stored through the app's own store, as if chatted."""
    from workbench.core.sessions import Role
    from workbench.services.store import Store

    data.mkdir(parents=True, exist_ok=True)
    store = Store.open(data / "workbench.db")
    try:
        session = store.sessions.create("Earlier chat")
        parent = None
        for number in range(messages):
            asked = number % 2 == 0
            role, text = (Role.USER, f"Question {number}?") if asked else (Role.ASSISTANT, ANSWER)
            parent = store.conversation.add(session, role, text, parent)
    finally:
        store.close()


def _median(launches: list[Launch], field: str) -> float:
    values = [getattr(x, field) for x in launches if getattr(x, field) is not None]
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle", type=float, default=4.0, help="seconds before reading memory")
    parser.add_argument("--history", type=int, default=0, help="messages in a stored session")
    parser.add_argument(
        "--importtime", metavar="FILE", help="also run the app once with -X importtime into FILE"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, Xvfb() as display:
        work = Path(folder)
        data = work / "data"
        log = data / "logs" / "workbench.log"
        app = [sys.executable, "-m", "workbench.app.main", "--data-dir", str(data)]
        if args.history:
            seed_history(data, args.history)
        bare = [sys.executable, "-c", BARE]
        launch(app, display, work, 0.5, log)  # warm-up: creates the data folder
        launch(bare, display, work, 0.5)
        apps: list[Launch] = []
        bares: list[Launch] = []
        for number in range(args.runs):
            pair = [(bare, bares, None), (app, apps, log)]
            for command, into, app_log in pair if number % 2 else reversed(pair):
                into.append(launch(command, display, work, args.idle, app_log))
            print(
                f"run {number + 1}: app {apps[-1].painted_s:.3f} s {apps[-1].rss_mib:.0f} MiB, "
                f"bare {bares[-1].painted_s:.3f} s {bares[-1].rss_mib:.0f} MiB",
                file=sys.stderr,
            )
        if args.importtime:
            target = Path(args.importtime)
            launch([sys.executable, "-X", "importtime", *app[1:]], display, work, 1.0, None, target)
            print(f"import times of one app start: {target}", file=sys.stderr)

    rows = (
        ("first paint event", "paint_event_s", 1000, "ms"),
        ("window painted", "painted_s", 1000, "ms"),
        ("RSS at idle", "rss_mib", 1, "MiB"),
        ("PSS at idle", "pss_mib", 1, "MiB"),
    )
    start = f"a stored session of {args.history} messages" if args.history else "a new data folder"
    print(f"{args.runs} launches each, medians; memory after {args.idle:g} s idle; app on {start}")
    print(f"{'':<22}{'app':>10}{'bare Qt':>10}{'app/bare':>10}{'app worst':>11}")
    for label, field, scale, unit in rows:
        a, b = _median(apps, field) * scale, _median(bares, field) * scale
        worst = max(getattr(x, field) for x in apps) * scale
        print(f"{label + ' (' + unit + ')':<22}{a:>10.0f}{b:>10.0f}{a / b:>9.2f}x{worst:>11.0f}")
    window_s = _median(apps, "painted_s")
    rss = _median(apps, "rss_mib")
    print(f"goal: window painted <= {GOAL_WINDOW_S:.1f} s: {'PASS' if window_s <= 1 else 'FAIL'}")
    print(f"goal: RSS at idle < {GOAL_RSS_MIB:.0f} MiB: {'PASS' if rss < 200 else 'FAIL'}")
    print(f"built-in model ready after launch (median): {_median(apps, 'model_ready_s'):.2f} s")


if __name__ == "__main__":
    main()
