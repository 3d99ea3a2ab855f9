"""The window a user sees: docks, the View menu, and a layout that survives a restart."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt

from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.app.panels import PANELS
from workbench.services.store import Store


def _reopen(ctx: AppContext, qtbot) -> MainWindow:
    """A new run of the app on the same data dir: fresh settings object, fresh store. The first
    run's store is closed as its process would on quitting, or the new one would be read-only."""
    ctx.store.close()
    again = AppContext.build(ctx.paths, Store.open(ctx.paths.database), ctx.tasks._loop)
    return open_window(again, qtbot)


def test_every_panel_has_a_stable_dock_and_a_view_menu_entry(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    view_entries = {a.text() for a in window.view_menu.actions()}
    for spec in PANELS:
        dock = window.findChild(type(window.docks[spec.key]), f"dock.{spec.key}")
        assert dock is not None and dock.isVisible() == spec.visible
        assert spec.title in view_entries
    assert "&Reset Layout" in view_entries


def test_view_menu_hides_and_shows_a_panel(window: MainWindow) -> None:
    dock = window.docks["sessions"]
    dock.toggleViewAction().trigger()
    assert not dock.isVisible()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()


def test_layout_is_saved_on_close_and_restored_on_start(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
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
    window = open_window(ctx, qtbot)
    window.docks["sessions"].toggleViewAction().trigger()
    window.close()
    again = _reopen(ctx, qtbot)
    assert not again.docks["sessions"].isVisible()
    again.reset_layout_action.trigger()
    assert again.docks["sessions"].isVisible()


def test_unreadable_or_old_saved_layout_falls_back_to_the_default(ctx: AppContext, qtbot) -> None:
    ctx.settings.setValue("window/state", QByteArray(b"\x00garbage from an old version"))
    ctx.settings.sync()
    window = open_window(ctx, qtbot)
    assert window.docks["sessions"].isVisible()
    assert window.dockWidgetArea(window.docks["sessions"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_status_bar_names_the_active_endpoint_and_model(window: MainWindow) -> None:
    assert window.endpoint_label.text() == "Local · smollm2-135m-instruct"


def test_new_session_shortcut_creates_and_opens_a_session(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    with qtbot.waitSignal(ctx.bus.session_opened) as opened:
        window.new_session_action.trigger()
    assert ctx.store.sessions.get(opened.args[0]) is not None
    assert window.windowTitle() == "New session — Workbench"


def _hidden_on_start(ctx: AppContext, qtbot, key: str) -> MainWindow:
    """A restart after the user closed the dock `key`: its panel has not been built."""
    window = open_window(ctx, qtbot)
    window.docks[key].toggleViewAction().trigger()
    window.close()
    return _reopen(ctx, qtbot)


def test_hidden_docks_are_not_built_until_shown(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    for spec in PANELS:
        dock = window.docks[spec.key]
        assert (dock.built_panel is not None) == spec.visible, spec.key
    assert {type(p).__name__ for p in window.built_panels()} == {"SessionsPanel", "HeatmapPanel"}


def test_view_menu_entry_builds_a_panel_and_shows_it(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    dock = window.docks["compare"]
    dock.toggleViewAction().trigger()  # View > Compare, or its shortcut
    qtbot.waitUntil(lambda: dock.built_panel is not None and dock.built_panel.isVisible())
    assert dock.built_panel is window.panel("compare")  # built once
    assert dock.built_panel.objectName() == "panel.compare"
    window.panel("compare").status_message.emit("Compared.")
    assert window.statusBar().currentMessage() == "Compared."


def test_panel_on_demand_builds_a_hidden_dock_without_showing_it(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    costs = window.panel("costs")
    assert window.docks["costs"].built_panel is costs and not window.docks["costs"].isVisible()
    # What the panel adds to the menus comes with it.
    assert window.tools_menu.menuAction().isVisible()
    assert "Export Costs as CSV…" in {a.text() for a in window.tools_menu.actions()}


def test_tools_menu_is_hidden_while_no_built_panel_adds_to_it(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    assert not window.tools_menu.menuAction().isVisible()


def test_a_dock_restored_visible_is_built_at_start(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    window.docks["inspector"].toggleViewAction().trigger()
    window.close()
    again = _reopen(ctx, qtbot)
    assert again.docks["inspector"].isVisible()
    assert again.docks["inspector"].built_panel.isVisible()


def test_reset_layout_builds_docks_it_shows(ctx: AppContext, qtbot) -> None:
    again = _hidden_on_start(ctx, qtbot, "heatmap")
    assert again.docks["heatmap"].built_panel is None
    again.reset_layout_action.trigger()
    assert again.docks["heatmap"].isVisible()
    assert again.docks["heatmap"].built_panel.isVisible()


def test_new_session_works_when_the_sessions_dock_was_never_built(ctx: AppContext, qtbot) -> None:
    again = _hidden_on_start(ctx, qtbot, "sessions")
    assert again.docks["sessions"].built_panel is None
    with qtbot.waitSignal(again.ctx.bus.session_opened) as opened:
        again.new_session_action.trigger()
    assert again.docks["sessions"].isVisible()
    sessions = again.panel("sessions")
    assert sessions.list.currentItem().text() == "New session"
    assert again.ctx.store.sessions.get(opened.args[0]) is not None


def test_a_sessions_panel_built_late_selects_the_open_session(ctx: AppContext, qtbot) -> None:
    first, second = ctx.store.sessions.create(), ctx.store.sessions.create()
    again = _hidden_on_start(ctx, qtbot, "sessions")
    again.ctx.bus.session_opened.emit(first)
    again.docks["sessions"].toggleViewAction().trigger()
    sessions = again.panel("sessions")
    assert sessions.current_session_id() == first != second


def test_closing_shuts_down_the_chat_and_built_panels_and_builds_no_other(
    ctx: AppContext, qtbot
) -> None:
    window = open_window(ctx, qtbot)
    shut: list[str] = []
    for panel in (window.chat, window.panel("compare")):
        name = panel.objectName()
        panel.shutdown = lambda name=name: shut.append(name)
    window.close()
    assert sorted(shut) == ["panel.chat", "panel.compare"]
    assert (
        window.docks["costs"].built_panel is None and window.docks["inspector"].built_panel is None
    )


def test_a_heatmap_open_at_start_asks_for_logprobs_and_a_closed_one_does_not(
    ctx: AppContext, qtbot
) -> None:
    wanted: list[bool] = []
    ctx.bus.logprobs_wanted.connect(wanted.append)
    window = open_window(ctx, qtbot)
    assert wanted and wanted[-1] is True
    window.docks["heatmap"].toggleViewAction().trigger()
    assert wanted[-1] is False
    window.close()

    again = AppContext.build(ctx.paths, Store.open(ctx.paths.database), ctx.tasks._loop)
    wanted.clear()
    again.bus.logprobs_wanted.connect(wanted.append)
    reopened = open_window(again, qtbot)
    assert True not in wanted
    reopened.docks["heatmap"].toggleViewAction().trigger()
    assert wanted[-1] is True


def test_the_cursor_starts_in_the_composer(ctx: AppContext, qtbot) -> None:
    window = open_window(ctx, qtbot)
    # The widget that has the focus whenever the window is active (offscreen, none is).
    assert window.focusWidget() is window.chat.composer.editor
