"""The Qt side of start-up: one QApplication, one qasync loop, the window, an orderly quit."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench import __version__
from workbench.app.context import AppContext
from workbench.app.first_paint import on_first_paint, report_first_paint
from workbench.app.local_model import stop_after_loop
from workbench.app.main_window import MainWindow
from workbench.app.resources import icon_path
from workbench.app.startup import StoreChoice, open_store
from workbench.services.connector import preload_sdk
from workbench.services.paths import DataPaths
from workbench.services.store import StoreError
from workbench.ui.theme import follow_system_scheme

SCREENSHOT_SETTLE_MS = 700
TOKENS_HELD_MAX_MS = 3000  # released at the first frame, or by then if none comes
PROMPT_SCREENSHOT_LIMIT_MS = 120_000


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


def run(paths: DataPaths, screenshot: Path | None = None, prompt: str | None = None) -> int:
    app = make_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store, kept = open_store(paths.database, ask_about_store)
    if store is None:
        return 1
    ctx = AppContext.build(paths, store, loop)
    # Counting the reopened session loads tiktoken (~0.7 s holding the GIL in a worker thread):
    # after the first frame, or that frame waits for it.
    ctx.tokens.hold()
    window = MainWindow(ctx)
    if kept is not None:
        window.say(f"The old database was kept as {kept.name}.")

    def after_first_frame(_started: float, _painted: float) -> None:
        ctx.tokens.release()
        # The SDK is imported off the UI thread now, so the first Send does not pay ~0.45 s.
        loop.run_in_executor(None, preload_sdk)

    on_first_paint(window, after_first_frame)
    QTimer.singleShot(TOKENS_HELD_MAX_MS, ctx.tokens.release)
    report_first_paint(window)  # only for bench.startup
    window.show()
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
    app.lastWindowClosed.connect(app.quit)
    try:
        loop.run_until_complete(quitting.wait())
    finally:
        ctx.tasks.cancel_all()
        stop_after_loop(loop, ctx.local)
        loop.run_until_complete(ctx.connector.close())
        store.close()
        loop.close()  # joins the executor threads (token counting), which Qt must not outlive
    return 0
