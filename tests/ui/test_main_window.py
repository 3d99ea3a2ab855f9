"""The window a user sees: docks, the View menu, and a layout that survives a restart."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt

from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.app.panels import PANELS
from workbench.services.store import Store


def _window(ctx: AppContext, qtbot) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _reopen(ctx: AppContext, qtbot) -> MainWindow:
    """A new run of the app on the same data dir: fresh settings object, fresh store."""
    again = AppContext.build(ctx.paths, Store.open(ctx.paths.database), ctx.tasks._loop)
    return _window(again, qtbot)


def test_every_panel_has_a_stable_dock_and_a_view_menu_entry(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    view_entries = {a.text() for a in window.view_menu.actions()}
    for spec in PANELS:
        dock = window.findChild(type(window.docks[spec.key]), f"dock.{spec.key}")
        assert dock is not None and dock.isVisible() == spec.visible
        assert spec.title in view_entries
    assert "&Reset Layout" in view_entries


def test_view_menu_hides_and_shows_a_panel(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    dock = window.docks["sessions"]
    dock.toggleViewAction().trigger()
    assert not dock.isVisible()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()


def test_layout_is_saved_on_close_and_restored_on_start(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    window.resize(760, 540)  # the offscreen screen is 800x600
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.docks["sessions"])
    assert window.dockWidgetArea(window.docks["sessions"]) == Qt.DockWidgetArea.RightDockWidgetArea
    window.close()

    again = _reopen(ctx, qtbot)
    assert again.dockWidgetArea(again.docks["sessions"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert (again.width(), again.height()) == (760, 540)

    again.reset_layout_action.trigger()
    assert again.dockWidgetArea(again.docks["sessions"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_hidden_panel_stays_hidden_after_restart(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    window.docks["sessions"].toggleViewAction().trigger()
    window.close()
    again = _reopen(ctx, qtbot)
    assert not again.docks["sessions"].isVisible()
    again.reset_layout_action.trigger()
    assert again.docks["sessions"].isVisible()


def test_unreadable_or_old_saved_layout_falls_back_to_the_default(ctx: AppContext, qtbot) -> None:
    ctx.settings.setValue("window/state", QByteArray(b"\x00garbage from an old version"))
    ctx.settings.sync()
    window = _window(ctx, qtbot)
    assert window.docks["sessions"].isVisible()
    assert window.dockWidgetArea(window.docks["sessions"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_status_bar_names_the_active_endpoint_and_model(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    assert window.endpoint_label.text() == "Local · smollm2-135m-instruct"


def test_new_session_shortcut_creates_and_opens_a_session(ctx: AppContext, qtbot) -> None:
    window = _window(ctx, qtbot)
    with qtbot.waitSignal(ctx.bus.session_opened) as opened:
        window.new_session_action.trigger()
    assert ctx.store.sessions.get(opened.args[0]) is not None
    assert window.windowTitle() == "New session — Workbench"
