"""The Qt side of start-up: one QApplication, one qasync loop, the window, an orderly quit."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench import __version__
from workbench.app import crash
from workbench.app.context import AppContext
from workbench.app.crash import log_file
from workbench.app.first_paint import on_first_paint, report_first_paint
from workbench.app.local_model import stop_after_loop
from workbench.app.main_window import MainWindow
from workbench.app.resources import icon_path
from workbench.app.single_instance import (
    OwnerAnswer,
    ask_running_to_activate,
    bring_to_front,
    listen_for_launches,
    wait_for_owner,
)
from workbench.app.startup import StoreChoice, open_store
from workbench.services.connector import preload_sdk
from workbench.services.paths import DataPaths
from workbench.services.store import Store, StoreError
from workbench.ui.theme import follow_system_scheme

log = logging.getLogger(__name__)

SCREENSHOT_SETTLE_MS = 700
TOKENS_HELD_MAX_MS = 3000  # released at the first frame, or by then if none comes
PROMPT_SCREENSHOT_LIMIT_MS = 120_000
CANCELLED_TASKS_WAIT_S = 5.0
OWNER_STARTING_S = 5.0  # how long a locked folder's owner may take to start answering


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        QGuiApplication.highDpiScaleFactorRoundingPolicy().PassThrough
    )
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Workbench")
    app.setApplicationDisplayName("Workbench")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("workbench")
    app.setWindowIcon(QIcon(str(icon_path("workbench.svg"))))
    follow_system_scheme(app)
    return app


def ask_about_store(problem: StoreError) -> StoreChoice:
    """What is wrong with the database and what to do, offering only choices that can work."""
    log.warning("The database can't be used: %s", problem)  # the log says why it stopped
    box = QMessageBox(QMessageBox.Icon.Critical, "Workbench can't open its database", str(problem))
    advice = problem.advice
    if problem.can_start_fresh:
        advice += (
            f"\nStart Fresh renames {problem.path.name} and keeps it, every byte, in "
            f"{problem.path.parent}, then opens a new database."
        )
    box.setInformativeText(advice + "\nQuit changes nothing.")
    choices = {}
    if problem.can_start_fresh:
        choices[box.addButton("Start Fresh", QMessageBox.ButtonRole.AcceptRole)] = (
            StoreChoice.START_FRESH
        )
    if problem.can_retry:
        choices[box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)] = StoreChoice.RETRY
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return choices.get(box.clickedButton(), StoreChoice.QUIT)


def save_screenshot(window: MainWindow, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")


def say_already_running(paths: DataPaths, prompt: str | None = None) -> int:
    sent = " and the prompt is sent there, in a new session" if prompt else ""
    print(
        f"Workbench is already running on {paths.root}: its window was brought to the front{sent}.",
        file=sys.stderr,
    )
    return 0


async def until_quit(quitting: asyncio.Event, cancel_all: Callable[[], None]) -> None:
    """Waits for the quit, then lets every task cancelled by it (an answer still streaming)
    unwind while the loop still runs. qasync's run_until_complete processes Qt's events once
    more after the loop stopped: a cancellation left to that pass runs with no running loop,
    the HTTP library's clean-up raises, and the run logged that as its failure."""
    await quitting.wait()
    cancel_all()
    try:
        current = asyncio.current_task()
    except RuntimeError:  # Qt quit on its own (the desktop session ends): no loop to unwind in
        return
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=CANCELLED_TASKS_WAIT_S)


