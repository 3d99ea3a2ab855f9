"""The main window: docks from the panel list, menus, shortcuts, status bar, saved layout.

It holds no feature logic; panels and dialogs do the work.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from workbench import __version__
from workbench.app.context import AppContext
from workbench.app.local_model import LocalModelStatus
from workbench.app.panels import PANELS, PanelSpec, build_chat
from workbench.app.window_layout import first_size, place_dock, settle
from workbench.app.window_menus import appearance_menu, open_endpoints_dialog
from workbench.ui.panel_contract import Panel
from workbench.ui.theme import Appearance, set_appearance
from workbench.ui.widgets.lazy_dock import LazyDock
from workbench.ui.widgets.work_indicator import WorkIndicator

if TYPE_CHECKING:
    from workbench.ui.dialogs.endpoints import EndpointsDialog

# Bump when a change to docks would make old saved states restore badly; they are then ignored.
LAYOUT_VERSION = 2  # 2: bottom and right docks tabbed by default
STATUS_TIMEOUT_MS = 8000


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("main_window")
        # Another Workbench owns the data folder (and did not answer): this one only shows it.
        self._read_only = " (read-only)" if ctx.store.read_only else ""
        self.setWindowTitle(f"Workbench{self._read_only}")
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.docks: dict[str, LazyDock] = {}  # each builds its panel when first shown
        self._build_actions()
        self.chat = build_chat(ctx)
        self.setCentralWidget(self.chat)
        for spec in PANELS:
            self._add_dock(spec)
        self._build_menus()
        self._adopt(self.chat)
        self._build_status_bar()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self.resize(first_size(self))
        self.restore_layout()

        ctx.bus.session_opened.connect(self._session_opened)
        ctx.bus.session_deleted.connect(self._session_closed_if_open)
        ctx.bus.session_renamed.connect(self._session_renamed)
        ctx.bus.dock_requested.connect(self.show_dock)  # the chat's welcome samples
        ctx.bus.endpoints_requested.connect(self.open_endpoints)
        ctx.tasks.failed.connect(lambda label, err: self.say(f"{label} failed: {err}"))
        self._open_session_id: int | None = None
        # What the open session sends to, which may not be the endpoint for new sessions.
        self.chat.sends_to.connect(self.endpoint_label.setText)
        self.endpoint_label.setText(self.chat.sends_to_text())
        self.local_model = LocalModelStatus(ctx, self.say, self)
        if ctx.store.recovered:
            self.say(
                f"{ctx.store.recovered} answer(s) were cut off when Workbench last closed; "
                "what arrived is kept, marked interrupted."
            )
        self.chat.load_models()
        sessions = ctx.store.sessions.list()
        if sessions:  # carry on where the user left off
            ctx.bus.session_opened.emit(sessions[0].id)
        self._focus_composer_on_show = True

    # --- building ------------------------------------------------------------------------------
    def _action(self, text: str, name: str, slot, shortcut: QKeySequence | str = "") -> QAction:
        action = QAction(text, self, objectName=name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_session_action = self._action(
            "&New Session", "action.new_session", self.new_session, QKeySequence.StandardKey.New
        )
        self.export_action = self._action(
            "&Export Session…", "action.export", self.export_session, "Ctrl+Shift+E"
        )
        self.stop_action = self._action("&Stop Answer", "action.stop", self._stop, "Ctrl+.")
        self.endpoints_action = self._action(
            "&Endpoints…", "action.endpoints", self.open_endpoints, "Ctrl+,"
        )
        self.reset_layout_action = self._action(
            "&Reset Layout", "action.reset_layout", self.reset_layout
        )
        self.quit_action = self._action(
            "&Quit", "action.quit", self.close, QKeySequence.StandardKey.Quit
        )
        self.full_screen_action = self._action(
            "&Full Screen", "action.full_screen", self._toggle_full_screen, "F11"
        )
        self.undo_action = self.ctx.undo.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setObjectName("action.undo")
        self.redo_action = self.ctx.undo.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.setObjectName("action.redo")

    def _add_dock(self, spec: PanelSpec) -> None:
        dock = LazyDock(spec.title, partial(spec.build, self.ctx), self)
        dock.setObjectName(f"dock.{spec.key}")
        dock.panel_built.connect(self._adopt)
        place_dock(self, dock, spec.area)
        dock.setVisible(spec.visible)
        toggle = dock.toggleViewAction()
        toggle.setObjectName(f"action.toggle.{spec.key}")
        if spec.shortcut:
            toggle.setShortcut(QKeySequence(spec.shortcut))
        self.docks[spec.key] = dock

    def _adopt(self, panel: Panel) -> None:
        """A panel just built: its messages go to the status bar, its actions to Tools."""
        panel.status_message.connect(self.say)
        for action in panel.panel_actions():
            self.addAction(action)  # window-wide, whichever widget has focus
            self.tools_menu.addAction(action)
        self.tools_menu.menuAction().setVisible(not self.tools_menu.isEmpty())

    def panel(self, key: str) -> Panel:
        """A dock's panel, built now if the dock was never shown."""
        return self.docks[key].panel()

    def built_panels(self) -> list[Panel]:
        return [d.built_panel for d in self.docks.values() if d.built_panel is not None]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_session_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.stop_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.setObjectName("menu.view")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.reset_layout_action)
        self._build_appearance_menu()
        self.view_menu.addAction(self.full_screen_action)
        self.tools_menu = bar.addMenu("&Tools")  # what built panels add; hidden while empty
        self.tools_menu.setObjectName("menu.tools")
        self.tools_menu.menuAction().setVisible(False)
        settings_menu = bar.addMenu("&Settings")
        settings_menu.addAction(self.endpoints_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About Workbench", self._about)

    def _build_appearance_menu(self) -> None:
        self.appearance_actions = appearance_menu(
            self.view_menu, self.ctx.settings, self.set_appearance, self
        )

    def set_appearance(self, appearance: Appearance) -> None:
        set_appearance(cast(QApplication, QApplication.instance()), appearance)
        self.ctx.settings.setValue("appearance", str(appearance))

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.addPermanentWidget(WorkIndicator(self.ctx.tasks))
        self.endpoint_label = QLabel(objectName="status.endpoint")
        self.endpoint_label.setToolTip(
            "The endpoint and model this session sends to (Settings ▸ Endpoints)"
        )
        status.addPermanentWidget(self.endpoint_label)
        if self.ctx.keys.warning:
            keyring_label = QLabel("⚠ keys not saved", objectName="status.keyring")
            keyring_label.setToolTip(self.ctx.keys.warning)
            status.addPermanentWidget(keyring_label)

    # --- layout --------------------------------------------------------------------------------
    def restore_layout(self) -> bool:
        geometry, state = (self.ctx.settings.value(f"window/{k}") for k in ("geometry", "state"))
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        restored = isinstance(state, QByteArray) and self.restoreState(state, LAYOUT_VERSION)
        settle(self, PANELS, self.docks, resize_docks=not restored)  # saved on a bigger screen?
        return restored

    def save_layout(self) -> None:
        self.ctx.settings.setValue("window/geometry", self.saveGeometry())
        self.ctx.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.ctx.settings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for spec in PANELS:
            self.docks[spec.key].setVisible(spec.visible)
        settle(self, PANELS, self.docks)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._focus_composer_on_show:  # the cursor starts where people write
            self._focus_composer_on_show = False
            self.chat.composer.editor.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Answers still streaming (chat or compare) are kept, marked interrupted; no question.
        for panel in (self.chat, *self.built_panels()):  # a panel never built has nothing to keep
            panel.shutdown()
        self.save_layout()
        super().closeEvent(event)

    # --- actions -------------------------------------------------------------------------------
    def say(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)

    def show_dock(self, key: str, prompt: str = "") -> None:
        """A dock shown in front of its tab group, its panel handed `prompt` if there is one."""
        self.docks[key].show()
        self.docks[key].raise_()
        if prompt:
            self.panel(key).take_prompt(prompt)

    def new_session(self) -> None:
        self.docks["sessions"].show()
        self.panel("sessions")  # built even if the window is not shown yet, to take the request
        self.ctx.bus.new_session_requested.emit()

    def open_endpoints(self) -> EndpointsDialog:
        return open_endpoints_dialog(self.ctx, self, self._endpoints_edited)

    def _endpoints_edited(self) -> None:
        self.ctx.bus.endpoints_changed.emit()
        self.ctx.bus.active_endpoint_changed.emit(self.ctx.endpoints.active_id)

    def _session_opened(self, session_id: int) -> None:
        summary = self.ctx.store.sessions.get(session_id)
        if summary is None:
            return
        self._open_session_id = session_id
        self.setWindowTitle(f"{summary.title}{self._read_only} — Workbench")

    def _session_renamed(self, session_id: int, _title: str) -> None:
        if session_id == self._open_session_id:
            self._session_opened(session_id)

    def _session_closed_if_open(self, session_id: int) -> None:
        if session_id == self._open_session_id:
            self._open_session_id = None
            self.setWindowTitle(f"Workbench{self._read_only}")

    def ask(self, prompt: str) -> None:
        """`--prompt`: a new session with this question sent."""
        self.new_session()
        self.chat.send(prompt)

    def _stop(self) -> None:
        self.chat.stop()

    def export_session(self) -> None:
        self.chat.export_dialog()

    def _toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Workbench",
            f"<b>Workbench {__version__}</b><p>A desktop workbench for the OpenAI API.</p>"
            f"<p>Data folder: {self.ctx.paths.root}</p>",
        )
