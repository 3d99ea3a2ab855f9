"""Settings ▸ Endpoints: add, edit, remove and test the servers Workbench talks to."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.endpoints import (
    DEFAULT_TIMEOUT_S,
    PRESETS,
    Endpoint,
    EndpointKind,
    EndpointProblem,
    masked_headers,
    new_endpoint,
    parse_headers,
    unmasked_headers,
    validate_endpoint,
)
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.probe import ProbeResult
from workbench.ui.tasks import BackgroundTasks

Prober = Callable[[Endpoint, str | None], Awaitable[ProbeResult]]
ID_ROLE = Qt.ItemDataRole.UserRole + 1
OK_STYLE, FAIL_STYLE = "color: #1a7f37;", "color: #cf222e;"


class EndpointsDialog(QDialog):
    probe_finished = Signal(object)  # ProbeResult, for whoever waits on it (tests, the status bar)
    # The built-in model's CPU threads were changed: a count, or None for the automatic choice.
    local_threads_chosen = Signal(object)

    def __init__(
        self,
        registry: EndpointRegistry,
        vault: KeyVault,
        tasks: BackgroundTasks,
        prober: Prober,
        parent: QWidget | None = None,
        local_threads: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dialog.endpoints")
        self.setWindowTitle("Endpoints")
        self.resize(760, 460)
        self._registry, self._vault, self._tasks, self._prober = registry, vault, tasks, prober
        self._shown_id: str | None = None
        self._loading = False

        self.list = QListWidget(objectName="endpoints.list")
        self.list.setMinimumWidth(200)
        add = QToolButton(text="Add", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        add.setObjectName("endpoints.add")
        menu = QMenu(add)
        for kind, preset in PRESETS.items():
            if kind is not EndpointKind.LOCAL:
                menu.addAction(preset.label, lambda k=kind: self.add_endpoint(k))
        add.setMenu(menu)
        self.remove_button = QPushButton("Remove", objectName="endpoints.remove")
        self.remove_button.clicked.connect(self.remove_current)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        self.name = QLineEdit(objectName="endpoints.name")
        self.kind = QLabel()
        self.base_url = QLineEdit(objectName="endpoints.base_url")
        self.model = QComboBox(editable=True, objectName="endpoints.model")
        self.key = QLineEdit(objectName="endpoints.key", echoMode=QLineEdit.EchoMode.Password)
        reveal = QAction("Show", self.key, checkable=True)
        reveal.toggled.connect(
            lambda on: self.key.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        self.key.addAction(reveal, QLineEdit.ActionPosition.TrailingPosition)
        self.forget_key = QPushButton("Forget key", objectName="endpoints.forget_key")
        self.forget_key.clicked.connect(self._forget_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.forget_key)
        self.key_note = QLabel(wordWrap=True, objectName="endpoints.key_note")
        self.headers = QPlainTextEdit(objectName="endpoints.headers")
        self.headers.setPlaceholderText(
            "Name: value, one per line (values of key, token or auth headers go to the keyring)"
        )
        self.headers.setFixedHeight(64)
        self.timeout = QDoubleSpinBox(objectName="endpoints.timeout", suffix=" s", decimals=1)
        self.timeout.setRange(1.0, 3600.0)
        self.timeout.setToolTip(
            "How long to wait for the server to connect and to send each part of an answer "
            "before giving up (each retry waits as long again)."
        )
        self.continues = QCheckBox(
            "Continues a final assistant message", objectName="endpoints.continues_prefix"
        )
        self.continues.setToolTip(
            "Tick this if the server carries on from an answer's last words when the request "
            "ends with an assistant message (llama.cpp's llama-server, vLLM, DeepSeek, Mistral). "
            "Continue and forking from a token need it; a server that answers anew would glue "
            "two answers together."
        )
        # The built-in model only: its generation threads (0 = the server's own choice).
        self.threads = QSpinBox(objectName="endpoints.threads", specialValueText="Automatic")
        self.threads.setRange(0, max(1, os.cpu_count() or 1))
        self.threads.setValue(local_threads or 0)
        self._threads_saved = local_threads or 0
        self.threads.setToolTip(
            "CPU threads the built-in model generates with. Automatic uses half the cores (at "
            "most 4), which keeps answers coming when other programs keep the CPU busy; more "
            "is faster only on an idle machine. Saving restarts the model (about half a second)."
        )
        self.hint = QLabel(wordWrap=True)
        self.hint.setEnabled(False)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Base URL", self.base_url)
        form.addRow("Default model", self.model)
        form.addRow("API key", key_row)
        form.addRow("", self.key_note)
        form.addRow("Extra headers", self.headers)
        form.addRow("Timeout", self.timeout)
        form.addRow("", self.continues)
        form.addRow("CPU threads", self.threads)
        self._threads_label = form.labelForField(self.threads)
        form.addRow("", self.hint)

        self.test_button = QPushButton("Test connection", objectName="endpoints.test")
        self.test_button.clicked.connect(self.test_connection)
        self.use_button = QPushButton("Use this endpoint", objectName="endpoints.use")
        self.use_button.clicked.connect(self.use_current)
        self.result = QLabel(wordWrap=True, objectName="endpoints.result")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel(wordWrap=True, objectName="endpoints.error", styleSheet=FAIL_STYLE)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addWidget(self.use_button)
        actions.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(actions)
        right.addWidget(self.result)
        right.addStretch(1)
        right.addWidget(self.error)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.save_current)
        buttons.rejected.connect(self.close_saving)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(buttons)

        self.list.currentItemChanged.connect(self._switched)
        self._fill_list(registry.active_id)

    # --- list --------------------------------------------------------------------------------
    def _fill_list(self, select_id: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for endpoint in self._registry.endpoints:
            mark = "  (in use)" if endpoint.id == self._registry.active_id else ""
            item = QListWidgetItem(endpoint.name + mark)
            item.setData(ID_ROLE, endpoint.id)
            self.list.addItem(item)
            if endpoint.id == select_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._show(self._selected_id())

    def _selected_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(ID_ROLE))

    def _switched(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if self._shown_id is not None and self._dirty() and not self.save_current():
            self.list.blockSignals(True)
            self.list.setCurrentItem(previous)
            self.list.blockSignals(False)
            return
        self._show(None if current is None else str(current.data(ID_ROLE)))

    def _show(self, endpoint_id: str | None) -> None:
        endpoint = self._registry.get(endpoint_id) if endpoint_id else None
        self._shown_id = endpoint.id if endpoint else None
        self._loading = True
        preset = PRESETS[endpoint.kind] if endpoint else None
        self.name.setText(endpoint.name if endpoint else "")
        self.kind.setText(preset.label if preset else "")
        self.base_url.setText(endpoint.base_url if endpoint else "")
        self.model.clear()
        self.model.setEditText(endpoint.default_model if endpoint else "")
        self.key.clear()
        # Credential-like header values are masked; a mask left as is keeps the saved value.
        self.headers.setPlainText(masked_headers(endpoint.headers) if endpoint else "")
        self.timeout.setValue(endpoint.timeout_s if endpoint else DEFAULT_TIMEOUT_S)
        self.timeout.setEnabled(bool(endpoint))
        self.continues.setChecked(bool(endpoint and endpoint.can_continue))
        for widget in (self.threads, self._threads_label):
            widget.setVisible(bool(endpoint and endpoint.is_local))
        self.hint.setText(preset.hint if preset else "")
        local = bool(endpoint and endpoint.is_local)
        editable = (self.name, self.base_url, self.key, self.headers, self.forget_key)
        for widget in (*editable, self.continues):
            widget.setEnabled(bool(endpoint) and not local)
        self.remove_button.setEnabled(bool(endpoint) and not local)
        self.base_url.setPlaceholderText("Chosen when the built-in server starts" if local else "")
        self.result.clear()
        self.error.clear()
        self._loading = False
        self._update_key_note(endpoint)

    def _update_key_note(self, endpoint: Endpoint | None) -> None:
        if endpoint is None or endpoint.is_local:
            self.key_note.setText("No key needed." if endpoint else "")
            self.key.setPlaceholderText("")
            return
        saved = self._vault.has_saved_key(endpoint)
        keyring = self._vault.persistent
        if saved:
            self.key.setPlaceholderText("•••••••• saved: type to replace")
            note = "A key is saved in the system keyring." if keyring else "A key is set for now."
        elif self._vault.get(endpoint):
            self.key.setPlaceholderText("from OPENAI_API_KEY")
            note = "Using OPENAI_API_KEY from the environment."
        else:
            self.key.setPlaceholderText("required" if endpoint.needs_key else "optional")
            note = "Keys are kept in the system keyring, never in Workbench's files."
        if not keyring:
            note += (
                " No system keyring was found: keys stay in memory until Workbench closes"
                " and are never written to a file."
            )
        self.forget_key.setEnabled(saved)
        self.key_note.setText(note)
        self.key_note.setToolTip(self._vault.warning or "")

    # --- editing -----------------------------------------------------------------------------
    def _form_endpoint(self) -> Endpoint | None:
        current = self._registry.get(self._shown_id) if self._shown_id else None
        if current is None:
            return None
        if current.is_local:
            return current.with_changes(
                default_model=self.model.currentText().strip(), timeout_s=self.timeout.value()
            )
        return current.with_changes(
            name=self.name.text().strip(),
            timeout_s=self.timeout.value(),
            base_url=self.base_url.text().strip().rstrip("/"),
            default_model=self.model.currentText().strip(),
            continues_prefix=self.continues.isChecked(),
            headers=unmasked_headers(parse_headers(self.headers.toPlainText()), current.headers),
        )

    def _dirty(self) -> bool:
        try:
            edited = self._form_endpoint()
        except EndpointProblem:
            return True
        threads = self._threads_changed()
        return (
            bool(self.key.text().strip())
            or threads
            or edited != self._registry.get(self._shown_id or "")
        )

    def _threads_changed(self) -> bool:
        shown = self._registry.get(self._shown_id or "")
        return bool(shown and shown.is_local) and self.threads.value() != self._threads_saved

    def save_current(self) -> bool:
        """Save the form; on a problem, say what is wrong and keep everything as typed."""
        try:
            endpoint = self._form_endpoint()
            if endpoint is None:
                return True
            validate_endpoint(endpoint, self._registry.names(except_id=endpoint.id))
        except EndpointProblem as problem:
            self.error.setText(str(problem))
            return False
        self._registry.upsert(endpoint)
        if endpoint.is_local and self._threads_changed():
            self._threads_saved = self.threads.value()
            self.local_threads_chosen.emit(self._threads_saved or None)
        if self.key.text().strip():
            self._vault.set(endpoint, self.key.text())
        self.error.clear()
        self._fill_list(endpoint.id)
        return True

    def close_saving(self) -> None:
        if not self._dirty() or self.save_current():
            self.accept()

    def add_endpoint(self, kind: EndpointKind) -> Endpoint:
        if self._shown_id is not None and self._dirty() and not self.save_current():
            raise EndpointProblem(self.error.text())
        name, n = PRESETS[kind].label, 2
        while name in self._registry.names():
            name, n = f"{PRESETS[kind].label} {n}", n + 1
        endpoint = new_endpoint(kind, name)
        self._registry.upsert(endpoint)
        self._fill_list(endpoint.id)
        self.name.setFocus()
        self.name.selectAll()
        return endpoint

    def remove_current(self) -> None:
        endpoint_id = self._selected_id()
        endpoint = self._registry.get(endpoint_id) if endpoint_id else None
        if endpoint is None or endpoint.is_local:
            return
        self._vault.delete(endpoint)
        self._registry.remove(endpoint.id)
        self._shown_id = None
        self._fill_list(self._registry.active_id)

    def use_current(self) -> None:
        if self.save_current() and self._shown_id:
            self._registry.set_active(self._shown_id)
            self._fill_list(self._shown_id)

    def _forget_key(self) -> None:
        endpoint = self._registry.get(self._shown_id or "")
        if endpoint is not None:
            self._vault.delete(endpoint)
            self._update_key_note(endpoint)

    # --- testing -----------------------------------------------------------------------------
    def test_connection(self) -> None:
        try:
            endpoint = self._form_endpoint()
        except EndpointProblem as problem:
            self.error.setText(str(problem))
            return
        if endpoint is None:
            return
        key = self.key.text().strip() or self._vault.get(endpoint)
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(f"Testing {endpoint.name}…")
        self._tasks.start(f"Testing {endpoint.name}", self._run_probe(endpoint, key))

    async def _run_probe(self, endpoint: Endpoint, key: str | None) -> None:
        try:
            result = await self._prober(endpoint, key)
        finally:
            self.test_button.setEnabled(True)
        self.result.setStyleSheet(OK_STYLE if result.ok else FAIL_STYLE)
        self.result.setText(("✓ " if result.ok else "✗ ") + result.message)
        if result.models and endpoint.id == self._shown_id:
            typed = self.model.currentText()
            self.model.clear()
            self.model.addItems(list(result.models))
            self.model.setEditText(typed or result.models[0])
        self.probe_finished.emit(result)