def open_window(
    app: QApplication, paths: DataPaths, loop: asyncio.AbstractEventLoop, prompt: str | None
) -> tuple[AppContext, MainWindow, crash.CrashReporter] | int:
    """The store, the context and the shown main window; or the exit code when there is none.

    An error on the way (opening the store, building the window) is logged and shown in the
    crash dialog here: with no window and no running loop yet, no hook would show it and the
    app would vanish without a word."""
    store: Store | None = None
    ctx: AppContext | None = None
    reporter: crash.CrashReporter | None = None
    try:
        store, kept = open_store(paths.database, ask_about_store)
        if store is None:
            return 1
        if not store.owner:
            answer = wait_for_owner(paths.root, paths.database, OWNER_STARTING_S, prompt)
            if answer is OwnerAnswer.ANSWERED:
                store.close()
                loop.close()
                return say_already_running(paths, prompt)
            if answer is OwnerAnswer.GONE:  # it was quitting: open again as the folder's owner
                store.close()
                store, kept = open_store(paths.database, ask_about_store)
                if store is None:
                    return 1
        ctx = AppContext.build(paths, store, loop)
        reporter = crash.install(ctx, loop)  # an uncaught error: logged (no secrets) and shown
        # Counting the reopened session loads tiktoken (~0.7 s holding the GIL in a worker thread):
        # after the first frame, or that frame waits for it.
        ctx.tokens.hold()
        window = MainWindow(ctx)
        if kept is not None:
            window.say(f"The old database was kept as {kept.name}.")
        if store.owner:  # only the owner may take over a dead process's socket name

            def activate(asked: str | None) -> None:
                bring_to_front(window)
                if asked:  # `workbench --prompt` while this one runs: asked here, in a new session
                    window.ask(asked)

            launches = listen_for_launches(paths.root, activate, window)
            if launches is not None:  # a launch while this one quits must not be sent to it
                app.lastWindowClosed.connect(launches.close)
        else:  # its owner is alive but frozen: show the folder read-only; its answers are its own
            log.info("opened read-only: the data folder's owner did not answer")
            window.say(
                "Another Workbench is using this data folder and did not answer: this window is "
                "read-only."
            )

        def after_first_frame(_started: float, _painted: float) -> None:
            ctx.tokens.release()
            # The SDK is imported off the UI thread now, so the first Send does not pay ~0.45 s.
            loop.run_in_executor(None, preload_sdk)

        on_first_paint(window, after_first_frame)
        QTimer.singleShot(TOKENS_HELD_MAX_MS, ctx.tokens.release)
        report_first_paint(window)  # only for bench.startup
        window.show()
    except Exception as error:
        crash.report_fatal(error, log_file(paths.logs), crash.startup_secrets(ctx))
        if reporter is not None:
            reporter.uninstall()
        if store is not None:
            store.close()
        loop.close()
        return 1
    return ctx, window, reporter


def run(paths: DataPaths, screenshot: Path | None = None, prompt: str | None = None) -> int:
    app = make_application()
    if ask_running_to_activate(paths.root, prompt):
        return say_already_running(paths, prompt)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    opened = open_window(app, paths, loop, prompt)
    if isinstance(opened, int):
        return opened
    ctx, window, reporter = opened
    store = ctx.store
    # Start-up objects live for the whole session: leave them out of every later full garbage
    # collection, which otherwise scans them all and was seen to stall scrolling for ~90 ms.
    gc.freeze()
    if screenshot is not None:

        def shoot() -> None:
            save_screenshot(window, screenshot)
            window.close()

        if prompt:  # shoot the answer once it is complete, or whatever is there by then
            ctx.bus.run_finished.connect(lambda _r: QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot))
            QTimer.singleShot(PROMPT_SCREENSHOT_LIMIT_MS, shoot)
        else:
            QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot)
    if screenshot is None or prompt:  # a plain screenshot stays fast: no model loading
        window.local_model.start_if_active()
    if prompt:
        QTimer.singleShot(0, lambda: window.ask(prompt))

    quitting = asyncio.Event()
    app.aboutToQuit.connect(quitting.set)
    # Closing the last window ends the loop through until_quit, not through Qt's own quit: the
    # tasks it cancels must unwind before Qt's loop stops (see until_quit).
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(quitting.set)
    try:
        loop.run_until_complete(until_quit(quitting, ctx.tasks.cancel_all))
    finally:
        reporter.uninstall()
        ctx.tasks.cancel_all()
        stop_after_loop(loop, ctx.local)
        loop.run_until_complete(ctx.connector.close())
        store.close()
        loop.close()  # joins the executor threads (token counting), which Qt must not outlive
    return 0
