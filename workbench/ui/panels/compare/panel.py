"""The Compare panel: one prompt to 2-6 columns at once, each its own endpoint, model and knobs.

Answers stream into every column concurrently; each can be repeated k times to see whether a
model is consistent; two columns can be diffed word by word; a column's answer can go into the
chat as a branch. Every comparison is saved and can be reopened.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.budget import Estimate
from workbench.core.comparison import (
    MAX_COLUMNS,
    MAX_REPEATS,
    MIN_COLUMNS,
    ColumnSpec,
    SavedComparison,
    column_turns,
    problem_with,
)
from workbench.core.runs import ChatTurn, RunEvent, RunKind, RunParams, RunRecord, RunRequest
from workbench.core.tree import MessageTree
from workbench.services.comparison_run import ComparisonRun, answer_into_chat
from workbench.services.model_catalog import CatalogError, ModelCatalog
from workbench.services.run_service import RunService
from workbench.services.store import Store
from workbench.ui.bus import Bus
from workbench.ui.context_guard import window_allows
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.compare.column import CompareColumn, ParamsDialog
from workbench.ui.panels.compare.insights import CompareInsights
from workbench.ui.panels.compare.schema_checks import check_column_answer
from workbench.ui.tasks import BackgroundTasks


@dataclass(frozen=True, slots=True)
class CompareDeps:
    store: Store
    bus: Bus
    tasks: BackgroundTasks
    runs: RunService
    catalog: ModelCatalog
    budget: Any = None  # ui.budget_guard.BudgetGuard, asked before money is spent


class ComparePanel(Panel):
    def __init__(self, deps: CompareDeps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel.compare")
        self.deps = deps
        self.session_id = deps.bus.state.session_id  # the chat's, opened before this was built
        self.columns: list[CompareColumn] = []
        self.comparison: SavedComparison | None = None
        self._run: ComparisonRun | None = None
        self._task: asyncio.Task[Any] | None = None

        self.prompt = QPlainTextEdit(self, objectName="compare_prompt")
        self.prompt.setPlaceholderText("A prompt for every column  (Ctrl+Enter runs, Esc stops)")
        self.prompt.setMaximumHeight(80)
        self.with_history = QCheckBox("After this session's conversation", self)
        self.with_history.setObjectName("compare_with_history")
        self.with_history.setToolTip(
            "Send the open chat session's messages before the prompt; otherwise start fresh"
        )
        self.repeats = QSpinBox(self, minimum=1, maximum=MAX_REPEATS, objectName="compare_repeats")
        self.repeats.setPrefix("× ")
        self.repeats.setToolTip(f"Ask each column this many times (up to {MAX_REPEATS})")
        self.run_button = QPushButton("Run", self, objectName="compare_run")
        self.run_button.setDefault(True)
        self.stop_button = QPushButton("Stop", self, objectName="compare_stop", enabled=False)
        self.add_button = QPushButton("+ Column", self, objectName="compare_add_column")
        self.saved = QComboBox(self, objectName="compare_saved")
        self.saved.setMinimumContentsLength(24)
        self.saved.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.delete_button = QPushButton("Delete", self, objectName="compare_delete")
        self.delete_button.setToolTip(
            "Delete the open comparison (its runs stay in the cost meter)"
        )

        self.columns_row = QSplitter(Qt.Orientation.Horizontal, self)
        self.columns_row.setObjectName("compare_columns")
        self.columns_row.setChildrenCollapsible(False)
        self.insights = CompareInsights(self)
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(self.columns_row)
        body.addWidget(self.insights)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)

        controls = QHBoxLayout()
        controls.addWidget(self.with_history)
        controls.addWidget(QLabel("Repeat", self))
        controls.addWidget(self.repeats)
        controls.addWidget(self.add_button)
        controls.addStretch(1)
        controls.addWidget(QLabel("Saved", self))
        controls.addWidget(self.saved, 1)
        controls.addWidget(self.delete_button)
        top = QHBoxLayout()
        top.addWidget(self.prompt, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        top.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(body, 1)

        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.add_button.clicked.connect(lambda: self.add_column())
        self.saved.activated.connect(self._open_saved)
        self.delete_button.clicked.connect(self.delete_open)
        self.insights.diff_changed.connect(self._show_diff)
        # Local to the prompt and the panel: window-wide, they would take Ctrl+Enter and Esc
        # from the chat composer while this dock exists (Qt finds them ambiguous and runs none).
        for keys, owner, slot, context in (
            ("Ctrl+Return", self.prompt, self.run, Qt.ShortcutContext.WidgetShortcut),
            ("Ctrl+Enter", self.prompt, self.run, Qt.ShortcutContext.WidgetShortcut),
            ("Esc", self, self.stop, Qt.ShortcutContext.WidgetWithChildrenShortcut),
        ):
            QShortcut(QKeySequence(keys), owner, slot).setContext(context)
        deps.bus.session_opened.connect(self._session_opened)
        deps.bus.endpoints_changed.connect(self._endpoints_changed)
        for _ in range(MIN_COLUMNS):
            self.add_column()
        self.refresh_saved()

    # --- columns -------------------------------------------------------------------------------
    def add_column(self, spec: ColumnSpec | None = None) -> CompareColumn | None:
        if len(self.columns) >= MAX_COLUMNS:
            self.status_message.emit(f"A comparison has at most {MAX_COLUMNS} columns.")
            return None
        if spec is None:
            spec = self.columns[-1].spec() if self.columns else self._chat_spec()
        column = CompareColumn(self.deps.runs.endpoints, spec, self.columns_row)
        column.endpoint_changed.connect(self._load_models)
        column.remove_requested.connect(self.remove_column)
        column.chat_settings_requested.connect(self.copy_chat_settings)
        column.parameters_requested.connect(self.edit_parameters)
        column.send_to_chat_requested.connect(self.send_to_chat)
        column.answer_shown.connect(self._answer_shown)
        column.copied.connect(self.status_message)
        column.settings_changed.connect(self._relabel)
        column.answer_clicked.connect(self._select_answer)
        self.columns.append(column)
        self.columns_row.addWidget(column)
        self._columns_changed()
        self._load_models(column)
        return column

    def remove_column(self, column: CompareColumn) -> None:
        if len(self.columns) <= MIN_COLUMNS:
            self.status_message.emit(f"A comparison needs at least {MIN_COLUMNS} columns.")
            return
        if self._task is not None:
            self.status_message.emit("Stop the comparison before removing a column.")
            return
        self.columns.remove(column)
        column.deleteLater()
        column.setParent(None)
        self._columns_changed()

    def _columns_changed(self) -> None:
        for number, column in enumerate(self.columns, 1):
            column.set_number(number)
        self.add_button.setEnabled(len(self.columns) < MAX_COLUMNS)
        self._relabel()
        self.columns_row.setSizes([1000] * len(self.columns))

    def _relabel(self) -> None:
        self.insights.set_columns(
            [f"{n}: {c.spec().label} · {c.settings.text()}" for n, c in enumerate(self.columns, 1)]
        )

    def _chat_spec(self) -> ColumnSpec:
        """The open chat session's settings, or the active endpoint with its defaults."""
        prompt, endpoint_id, params = "", None, RunParams()
        if self.session_id is not None:
            prompt, endpoint_id, params = self.deps.store.conversation.settings(self.session_id)
        endpoint = self.deps.runs.endpoint(endpoint_id)
        if not params.model:
            params = RunParams(model=endpoint.default_model)
        return ColumnSpec(endpoint.id, endpoint.name, params, prompt)

    def copy_chat_settings(self, column: CompareColumn) -> None:
        column.set_spec(self._chat_spec())
        self._load_models(column)
        self.status_message.emit("Column set to the chat session's settings.")

    def edit_parameters(self, column: CompareColumn) -> None:
        spec = column.spec()
        catalog = self.deps.catalog
        traits = catalog.traits(spec.endpoint_id, spec.params.model)
        dialog = ParamsDialog(spec, catalog.known(spec.endpoint_id) or [], traits, self)
        if dialog.exec():
            column.set_parameters(*dialog.values())
            self._columns_changed()

    def _load_models(self, column: CompareColumn) -> None:
        endpoint_id = column.spec().endpoint_id
        if self.deps.runs.find_endpoint(endpoint_id) is None:
            return
        known = self.deps.catalog.known(endpoint_id)
        if known is None:
            self.deps.tasks.start("Listing models", self._fetch_models(endpoint_id), quiet=True)
        else:
            column.set_models(known, self.deps.runs.endpoint(endpoint_id).default_model)

    async def _fetch_models(self, endpoint_id: str) -> None:
        try:
            listed = await self.deps.catalog.fetch(endpoint_id)
        except CatalogError as exc:
            if Shiboken.isValid(self):
                self.status_message.emit(str(exc))
            return
        if not Shiboken.isValid(self):
            return
        default = self.deps.runs.endpoint(endpoint_id).default_model
        for column in self.columns:
            if column.spec().endpoint_id == endpoint_id:
                column.set_models(listed, default)

    def _endpoints_changed(self) -> None:
        self.deps.catalog.forget()
        for column in self.columns:
            column.set_endpoints(self.deps.runs.endpoints)

    def _session_opened(self, session_id: int) -> None:
        self.session_id = session_id

    def _answer_shown(self, column: CompareColumn) -> None:
        self._show_diff()
        self._select_answer(column)

    def _select_answer(self, column: CompareColumn) -> None:
        answer = column.shown_answer()
        if answer is not None and answer.record is not None:
            self.deps.bus.run_selected.emit(answer.record.run_id)

    # --- running -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None

    def take_prompt(self, text: str) -> None:
        if self._task is None:  # never under a comparison still running
            self.prompt.setPlainText(text)
            self.prompt.setFocus()

    def run(self) -> None:
        if self._task is not None:
            return
        if self.deps.store.read_only:  # a comparison is stored before it is sent
            self.status_message.emit(
                "Not run: this window is read-only (another Workbench uses this data folder)."
            )
            return
        prompt = self.prompt.toPlainText().strip()
        specs = tuple(c.spec() for c in self.columns)
        repeats = self.repeats.value()
        problem = problem_with(prompt, specs, repeats)
        if problem:
            self.status_message.emit(problem)
            return
        history, leaf = self._history() if self.with_history.isChecked() else ((), None)
        if not self._windows_allow(specs, history, prompt):
            return
        if not self._budget_allows(specs, history, prompt, repeats):
            self.status_message.emit("Not sent: it would pass today's budget.")
            return
        session = self.session_id if self.with_history.isChecked() else None
        comparison = self.deps.store.comparisons.create(
            prompt, specs, repeats, history, session, leaf
        )
        self._start(comparison)

    def _start(self, comparison: SavedComparison) -> None:
        self.comparison = comparison
        for column in self.columns:
            column.begin()
            column.set_consistency("")
        run = ComparisonRun(self.deps.runs, comparison, self._on_event, self._on_finished)
        self._run = run
        self._task = self.deps.tasks.start("Comparing", self._execute(run))
        self._set_busy(True)
        self.refresh_saved(comparison.id)

    async def _execute(self, run: ComparisonRun) -> None:
        try:
            await run.execute()
        except asyncio.CancelledError:
            if Shiboken.isValid(self):
                for column in self.columns:
                    column.stopped()
            raise
        finally:
            if Shiboken.isValid(self) and self._run is run:
                self._task, self._run = None, None
                self._set_busy(False)
                self._update_insights()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.status_message.emit("Stopped. What arrived is kept.")

    def shutdown(self) -> None:
        """The app is closing: answers still streaming are kept, marked interrupted."""
        if self._run is not None:
            self._run.abandon()

    def _set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.add_button.setEnabled(not busy and len(self.columns) < MAX_COLUMNS)
        self.saved.setEnabled(not busy)
        self.delete_button.setEnabled(not busy and self.comparison is not None)

    def _on_event(self, position: int, repeat: int, answer_id: int, event: RunEvent) -> None:
        if Shiboken.isValid(self) and position < len(self.columns):
            self.columns[position].on_event(repeat, answer_id, event)

    def _on_finished(self, position: int, repeat: int, answer_id: int, record: RunRecord) -> None:
        if not Shiboken.isValid(self) or position >= len(self.columns):
            return
        answer = self.deps.store.comparisons.answer_for_run(record.run_id)
        self.columns[position].on_finished(repeat, record, answer.content if answer else "")
        check_column_answer(self.columns[position], repeat, self.deps.store.runs, self.deps.tasks)
        self._update_insights(position)

    def _history(self) -> tuple[tuple[ChatTurn, ...], int | None]:
        if self.session_id is None:
            return (), None
        conversation = self.deps.store.conversation
        tree = MessageTree(conversation.visible(self.session_id))
        path = tree.path_to(conversation.current_leaf(self.session_id))
        turns = tuple(ChatTurn.of(str(m.role), m.content) for m in path if m.content)
        return turns, (path[-1].id if path else None)

    def _windows_allow(
        self, specs: tuple[ColumnSpec, ...], history: tuple[ChatTurn, ...], prompt: str
    ) -> bool:
        """Asks first when a column's prompt is over its model's known context window."""
        worst: tuple[float, int, int] | None = None
        for spec in specs:
            window = self.deps.catalog.traits(spec.endpoint_id, spec.params.model).context_window
            turns = column_turns(spec, history, prompt)
            text = RunRequest(RunKind.CHAT_COMPLETION, spec.endpoint_id, spec.params, turns)
            tokens = len(text.prompt_text()) // 4 + 1  # rough, as for the budget
            if window and tokens > window and (worst is None or tokens / window > worst[0]):
                worst = (tokens / window, tokens, window)
        if worst is None:
            return True
        return window_allows(self, worst[1], worst[2], self.status_message.emit)

    def _budget_allows(
        self, specs: tuple[ColumnSpec, ...], history: tuple[ChatTurn, ...], prompt: str, k: int
    ) -> bool:
        guard = self.deps.budget
        if guard is None:
            return True
        runs = self.deps.runs

        def estimates() -> list[Estimate]:
            priced = []
            for spec in specs:
                turns = column_turns(spec, history, prompt)
                request = RunRequest(RunKind.CHAT_COMPLETION, spec.endpoint_id, spec.params, turns)
                # A rough prompt size (4 characters a token) is enough to judge a budget.
                priced.append(runs.estimate(request, len(request.prompt_text()) // 4 + 1))
            return priced

        return bool(guard.allows(self, estimates, k))

    # --- insights: consistency and diff --------------------------------------------------------
    def _update_insights(self, position: int | None = None) -> None:
        targets = self.columns if position is None else [self.columns[position]]
        for column in targets:
            column.set_consistency(self.insights.consistency_text(column.answers))
        self._show_diff()

    def _show_diff(self) -> None:
        a, b = self.insights.diff_pair()
        if a == b or max(a, b) >= len(self.columns):
            self.insights.clear_diff("Choose two different columns to compare their answers.")
            return
        left, right = self.columns[a].shown_answer(), self.columns[b].shown_answer()
        if left is None or right is None or not (left.content or right.content):
            self.insights.clear_diff("The diff appears once both columns have answered.")
            return
        self.insights.show_diff(f"Column {a + 1}", left.content, f"Column {b + 1}", right.content)

    # --- chat and saved comparisons ------------------------------------------------------------
    def send_to_chat(self, column: CompareColumn) -> None:
        answer = column.shown_answer()
        if self.comparison is None or answer is None or answer.record is None:
            return
        position = self.columns.index(column)
        spec = self.comparison.columns[position].spec
        session_id, message_id = answer_into_chat(
            self.deps.store, self.comparison, spec, answer.content, answer.record.run_id
        )
        self.deps.bus.sessions_changed.emit()
        self.deps.bus.message_requested.emit(session_id, message_id)
        self.status_message.emit(f"Column {position + 1}'s answer is in the chat as a branch.")

    def refresh_saved(self, current: int | None = None) -> None:
        self.saved.blockSignals(True)
        self.saved.clear()
        self.saved.addItem("New comparison", None)
        for summary in self.deps.store.comparisons.recent():
            label = f"{summary.title}  ({summary.columns} columns"
            label += f" × {summary.repeats})" if summary.repeats > 1 else ")"
            self.saved.addItem(label, summary.id)
        index = self.saved.findData(current) if current is not None else 0
        self.saved.setCurrentIndex(max(index, 0))
        self.saved.blockSignals(False)
        self.delete_button.setEnabled(current is not None and not self.running)

    def _open_saved(self, index: int) -> None:
        comparison_id = self.saved.itemData(index)
        if comparison_id is None:
            self.comparison = None
            for column in self.columns:
                column.begin()
                column.set_consistency("")
            self.delete_button.setEnabled(False)
            self._show_diff()
            return
        self.open_comparison(int(comparison_id))

    def open_comparison(self, comparison_id: int) -> None:
        saved = self.deps.store.comparisons.get(comparison_id)
        if saved is None or self._task is not None:
            return
        self.comparison = saved
        self.prompt.setPlainText(saved.prompt)
        self.repeats.setValue(saved.repeats)
        self.with_history.setChecked(saved.session_id is not None)
        while len(self.columns) > len(saved.columns):
            doomed = self.columns.pop()
            doomed.setParent(None)
            doomed.deleteLater()
        while len(self.columns) < len(saved.columns):
            self.add_column(saved.columns[len(self.columns)].spec)
        runs = self.deps.store.runs
        for column, data in zip(self.columns, saved.columns, strict=True):
            records = {a.run_id: runs.get(a.run_id) for a in data.answers if a.run_id is not None}
            column.show_saved(data, {k: v for k, v in records.items() if v is not None})
            for repeat in range(len(column.answers)):
                check_column_answer(column, repeat, runs, self.deps.tasks)
        self._columns_changed()
        self._update_insights()
        self.refresh_saved(comparison_id)

    def delete_open(self) -> None:
        if self.comparison is None or self._task is not None:
            return
        answer = QMessageBox.question(
            self,
            "Delete comparison",
            f"Delete “{self.comparison.title}”? Its runs stay in the cost meter.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.deps.store.comparisons.delete(self.comparison.id)
            self.comparison = None
            self.refresh_saved()
            self._open_saved(0)
