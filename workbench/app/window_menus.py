"""Pieces of the main window that are not its layout: the Appearance menu and the endpoints
dialog, kept here so MainWindow stays the short composition it should be."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from workbench.app.local_model import local_threads, set_local_threads
from workbench.services.local import probe
from workbench.ui.theme import Appearance

if TYPE_CHECKING:
    from workbench.app.context import AppContext
    from workbench.ui.dialogs.endpoints import EndpointsDialog


def appearance_menu(
    view_menu: QMenu,
    settings: QSettings,
    choose: Callable[[Appearance], None],
    owner: QWidget,
) -> dict[Appearance, QAction]:
    """View ▸ Appearance: follow the system, light or dark; the saved choice is applied."""
    menu = view_menu.addMenu("&Appearance")
    group = QActionGroup(owner)
    saved = str(settings.value("appearance", Appearance.SYSTEM))
    chosen = Appearance(saved) if saved in set(Appearance) else Appearance.SYSTEM
    actions: dict[Appearance, QAction] = {}
    for appearance, label in (
        (Appearance.SYSTEM, "Follow &System"),
        (Appearance.LIGHT, "&Light"),
        (Appearance.DARK, "&Dark"),
    ):
        action = QAction(label, group, checkable=True, objectName=f"action.appearance.{appearance}")
        action.setChecked(appearance is chosen)
        action.triggered.connect(lambda _on, a=appearance: choose(a))
        menu.addAction(action)
        actions[appearance] = action
    if chosen is not Appearance.SYSTEM:
        choose(chosen)
    return actions


def open_endpoints_dialog(
    ctx: AppContext, parent: QWidget, edited: Callable[[], None]
) -> EndpointsDialog:
    """Settings ▸ Endpoints, opened (not modal); `edited` runs when it closes."""
    from workbench.ui.dialogs.endpoints import EndpointsDialog  # not needed to start

    dialog = EndpointsDialog(
        ctx.endpoints,
        ctx.keys,
        ctx.tasks,
        lambda endpoint, key: probe(endpoint, key, ctx.local),
        parent,
        local_threads=local_threads(ctx.settings),
    )
    dialog.local_threads_chosen.connect(
        lambda n: ctx.tasks.start("Restarting the built-in model", set_local_threads(ctx, n))
    )
    dialog.finished.connect(lambda _r: edited())
    dialog.open()
    return dialog
