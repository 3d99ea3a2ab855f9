"""The window follows the OS colour scheme, and background work shows in the status bar."""

from __future__ import annotations

import asyncio

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.ui.theme import Appearance, set_appearance
from workbench.ui.widgets.work_indicator import WorkIndicator


def test_appearance_choice_changes_the_palette_and_is_remembered(ctx: AppContext, qtbot) -> None:
    def window_lightness() -> int:
        return QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    try:
        window.appearance_actions[Appearance.DARK].trigger()
        assert window_lightness() < 80
        window.close()
        again = MainWindow(AppContext.build(ctx.paths, ctx.store, ctx.tasks._loop))
        qtbot.addWidget(again)
        assert again.appearance_actions[Appearance.DARK].isChecked()
        again.appearance_actions[Appearance.LIGHT].trigger()
        assert window_lightness() > 180
    finally:
        set_appearance(QApplication.instance(), Appearance.SYSTEM)


def test_background_work_is_shown_while_it_runs_and_failures_are_said(
    ctx: AppContext, qtbot
) -> None:
    window = open_window(ctx, qtbot)
    indicator = window.findChild(WorkIndicator, "status.work")
    assert not indicator.isVisible()
    release = asyncio.Event()

    async def slow_then_fail() -> None:
        await release.wait()
        raise ConnectionError("endpoint went away")

    ctx.tasks.start("Listing models", slow_then_fail())
    qtbot.waitUntil(indicator.isVisible)
    assert indicator.label.text() == "Listing models…"
    release.set()
    qtbot.waitUntil(lambda: not indicator.isVisible())
    assert window.statusBar().currentMessage() == (
        "Listing models failed: ConnectionError: endpoint went away"
    )
