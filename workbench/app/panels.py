"""The one list of dock panels. MainWindow builds its docks, View menu and layout from it.

A dock's panel is built the first time the dock is shown, and its module is imported only then:
each build function imports its panel itself, so a hidden panel costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt

from workbench.app.context import AppContext
from workbench.core.endpoints import EndpointKind
from workbench.core.request_code import LOCAL_HAND_URL
from workbench.core.runs import RunRecord
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.chat import ChatDeps, ChatPanel

Area = Qt.DockWidgetArea


@dataclass(frozen=True, slots=True)
class PanelSpec:
    key: str  # the dock's object name is dock.<key>; never rename one, saved layouts use it
    title: str
    build: Callable[[AppContext], Panel]  # called when the dock is first shown
    area: Area
    shortcut: str = ""
    visible: bool = True


def _sessions(ctx: AppContext) -> Panel:
    from workbench.ui.panels.sessions import SessionsPanel

    return SessionsPanel(ctx.store.sessions, ctx.bus, ctx.undo, read_only=ctx.store.read_only)


def build_chat(ctx: AppContext) -> ChatPanel:
    """The chat is the window's centre, not a dock: it is where people spend their time."""
    return ChatPanel(
        ChatDeps(
            ctx.store, ctx.bus, ctx.tasks, ctx.undo, ctx.chat, ctx.catalog, ctx.tokens, ctx.budget
        )
    )


def _heatmap(ctx: AppContext) -> Panel:
    from workbench.ui.panels.heatmap import HeatmapPanel

    def fork_problem() -> str | None:
        # A fork goes out on the endpoint of the answer's session, not the active one.
        answer = ctx.bus.state.answer_id
        return None if answer is None else ctx.chat.continue_problem(answer)

    return HeatmapPanel(ctx.store, ctx.bus, fork_problem, ctx.tasks)


def _inspector(ctx: AppContext) -> Panel:
    from workbench.ui.panels.inspector import InspectorPanel

    def base_url_for(record: RunRecord) -> str:
        """Where the run went, so View code sends the same request to the same server."""
        if record.endpoint_kind == EndpointKind.LOCAL:
            # The built-in server's port changes each start: code for one started by hand.
            return LOCAL_HAND_URL
        if record.base_url:
            return record.base_url
        # Runs stored before their URL was: the endpoint by id, then by name.
        endpoint = ctx.endpoints.get(record.endpoint_id) or next(
            (e for e in ctx.endpoints.endpoints if e.name == record.endpoint), None
        )
        if endpoint is None or endpoint.is_local:
            return LOCAL_HAND_URL
        return endpoint.base_url

    return InspectorPanel(ctx.store, ctx.bus, base_url_for)


def _compare(ctx: AppContext) -> Panel:
    from workbench.ui.panels.compare import CompareDeps, ComparePanel

    return ComparePanel(
        CompareDeps(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.catalog, ctx.budget)
    )


def _costs(ctx: AppContext) -> Panel:
    from workbench.ui.panels.cost_meter import CostMeterPanel

    return CostMeterPanel(ctx.store, ctx.bus, ctx.budget)


def _schema_editor(ctx: AppContext) -> Panel:
    from workbench.app.resources import resources_dir
    from workbench.ui.panels.schema_editor import SchemaEditorPanel

    return SchemaEditorPanel(ctx.bus, ctx.tasks, resources_dir() / "schemas")


def _tools(ctx: AppContext) -> Panel:
    from workbench.app.resources import resources_dir
    from workbench.ui.panels.tools import ToolsPanel

    return ToolsPanel(ctx.store, ctx.bus, ctx.tasks, examples=resources_dir() / "tools")


def _recorder(ctx: AppContext) -> Panel:
    from workbench.ui.panels.recorder import RecorderPanel

    return RecorderPanel(ctx.bus, ctx.tasks, ctx.runs, ctx.paths.root / "recordings")


def _gallery(ctx: AppContext) -> Panel:
    from workbench.ui.panels.gallery import GalleryPanel

    return GalleryPanel(ctx.store, ctx.bus, ctx.tasks, ctx.runs, ctx.undo, ctx.budget)


def _prompt_lab(ctx: AppContext) -> Panel:
    from workbench.services.prompt_lab.batch import BatchRunner
    from workbench.ui.panels.prompt_lab import LabDeps, PromptLabPanel

    if ctx.batches is None:
        ctx.batches = BatchRunner(ctx.store, ctx.connector)
    return PromptLabPanel(
        LabDeps(
            ctx.store,
            ctx.bus,
            ctx.tasks,
            ctx.runs,
            ctx.catalog,
            ctx.tokens,
            ctx.budget,
            ctx.batches,
        )
    )


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
    PanelSpec(  # issue 15: write and lint a JSON Schema for strict mode, then use it in the chat
        "schema_editor",
        "Schema Editor",
        _schema_editor,
        Area.RightDockWidgetArea,
        "Ctrl+Shift+J",
        visible=False,
    ),
    PanelSpec(  # define function tools, save tool sets, and offer them in the chat
        "tools", "Tools", _tools, Area.RightDockWidgetArea, "Ctrl+Shift+U", visible=False
    ),
    PanelSpec(  # record or pick audio; Whisper transcribes it through the run pipeline
        "recorder",
        "Whisper Recorder",
        _recorder,
        Area.RightDockWidgetArea,
        "Ctrl+Shift+R",
        visible=False,
    ),
    PanelSpec(  # make images (generate, edit with a mask, vary) and keep every one
        "gallery",
        "Image Gallery",
        _gallery,
        Area.BottomDockWidgetArea,
        "Ctrl+Shift+G",
        visible=False,
    ),
    PanelSpec(  # issue 19: prompt versions x dataset rows x models, checked, as a grid
        "prompt_lab",
        "Prompt Lab",
        _prompt_lab,
        Area.BottomDockWidgetArea,
        "Ctrl+Shift+L",
        visible=False,
    ),
)
