"""An error nobody caught: written to the log with secrets taken out, then explained in a dialog,
never a silent exit.

It catches what reaches `sys.excepthook` (an exception in a Qt slot or event handler),
`threading.excepthook` (a worker thread) and the asyncio loop's exception handler (a callback or
a task whose error nobody read). Keys and tokens never reach the log or the dialog: every value
the keyring holds for an endpoint, the built-in server's token, and anything shaped like an API
key or a bearer credential is replaced first.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from workbench.core.endpoints import endpoint_secrets, redact

if TYPE_CHECKING:
    from workbench.app.context import AppContext

log = logging.getLogger(__name__)

TITLE = "Workbench hit a problem it did not expect"
LOG_NAME = "workbench.log"  # as main.configure_logging names it
KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_-]{16,}")
BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
# Not worth a dialog from the asyncio loop: a cancelled task, a connection the peer dropped.
LOOP_NOISE = (asyncio.CancelledError, ConnectionError)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the known secrets, and without anything that looks like a key."""
    text = redact(text, secrets)
    text = KEY_LIKE.sub("sk-…REDACTED", text)
    return BEARER.sub(r"\1…REDACTED", text)


def known_secrets(ctx: AppContext) -> list[str]:
    """Every endpoint's key and secret headers as the keyring holds them, and the built-in
    server's token. A keyring that fails to answer leaves only the shape-based redaction."""
    found: list[str] = [ctx.local.token] if len(ctx.local.token) >= 8 else []
    for endpoint in list(ctx.endpoints.endpoints):
        try:
            key = ctx.keys.get(endpoint)
        except Exception:  # a crash report must not crash on the keyring
            key = None
        found.extend(endpoint_secrets(endpoint, key))
    return found


def log_file(logs: Path) -> Path:
    """The log file in the data folder's `logs` that the root logger writes to, or where main
    puts it."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            path = Path(handler.baseFilename)
            if path.parent == logs.absolute():
                return path
    return logs / LOG_NAME


class CrashReporter(QObject):
    """Logs an uncaught error and shows it; one dialog at a time, each problem shown once."""

    # The dialog is always shown from the event loop, never inside the hook that caught it.
    _report = Signal(str, str)  # one-line summary, the redacted traceback

    def __init__(
        self,
        log_path: Path,
        secrets: Callable[[], Iterable[str]] = tuple,
        quit_app: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(QApplication.instance())  # never left to the cyclic GC
        self.log_path = log_path
        self._secrets = secrets
        self._quit = quit_app or _quit_app
        self._showing = False
        self._shown: set[str] = set()
        self._previous: tuple[Any, Any] | None = None
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # --- installing ------------------------------------------------------------------------------
    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
            sys.excepthook = self.excepthook
            threading.excepthook = self.thread_excepthook
        if loop is not None and loop.get_exception_handler() is None:
            loop.set_exception_handler(self.loop_exception)
            self._loops.append(loop)

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
        for loop in self._loops:
            if not loop.is_closed() and loop.get_exception_handler() == self.loop_exception:
                loop.set_exception_handler(None)
        self._loops.clear()

    # --- the hooks -------------------------------------------------------------------------------
    def excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):  # Ctrl+C in a terminal: Python's own way
            sys.__excepthook__(kind, error, tb)
            return
        self.report((kind, error, tb), "an event handler")

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a worker thread"
        self.report((args.exc_type, args.exc_value, args.exc_traceback), f"thread {name}")

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if not isinstance(error, BaseException) or isinstance(error, LOOP_NOISE):
            message = scrub(str(context.get("message", "")), self._safe_secrets())
            log.warning("asyncio: %s%s", message, f" ({type(error).__name__})" if error else "")
            return
        self.report((type(error), error, error.__traceback__), "a background task")

    # --- reporting -------------------------------------------------------------------------------
    def report(self, exc: ExcInfo, where: str) -> None:
        """Log now (from any thread); the dialog follows on Qt's thread."""
        secrets = self._safe_secrets()
        details = scrub("".join(traceback.format_exception(*exc)), secrets)
        summary = scrub(_one_line(exc[1]), secrets)
        log.error("Uncaught error in %s:\n%s", where, details.rstrip())
        _flush_logs()
        self._report.emit(summary, details)

    def _safe_secrets(self) -> list[str]:
        try:
            return list(self._secrets())
        except Exception:
            return []

    def _show(self, summary: str, details: str) -> None:
        if self._showing or summary in self._shown:  # logged; one box at a time, once each
            return
        self._showing = True
        self._shown.add(summary)
        try:
            if ask(summary, details, self.log_path, _usable_window()) == "quit":
                self._quit()
        finally:
            self._showing = False


def ask(
    summary: str,
    details: str,
    log_path: Path,
    parent: QWidget | None,
    closing: str = "The window is gone, so Workbench has to close.",
) -> str:
    """The dialog: what happened, where the log is; "quit" or "keep going" (only with a window
    to keep going in; without one, `closing` says why it ends)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Workbench", TITLE, parent=parent)
    box.setObjectName("crash_dialog")
    box.setInformativeText(
        f"{summary}\n\nThe details are in the log file:\n{log_path}\n\n"
        + (
            "You can keep going, but save your work soon: something may not work as it should."
            if parent is not None
            else closing
        )
    )
    for label in box.findChildren(QLabel):  # the log's path can be selected and copied
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
    keep = None
    if parent is not None:
        keep = box.addButton("Keep going", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(keep or quit_button)
    box.setEscapeButton(keep or quit_button)
    while True:
        box.exec()
        if box.clickedButton() is not copy:
            break
        QApplication.clipboard().setText(f"{TITLE}\n{summary}\nLog: {log_path}\n\n{details}")
        copy.setText("Copied")
    return "keep going" if keep is not None and box.clickedButton() is keep else "quit"


def install(ctx: AppContext, loop: asyncio.AbstractEventLoop | None = None) -> CrashReporter:
    """The app's reporter, hooked in until `uninstall`."""
    reporter = CrashReporter(log_file(ctx.paths.logs), lambda: known_secrets(ctx))
    reporter.install(loop)
    return reporter


def report_fatal(error: BaseException, log_path: Path, secrets: Iterable[str] = ()) -> None:
    """An error before the main window is up (opening the store, building the window): no hook
    would show it and the process would just end. Logged without secrets, then shown; the caller
    exits once it is answered."""
    known = list(secrets)
    details = scrub("".join(traceback.format_exception(error)), known)
    summary = scrub(_one_line(error), known)
    log.error("Workbench could not start:\n%s", details.rstrip())
    _flush_logs()
    ask(summary, details, log_path, None, "Workbench could not open its window, so it closes now.")


def startup_secrets(ctx: AppContext | None) -> list[str]:
    """What to take out of a start-up failure's report: whatever the context got to know."""
    if ctx is None:
        return []
    try:
        return known_secrets(ctx)
    except Exception:  # the report must go out even if the context is half-built
        return []


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()  # on disk before anything else can go wrong


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _usable_window() -> QWidget | None:
    """The window to keep going in, if one is still up."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return None
    active = app.activeWindow()
    if active is not None and active.isVisible():
        return active
    return next((w for w in app.topLevelWidgets() if w.isWindow() and w.isVisible()), None)


def _quit_app() -> None:
    QApplication.closeAllWindows()  # each window's close keeps what is in flight
    app = QApplication.instance()
    if app is not None:
        app.quit()
