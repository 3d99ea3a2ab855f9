"""Where the docks go by default, and keeping the window on its screen.

The chat is where people spend their time, so the default layout keeps most of the window for
it: docks sharing a side are tabbed together, and the bottom and right ones start small. The
window never grows past the screen it is on, whatever a saved geometry says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QMargins, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow

from workbench.app.panels import PanelSpec

Area = Qt.DockWidgetArea
BOTTOM_SHARE = 0.2  # of the window's height, for the bottom docks in the default layout
BOTTOM_MIN_PX = 120
SIDE_WIDTH_PX = 320  # the right docks in the default layout
SIDE_SHARE = 0.3  # at most this share of the window's width
LEFT_WIDTH_PX = 240  # the sessions list
CHAT_KEEPS_SHARE = 0.5  # of the window's height, when a bottom dock opens at its own size
FRAME_GUESS = QMargins(4, 32, 4, 4)  # a title bar and borders, until the real frame is known


TABBED_AREAS = (Area.BottomDockWidgetArea, Area.RightDockWidgetArea)


FIRST_SHARE = 0.85
FIRST_MIN = QSize(1280, 800)


def place_dock(window: QMainWindow, dock: QDockWidget, area: Area) -> None:
    """Add `dock` to `area`. Docks on the bottom or the right share one tabbed place there, so
    opening one takes no room from the chat; the left keeps the sessions list on its own."""
    first = next(
        (d for d in window.findChildren(QDockWidget) if window.dockWidgetArea(d) == area), None
    )
    window.addDockWidget(area, dock)
    dock.toggleViewAction().triggered.connect(
        lambda on: on and QTimer.singleShot(0, window, lambda: open_at_a_usable_size(window, dock))
    )
    # Opened onto a tabbed place, it is the tab shown: not one hidden behind the others.
    dock.toggleViewAction().triggered.connect(lambda on: on and dock.raise_())
    if first is not None and area in TABBED_AREAS:
        window.tabifyDockWidget(first, dock)


def default_extent(window: QMainWindow, area: Area) -> tuple[int, Qt.Orientation]:
    """How wide (left, right) or tall (bottom) docks in `area` start: modest, the chat keeps
    the rest."""
    side = min(SIDE_WIDTH_PX, int(window.width() * SIDE_SHARE))
    if area == Area.BottomDockWidgetArea:
        height = max(BOTTOM_MIN_PX, int(window.height() * BOTTOM_SHARE))
        return height, Qt.Orientation.Vertical
    if area == Area.LeftDockWidgetArea:
        return min(LEFT_WIDTH_PX, side), Qt.Orientation.Horizontal
    return side, Qt.Orientation.Horizontal


def size_docks(
    window: QMainWindow, specs: Sequence[PanelSpec], docks: Mapping[str, QDockWidget]
) -> None:
    """Give every shown dock its default size."""
    for area in (Area.LeftDockWidgetArea, Area.BottomDockWidgetArea, Area.RightDockWidgetArea):
        shown = [docks[s.key] for s in specs if s.area == area and docks[s.key].isVisibleTo(window)]
        if shown:
            size, orientation = default_extent(window, area)
            window.resizeDocks(shown, [size] * len(shown), orientation)


def open_at_a_usable_size(window: QMainWindow, dock: QDockWidget) -> None:
    """A dock just opened onto an empty side gets its default size, not its bare minimum."""
    if not dock.isVisible() or dock.isFloating():
        return
    size, orientation = default_extent(window, window.dockWidgetArea(dock))
    vertical = orientation == Qt.Orientation.Vertical
    now = dock.height() if vertical else dock.width()
    # A panel that needs more than the default (the Image Gallery's grid) says so in its hint.
    hint = dock.widget().sizeHint() if dock.widget() is not None else None
    if hint is not None and hint.isValid():
        size = max(size, hint.height() if vertical else hint.width())
    # Only what the chat can spare: taken from the sessions list instead, it would be cut off.
    # The chat keeps half the window's height: a big panel (the Prompt Lab, the gallery) opened
    # at 1024x700 had left the conversation 140 px; dragging the splitter gives it more.
    chat, least = window.centralWidget(), window.centralWidget().minimumSizeHint()
    keep = max(least.height(), int(window.height() * CHAT_KEEPS_SHARE))
    spare = chat.height() - keep if vertical else chat.width() - least.width()
    size = min(size, now + max(0, spare))
    if now < size:
        window.resizeDocks([dock], [size], orientation)


def available_rect(window: QMainWindow) -> QRect:
    """The usable part of the screen the window is on (or lands on), without panels and docks
    of the desktop."""
    screen = QGuiApplication.screenAt(window.frameGeometry().center()) or window.screen()
    return screen.availableGeometry()


def first_size(window: QMainWindow) -> QSize:
    """A new user's window: most of a large screen (the conversation and the docks beside it
    get room), at least 1280x800 where it fits; `fit_to_screen` then clamps it."""
    screen = available_rect(window)
    width = max(FIRST_MIN.width(), int(screen.width() * FIRST_SHARE))
    height = max(FIRST_MIN.height(), int(screen.height() * FIRST_SHARE))
    return QSize(width, height)


def fit_to_screen(window: QMainWindow) -> bool:
    """Shrink and move the window so all of it, frame included, is on its screen. True if it
    had to shrink."""
    if window.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        return False  # the window manager sizes these to the screen itself
    screen = available_rect(window)
    frame, inner = window.frameGeometry(), window.geometry()
    if frame == inner:  # not shown yet: the window manager's frame is unknown, leave room for one
        frame = inner.marginsAdded(FRAME_GUESS)
    extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
    width = min(inner.width(), screen.width() - extra_w)
    height = min(inner.height(), screen.height() - extra_h)
    shrunk = (width, height) != (inner.width(), inner.height())
    if shrunk:
        window.resize(width, height)
    x = min(max(frame.x(), screen.x()), screen.x() + screen.width() - (width + extra_w))
    y = min(max(frame.y(), screen.y()), screen.y() + screen.height() - (height + extra_h))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
    return shrunk


def settle(
    window: QMainWindow,
    specs: Sequence[PanelSpec],
    docks: Mapping[str, QDockWidget],
    *,
    resize_docks: bool = True,
) -> None:
    """After a layout is restored or reset: the window on its screen, the docks sized (also
    when a restored window had to shrink: docks sized for a bigger screen would crowd the chat)."""
    if fit_to_screen(window) or resize_docks:
        size_docks(window, specs, docks)
