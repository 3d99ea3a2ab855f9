"""Sessions panel: the list of sessions, newest use first, with full-text search over messages."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
)

from workbench.core.clock import ago
from workbench.core.sessions import MATCH_END, MATCH_START, SearchHit, SessionSummary
from workbench.services.store.sessions import SessionQueries
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.widgets.html_delegate import HTML_ROLE, HtmlDelegate

SESSION_ROLE = Qt.ItemDataRole.UserRole + 1
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_DELAY_MS = 120


class _RenameSession(QUndoCommand):
    def __init__(self, panel: SessionsPanel, session_id: int, old: str, new: str) -> None:
        super().__init__(f"Rename “{old}”")
        self._panel, self._id, self._old, self._new = panel, session_id, old, new

    def redo(self) -> None:
        self._panel._apply_rename(self._id, self._new)

    def undo(self) -> None:
        self._panel._apply_rename(self._id, self._old)


class _DeleteSession(QUndoCommand):
    def __init__(self, panel: SessionsPanel, session_id: int, title: str) -> None:
        super().__init__(f"Delete “{title}”")
        self._panel, self._id, self._title = panel, session_id, title

    def redo(self) -> None:
        panel, bus = self._panel, self._panel._bus
        was_open = bus.state.session_id == self._id
        neighbour = panel.neighbour_of(self._id)
        panel._sessions.delete(self._id)
        bus.session_deleted.emit(self._id)
        bus.sessions_changed.emit()
        if was_open and neighbour is not None:  # the chat moves on rather than going blank
            panel.select_session(neighbour)
            bus.session_opened.emit(neighbour)

    def undo(self) -> None:
        self._panel._sessions.restore(self._id)
        self._panel._bus.sessions_changed.emit()
        self._panel.select_session(self._id)
        self._panel._bus.session_opened.emit(self._id)  # back where the user left it
        self._panel.status_message.emit(f"“{self._title}” is back.")


class SessionsPanel(Panel):
    def __init__(
        self, sessions: SessionQueries, bus: Bus, undo_stack: QUndoStack, read_only: bool = False
    ) -> None:
        super().__init__()
        # Another Workbench owns the data folder: the list only shows and opens sessions.
        self.read_only = read_only
        self.setObjectName("panel.sessions")
        self._sessions, self._bus, self._undo = sessions, bus, undo_stack
        self._filling = False

        self.search = QLineEdit(placeholderText="Search all messages…", clearButtonEnabled=True)
        self.search.setObjectName("sessions.search")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._open_current)

        self.list = QListWidget()
        self.list.setObjectName("sessions.list")
        self.list.setItemDelegate(HtmlDelegate(self.list))
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setUniformItemSizes(False)
        # Titles wrap: rows are measured again when the dock's width changes.
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.itemActivated.connect(lambda _item: self._open_current())
        self.list.itemChanged.connect(self._renamed_inline)

        self.empty_hint = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setObjectName("sessions.empty")
        self.empty_hint.setEnabled(False)

        buttons = QHBoxLayout()
        self.new_button = self._button("New", "New session (Ctrl+N)", self.new_session)
        self.rename_button = self._button("Rename", "Rename (F2)", self.rename_current)
        self.delete_button = self._button(
            "Delete", "Delete (Del); Ctrl+Z undoes", self.delete_current
        )
        for b in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint)

        for keys, slot in (("F2", self.rename_current), ("Del", self.delete_current)):
            shortcut = QShortcut(QKeySequence(keys), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        bus.sessions_changed.connect(self.refresh)
        bus.session_renamed.connect(lambda *_: self.refresh())
        bus.session_opened.connect(self._follow_opened)
        bus.new_session_requested.connect(self.new_session)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.list.itemClicked.connect(lambda _item: self._open_current())
        self.refresh()
        if bus.state.session_id is not None:  # opened before this panel was built
            self.select_session(bus.state.session_id)

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton(text=text, toolTip=tip, autoRaise=True)
        button.clicked.connect(slot)
        return button

    # --- what the list shows -------------------------------------------------------------
    def refresh(self) -> None:
        selected = self.current_session_id()
        query = self.search.text().strip()
        self._filling = True
        self.list.clear()
        if query:
            hits = self._sessions.search(query)
            for hit in hits:
                self.list.addItem(self._hit_item(hit))
            self.empty_hint.setText("" if hits else f"No message contains “{html.escape(query)}”.")
        else:
            summaries = self._sessions.list()
            for summary in summaries:
                self.list.addItem(self._session_item(summary))
            self.empty_hint.setText("" if summaries else "No sessions yet.\nCtrl+N starts one.")
        self.empty_hint.setVisible(bool(self.empty_hint.text()))
        self._filling = False
        if not query and self._bus.state.session_id is not None:
            selected = self._bus.state.session_id  # the list marks the session that is open
        if selected is not None:
            self.select_session(selected)
        self._update_buttons()

    def _session_item(self, summary: SessionSummary) -> QListWidgetItem:
        item = QListWidgetItem(summary.title)
        item.setData(SESSION_ROLE, summary.id)
        count = summary.message_count
        detail = f"{count} message{'s' if count != 1 else ''} · {ago(summary.last_used_at)}"
        item.setData(HTML_ROLE, f"{html.escape(summary.title)}<br><small>{detail}</small>")
        item.setToolTip(f"{summary.title}\n{detail}")
        if not self.read_only:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def _hit_item(self, hit: SearchHit) -> QListWidgetItem:
        snippet = html.escape(hit.snippet).replace(MATCH_START, "<b>").replace(MATCH_END, "</b>")
        item = QListWidgetItem(hit.session_title)
        item.setData(HTML_ROLE, f"<b>{html.escape(hit.session_title)}</b><br>{snippet}")
        item.setData(SESSION_ROLE, hit.session_id)
        item.setData(MESSAGE_ROLE, hit.message_id)
        return item

    def _update_buttons(self) -> None:
        has = self.current_session_id() is not None and not self.search.text().strip()
        writable = not self.read_only
        self.new_button.setEnabled(writable)
        self.rename_button.setEnabled(has and writable)
        self.delete_button.setEnabled(self.current_session_id() is not None and writable)

    # --- actions -----------------------------------------------------------------------------
    def current_session_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(SESSION_ROLE))

    def neighbour_of(self, session_id: int) -> int | None:
        """The session listed after `session_id` (before it, if it is last), if any."""
        ids = [s.id for s in self._sessions.list()]
        if session_id not in ids or len(ids) < 2:
            return None
        index = ids.index(session_id)
        return ids[index + 1] if index + 1 < len(ids) else ids[index - 1]

    def select_session(self, session_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(SESSION_ROLE) == session_id:
                self.list.setCurrentRow(row)
                return

    def new_session(self) -> int | None:
        if self.read_only:
            self.status_message.emit("No new session: this window is read-only.")
            return None
        self.search.clear()
        session_id = self._sessions.create()
        self._bus.sessions_changed.emit()
        self.select_session(session_id)
        self._bus.session_opened.emit(session_id)
        return session_id

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEditable:
            self.list.editItem(item)

    def delete_current(self) -> None:
        session_id = self.current_session_id()
        summary = self._sessions.get(session_id) if session_id is not None else None
        if summary is None or self.read_only:
            return
        self._undo.push(_DeleteSession(self, summary.id, summary.title))
        self.status_message.emit(f"Deleted “{summary.title}”. Edit ▸ Undo (Ctrl+Z) brings it back.")

    def _open_current(self) -> None:
        item = self.list.currentItem() or (self.list.item(0) if self.list.count() else None)
        if item is None:
            return
        session_id, message_id = item.data(SESSION_ROLE), item.data(MESSAGE_ROLE)
        if message_id is not None:
            self._bus.message_requested.emit(int(session_id), int(message_id))
        else:
            self._bus.session_opened.emit(int(session_id))

    def _follow_opened(self, session_id: int) -> None:
        if not self.search.text().strip() and self.current_session_id() != session_id:
            self.refresh()  # a session made elsewhere (the chat's first message) shows up
            self.select_session(session_id)

    def _renamed_inline(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        session_id = int(item.data(SESSION_ROLE))
        summary = self._sessions.get(session_id)
        new = " ".join(item.text().split())
        if summary is None or not new or new == summary.title:
            self._filling = True
            item.setText(summary.title if summary else item.text())
            self._filling = False
            return
        self._undo.push(_RenameSession(self, session_id, summary.title, new))

    def _apply_rename(self, session_id: int, title: str) -> None:
        self._sessions.rename(session_id, title)
        self._bus.session_renamed.emit(session_id, title)
        self.refresh()
