"""The window as a person meets it: shortcuts that keep working whichever docks are open, a
window that stays on its screen, and a conversation that keeps most of the window."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication

from tests.support.driving import type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.scripted_server import Stream
from workbench.app.main_window import MainWindow

WINDOW_WIDE = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


def _show_every_dock(window: MainWindow, qtbot) -> None:
    """View > each panel, and its tab brought to the front if it shares a place."""
    for dock in window.docks.values():
        if not dock.toggleViewAction().isChecked():
            dock.toggleViewAction().trigger()
        dock.raise_()
        qtbot.waitUntil(dock.isVisible)
        qtbot.wait(20)
    assert all(d.built_panel is not None for d in window.docks.values())


def test_ctrl_enter_in_the_composer_sends_while_compare_is_open(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.docks["compare"].toggleViewAction().trigger()
    qtbot.waitUntil(lambda: window.docks["compare"].isVisible())
    window.chat.params.model.setCurrentText("gpt-4o")
    server.script("chat", Stream(text="Two minutes."))
    record = type_and_send(qtbot, window, "How long does green tea steep?")
    assert record.error is None
    assert "Two minutes." in window.chat.view.cards[window.chat.path[-1].id].body.toPlainText()


def _window_keys(window: MainWindow) -> Counter[tuple[str, Qt.ShortcutContext]]:
    keys: Counter[tuple[str, Qt.ShortcutContext]] = Counter()
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            if action.shortcutContext() in WINDOW_WIDE:
                keys[(sequence.toString(), action.shortcutContext())] += 1
    for shortcut in window.findChildren(QShortcut):
        for sequence in list(shortcut.keys()):
            if shortcut.context() in WINDOW_WIDE:
                keys[(sequence.toString(), shortcut.context())] += 1
    return keys


def test_no_two_window_wide_shortcuts_share_a_key(window: MainWindow, qtbot) -> None:
    _show_every_dock(window, qtbot)
    keys = _window_keys(window)
    assert keys, "the window has shortcuts"
    assert [k for k, n in keys.items() if n > 1] == []
    # Keys a text box handles itself (the composer's send and stop, the compare prompt's run)
    # would be taken from it by a window-wide shortcut.
    taken = {name for name, _context in keys} & {"Ctrl+Return", "Ctrl+Enter", "Esc"}
    assert taken == set()


def _screen(window: MainWindow) -> QRect:
    return window.screen().availableGeometry()


def _on_screen(window: MainWindow) -> bool:
    return _screen(window).contains(window.frameGeometry())


def _fill_screen(window: MainWindow) -> None:
    """As big as the screen allows, frame included: the most a user can drag it to."""
    frame, inner = window.frameGeometry(), window.geometry()
    window.resize(
        _screen(window).width() - (frame.width() - inner.width()),
        _screen(window).height() - (frame.height() - inner.height()),
    )
    window.move(_screen(window).topLeft())


def test_opening_every_dock_never_grows_the_window_past_its_screen(window, qtbot) -> None:
    _fill_screen(window)
    qtbot.wait(50)
    _show_every_dock(window, qtbot)
    assert _on_screen(window), (window.frameGeometry(), _screen(window))
    window.reset_layout_action.trigger()
    qtbot.wait(50)
    assert _on_screen(window), (window.frameGeometry(), _screen(window))


def test_an_oversized_saved_window_is_brought_back_onto_the_screen(ctx, qtbot) -> None:
    first = open_window(ctx, qtbot)
    first.setGeometry(QRect(_screen(first).topLeft(), _screen(first).size() * 1.5))
    qtbot.wait(50)  # on a bigger screen, the user gave Token Confidence lots of room
    first.resizeDocks([first.docks["heatmap"]], [first.height() // 2], Qt.Orientation.Vertical)
    first.close()  # saves the layout, as quitting does
    again = open_window(ctx, qtbot)
    assert _on_screen(again), (again.frameGeometry(), _screen(again))
    assert again.chat.view.height() >= again.height() / 2, again.chat.view.height()


def test_the_conversation_keeps_most_of_a_small_window(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.resize(1024, 700)
    window.reset_layout_action.trigger()  # the default layout, at this size
    window.chat.params.model.setCurrentText("gpt-4o")
    server.script("chat", Stream(recording="83b060bae42eb41c"))  # an answer with logprobs
    type_and_send(qtbot, window, "Name a city.")
    heatmap = window.docks["heatmap"]
    qtbot.waitUntil(lambda: heatmap.isVisible() and heatmap.built_panel is not None)
    qtbot.wait(100)
    assert window.height() <= 700
    assert window.chat.view.height() >= window.height() / 2, window.chat.view.height()


def test_a_side_dock_opened_later_opens_at_a_usable_width(window, qtbot) -> None:
    window.resize(1280, 700)
    qtbot.wait(50)
    costs, sessions = window.docks["costs"], window.docks["sessions"]
    sessions_width = sessions.width()
    costs.toggleViewAction().trigger()  # View > Cost Meter, or Ctrl+Shift+M
    qtbot.waitUntil(lambda: costs.isVisible())
    qtbot.wait(50)
    assert costs.width() >= 200
    assert sessions.width() >= sessions_width - 2  # not taken from the sessions list
    assert window.chat.width() >= window.width() / 2


def test_a_new_users_window_takes_most_of_a_large_screen(ctx, qtbot, monkeypatch) -> None:
    from PySide6.QtCore import QRect

    from workbench.app import window_layout

    monkeypatch.setattr(window_layout, "available_rect", lambda _w: QRect(0, 0, 1920, 1050))
    window = open_window(ctx, qtbot)  # a new data folder: no saved geometry
    assert (window.width(), window.height()) == (1632, 892)  # 85 %, not 1280x800
    monkeypatch.setattr(window_layout, "available_rect", lambda _w: QRect(0, 0, 1024, 700))
    size = window_layout.first_size(window)
    assert (size.width(), size.height()) == (1280, 800)  # fit_to_screen then clamps it


def test_a_dock_opened_by_its_shortcut_is_the_tab_shown(window: MainWindow, qtbot) -> None:
    # Token Confidence is open at the bottom; Compare and the Image Gallery share its place.
    for key in ("compare", "gallery"):
        window.docks[key].toggleViewAction().trigger()
        dock = window.docks[key]
        qtbot.waitUntil(lambda d=dock: not d.visibleRegion().isEmpty(), timeout=3000)
        others = [d for k, d in window.docks.items() if k != key and d.isVisible()]
        shown_here = [d for d in others if window.dockWidgetArea(d) == window.dockWidgetArea(dock)]
        assert all(d.visibleRegion().isEmpty() for d in shown_here), key


def test_a_big_panel_opened_in_a_small_window_leaves_the_chat_half_of_it(window, qtbot) -> None:
    window.resize(1024, 700)
    window.reset_layout_action.trigger()
    qtbot.wait(50)
    gallery = window.docks["gallery"]  # its grid asks for two rows of thumbnails
    gallery.toggleViewAction().trigger()  # View > Image Gallery, or Ctrl+Shift+G
    qtbot.waitUntil(gallery.isVisible)
    qtbot.wait(100)
    assert gallery.height() > window.height() * 0.2  # more than a bottom dock's default
    assert window.centralWidget().height() >= window.height() // 2 - 2


def test_every_dock_open_in_a_small_window_leaves_the_right_docks_room(
    window, qtbot, monkeypatch
) -> None:
    from workbench.app import window_layout

    monkeypatch.setattr(window_layout, "available_rect", lambda _w: QRect(0, 0, 1024, 700))
    window.resize(1024, 700)
    window.reset_layout_action.trigger()
    _show_every_dock(window, qtbot)
    qtbot.wait(100)
    right_area = Qt.DockWidgetArea.RightDockWidgetArea
    right = [d for d in window.docks.values() if window.dockWidgetArea(d) == right_area]
    assert 1000 <= window.width() <= 1024
    # The chat gave them room down to its narrowest: a card's actions as symbols, beside the
    # parameters; its composer's context line is cut, not kept whole (they had 176 px).
    assert right and all(d.width() >= 220 for d in right), [d.width() for d in right]
