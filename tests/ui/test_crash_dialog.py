"""An error nobody caught shows a dialog and lands in the log, with no key in either."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.support.driving import BOX_POLL_MS, when_box_is_up
from workbench.app import crash
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.core.endpoints import EndpointKind, new_endpoint

FAKE_KEY = "sk-test-ABCDEFGHIJKLMNOPQRSTUV"
VAULT_KEY = "azure-secret-0123456789abcdef"  # not key-shaped: only the keyring knows it


def answer_crash_box(*choices: str, seen: list[dict[str, object]]) -> None:
    """Click each of `choices` in turn in the next message box (it comes back after Copy
    details), noting what it said and offered each time."""
    left = list(choices)

    def answer(box: QMessageBox) -> None:
        seen.append(
            {
                "text": f"{box.windowTitle()}\n{box.text()}\n{box.informativeText()}",
                "buttons": [b.text() for b in box.buttons()],
            }
        )
        choice = left.pop(0)
        next(b for b in box.buttons() if b.text() == choice).click()
        if left:
            QTimer.singleShot(BOX_POLL_MS, lambda: when_box_is_up(answer))

    when_box_is_up(answer)


@pytest.fixture
def log_path(ctx: AppContext) -> Iterator[Path]:
    """The app's log file, as main sets it up, for this test only."""
    path = ctx.paths.logs / "workbench.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(handler)
    yield path
    root.removeHandler(handler)
    handler.close()


@pytest.fixture
def reporter(ctx: AppContext, log_path: Path) -> Iterator[crash.CrashReporter]:
    hooks = (sys.excepthook, threading.excepthook)
    installed = crash.install(ctx)
    yield installed
    installed.uninstall()
    assert (sys.excepthook, threading.excepthook) == hooks  # other tests see their own hooks
    installed.deleteLater()


def _with_a_saved_key(ctx: AppContext) -> None:
    endpoint = new_endpoint(EndpointKind.AZURE, "Work")
    ctx.endpoints.upsert(endpoint)
    ctx.keys.set(endpoint, VAULT_KEY)


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_shows_where_the_log_is_and_no_key(
    ctx: AppContext, window: MainWindow, reporter, log_path: Path, qtbot
) -> None:
    _with_a_saved_key(ctx)

    def boom() -> None:
        raise RuntimeError(f"the server refused {FAKE_KEY} and {VAULT_KEY}")

    seen: list[dict[str, object]] = []
    answer_crash_box("Keep going", seen=seen)
    QTimer.singleShot(0, boom)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)

    text = str(seen[0]["text"])
    assert crash.TITLE in text
    assert "RuntimeError: the server refused" in text
    assert str(log_path) in text
    assert FAKE_KEY not in text and VAULT_KEY not in text
    assert set(seen[0]["buttons"]) == {"Copy details", "Quit", "Keep going"}  # type: ignore[arg-type]
    logged = log_path.read_text(encoding="utf-8")
    assert "Traceback" in logged and "in boom" in logged and "RuntimeError" in logged
    assert FAKE_KEY not in logged and VAULT_KEY not in logged
    assert "sk-…REDACTED" in logged
    assert window.isVisible()  # kept going


@pytest.mark.qt_no_exception_capture
def test_copy_details_copies_the_redacted_traceback_and_keeps_the_box(
    window: MainWindow, reporter, qtbot
) -> None:
    def boom() -> None:
        raise ValueError(f"bad value near {FAKE_KEY}")

    seen: list[dict[str, object]] = []
    answer_crash_box("Copy details", "Keep going", seen=seen)  # it comes back after copying
    QTimer.singleShot(0, boom)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert "Copied" in seen[1]["buttons"]  # type: ignore[operator]
    copied = QApplication.clipboard().text()
    assert "ValueError: bad value near" in copied and "Traceback" in copied
    assert FAKE_KEY not in copied


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_worker_thread_is_shown_and_quit_quits(
    ctx: AppContext, window: MainWindow, log_path: Path, qtbot
) -> None:
    quits: list[bool] = []
    reporter = crash.CrashReporter(log_path, quit_app=lambda: quits.append(True))
    reporter.install()
    try:
        seen: list[dict[str, object]] = []
        answer_crash_box("Quit", seen=seen)

        def work() -> None:
            raise OSError(f"disk said no, key {FAKE_KEY}")

        worker = threading.Thread(target=work, name="decoder")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: bool(quits), timeout=5000)
    finally:
        reporter.uninstall()
        reporter.deleteLater()
    assert "OSError: disk said no" in str(seen[0]["text"])
    assert FAKE_KEY not in str(seen[0]["text"])
    assert "thread decoder" in log_path.read_text(encoding="utf-8")


def test_key_shaped_text_and_bearer_tokens_are_scrubbed() -> None:
    text = crash.scrub(
        f"Authorization: Bearer abcdefgh12345678 key={FAKE_KEY} known=hunter2hunter2",
        ["hunter2hunter2"],
    )
    assert "abcdefgh12345678" not in text and FAKE_KEY not in text and "hunter2" not in text
