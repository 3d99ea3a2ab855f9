"""The one list of dock panels. MainWindow builds its docks, View menu and layout from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from workbench.app.context import AppContext
from workbench.core.models import prefix_continuation_problem
from workbench.ui.panels.chat import ChatDeps, ChatPanel
from workbench.ui.panels.compare import CompareDeps, ComparePanel
from workbench.ui.panels.cost_meter import CostMeterPanel
from workbench.ui.panels.heatmap import HeatmapPanel
from workbench.ui.panels.inspector import InspectorPanel
from workbench.ui.panels.sessions import SessionsPanel

Area = Qt.DockWidgetArea


@dataclass(frozen=True, slots=True)
class PanelSpec:
    key: str  # the dock's object name is dock.<key>; never rename one, saved layouts use it
    title: str
    build: Callable[[AppContext], QWidget]
    area: Area
    shortcut: str = ""
    visible: bool = True


def _sessions(ctx: AppContext) -> QWidget:
    return SessionsPanel(ctx.store.sessions, ctx.bus, ctx.undo)


def build_chat(ctx: AppContext) -> ChatPanel:
    """The chat is the window's centre, not a dock: it is where people spend their time."""
    return ChatPanel(
        ChatDeps(
            ctx.store, ctx.bus, ctx.tasks, ctx.undo, ctx.connector, ctx.tokens, budget=ctx.budget
        )
    )


def _heatmap(ctx: AppContext) -> QWidget:
    def fork_problem() -> str | None:
        endpoint = ctx.endpoints.active  # forks go out on the endpoint the chat uses
        return prefix_continuation_problem(endpoint.kind, endpoint.name)

    return HeatmapPanel(ctx.store, ctx.bus, fork_problem)


def _inspector(ctx: AppContext) -> QWidget:
    def base_url_for(endpoint_name: str) -> str:
        endpoint = next((e for e in ctx.endpoints.endpoints if e.name == endpoint_name), None)
        if endpoint is None or endpoint.is_local:
            # The built-in server's port changes each start: show the current one if any.
            return ctx.local.base_url or "http://127.0.0.1:PORT/v1"
        return endpoint.base_url

    return InspectorPanel(ctx.store, ctx.bus, base_url_for)


def _compare(ctx: AppContext) -> QWidget:
    return ComparePanel(CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.connector, ctx.budget))


def _costs(ctx: AppContext) -> QWidget:
    return CostMeterPanel(ctx.store, ctx.bus, ctx.budget)


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("sessions", "Sessions", _sessions, Area.LeftDockWidgetArea, "Ctrl+Shift+S"),
    PanelSpec("heatmap", "Token Confidence", _heatmap, Area.BottomDockWidgetArea, "Ctrl+Shift+H"),
    PanelSpec(
        "inspector",
        "Request Inspector",
        _inspector,
        Area.RightDockWidgetArea,
        "Ctrl+Shift+I",
        visible=False,
    ),
    PanelSpec(
        "compare", "Compare", _compare, Area.BottomDockWidgetArea, "Ctrl+Shift+K", visible=False
    ),
    PanelSpec(
        "costs", "Cost Meter", _costs, Area.RightDockWidgetArea, "Ctrl+Shift+M", visible=False
    ),
)
