"""The schema editor dock: a JSON editor linted for OpenAI's strict mode as the user types, the
findings with their one-click fixes, files and examples, a schema from an example document, the
Pydantic model it describes, and "Use in chat"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.schema_lint import LintReport
from workbench.services.schema_tools import chat_schema_text, fixed_text, pretty_json
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.schema_editor.files import SchemaFiles
from workbench.ui.panels.schema_editor.findings import FindingsList, Row, fix_description, rows_for
from workbench.ui.panels.schema_editor.from_example import FromExampleDialog
from workbench.ui.panels.schema_editor.preview import PythonPreview
from workbench.ui.panels.schema_editor.texts import CHECKING, PLACEHOLDER, refusal, verdict
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import PALETTE_EVENTS, ErrorLabel, QuietLabel, error_text, palette_is_dark
from workbench.ui.widgets.anyway_question import ask_anyway
from workbench.ui.widgets.json_editor import JsonEditor
from workbench.ui.widgets.schema_lint_runner import INLINE_LIMIT, LintRunner, Result

USED = "The chat now asks for JSON matching this schema (strict)."
USE_ANYWAY = "Use anyway"
DONT_USE = "Don't use"


def _menu_button(text: str, name: str, menu: QMenu, parent: QWidget) -> QToolButton:
    button = QToolButton(parent, objectName=name, text=text)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return button


class SchemaEditorPanel(Panel):
    def __init__(
        self,
        bus: Bus,
        tasks: BackgroundTasks,
        examples: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel.schema_editor")
        self.bus, self.tasks = bus, tasks
        self.result: Result = None
        self.editor = JsonEditor(self)
        self.editor.setPlaceholderText(PLACEHOLDER)
        self.findings = FindingsList(self)
        self.detail = QuietLabel("", self, objectName="schema_finding_detail", wordWrap=True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = PythonPreview(tasks, self)
        self.linter = LintRunner(tasks, self)
        self.files = SchemaFiles(self.editor, examples, self, self.status_message.emit)
        self._build_layout()
        self.editor.textChanged.connect(self._text_changed)
        self.linter.linted.connect(self._linted)
        self.linter.started.connect(lambda: self.verdict.setText(CHECKING))
        self.findings.row_chosen.connect(self.go_to)
        self.findings.currentItemChanged.connect(lambda item, _old: self._show_detail(item))
        # Later, not inside the clicked button's own signal: the fix rebuilds the list.
        self.findings.fix_requested.connect(
            lambda fix: QTimer.singleShot(0, self, lambda: self.apply_fix(fix))
        )
        self.files.changed.connect(self._show_file)
        self._show_file()
        self._linted("", None)

    def _build_layout(self) -> None:
        file_menu = QMenu(self)
        for action in (self.files.new_action, self.files.open_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.files.save_action)
        file_menu.addAction(self.files.save_as_action)
        self.file_button = _menu_button("File", "schema_file_menu", file_menu, self)
        self.examples_menu = QMenu(self, objectName="schema_examples_menu")
        self.files.fill_examples_menu(self.examples_menu)
        self.examples_button = _menu_button("Examples", "schema_examples", self.examples_menu, self)
        self.from_example_button = QToolButton(
            self, objectName="schema_from_example_button", text="From Example…"
        )
        self.from_example_button.setToolTip("Paste a JSON document and get a strict schema for it")
        self.from_example_button.clicked.connect(self.from_example)
        self.file_label = QuietLabel("", self, objectName="schema_file_name")
        self.file_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        for button in (self.file_button, self.examples_button, self.from_example_button):
            bar.addWidget(button)
        bar.addWidget(self.file_label, 1)

        schema_tab = QSplitter(Qt.Orientation.Vertical, self, objectName="schema_split")
        schema_tab.addWidget(self.editor)
        self.below = below = QWidget(schema_tab)
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.setSpacing(2)
        below_layout.addWidget(self.findings, 1)
        below_layout.addWidget(self.detail)
        schema_tab.addWidget(below)
        schema_tab.setStretchFactor(0, 3)
        schema_tab.setStretchFactor(1, 2)
        schema_tab.setSizes([300, 200])
        schema_tab.setCollapsible(0, False)
        self.tabs = QTabWidget(self, objectName="schema_tabs")
        self.tabs.addTab(schema_tab, "Schema")
        self.tabs.addTab(self.preview, "Python Preview")

        self.verdict = QLabel("", self, objectName="schema_verdict", wordWrap=True)
        self.use_button = QPushButton("Use in Chat", self, objectName="schema_use_in_chat")
        self.use_button.setToolTip("The chat answers in JSON matching this schema (strict mode)")
        self.use_button.clicked.connect(self.use_in_chat)
        self.refused = ErrorLabel("", self, objectName="schema_refused", wordWrap=True)
        self.refused.hide()
        status = QHBoxLayout()
        status.addWidget(self.verdict, 1)
        status.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(status)
        layout.addWidget(self.refused)

    # --- the lint ------------------------------------------------------------------------------
    def _text_changed(self) -> None:
        self.refused.hide()
        self.linter.text_changed(self.editor.toPlainText())

    def _linted(self, text: str, result: Result) -> None:
        if text != self.editor.toPlainText():
            return  # a newer text is on its way to the lint
        self.result = result
        rows = rows_for(result)
        accepted = isinstance(result, LintReport) and result.accepted
        self.findings.show_rows(rows, accepted=accepted)
        self.below.setVisible(result is not None)  # an empty editor keeps the whole tab
        self.editor.set_marks([m for m in (r.mark() for r in rows) if m is not None])
        self.verdict.setText(verdict(result))
        self._colour_verdict()
        self._show_detail(None)
        self.preview.want(text if accepted else None)

    def _colour_verdict(self) -> None:
        palette = self.palette()
        if isinstance(self.result, LintReport) and self.result.accepted:
            colour = QColor("#8fd694" if palette_is_dark(palette) else "#0a6b36")
        elif self.result is None:
            colour = palette.color(QPalette.ColorRole.WindowText)
        else:
            colour = error_text(palette)
        own = self.verdict.palette()
        own.setColor(QPalette.ColorRole.WindowText, colour)
        self.verdict.setPalette(own)

    def _show_detail(self, item: QTreeWidgetItem | None) -> None:
        rows = self.findings.rows
        row = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(row, Row):
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            self.detail.setText("Click a problem to go to it." if rows else "")
        else:
            where = f" (line {row.line}, column {row.column})" if row.line is not None else ""
            self.detail.setText(f"{row.path or '$'} · {row.rule}{where}: {row.message}")
        self.detail.setVisible(bool(rows))

    def go_to(self, row: Row) -> None:
        if row.line is not None:
            self.editor.go_to(row.line, row.column or 1, row.start)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def apply_fix(self, fix_id: str) -> None:
        try:
            text = fixed_text(self.editor.toPlainText(), fix_id)
        except (ValueError, RecursionError, KeyError) as error:
            self.status_message.emit(f"Not fixed: {error}")
            return
        self.editor.replace_all(text)
        self.linter.run_now()
        self.status_message.emit(f"Fixed: {fix_description(fix_id)}. Ctrl+Z undoes it.")

    def _show_file(self) -> None:
        self.file_label.setText(self.files.title())

    # --- from an example -------------------------------------------------------------------------
    def from_example(self) -> FromExampleDialog:
        dialog = FromExampleDialog(self.tasks, self)
        dialog.accepted.connect(lambda: self._take_schema(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def _take_schema(self, dialog: FromExampleDialog) -> None:
        if dialog.schema is not None:
            self.editor.replace_all(pretty_json(dialog.schema))
            self.linter.run_now()
            self.status_message.emit("Schema made from the example. Ctrl+Z brings back the text.")

    # --- use in chat ---------------------------------------------------------------------------
    def use_in_chat(self) -> bool:
        text = self.editor.toPlainText()
        if not self.linter.is_current(text):
            if len(text) > INLINE_LIMIT:
                self.status_message.emit("Still checking the schema; try again in a moment.")
                return False
            self.linter.run_now()
        reason = refusal(self.linter.last[1])
        if reason is not None:
            self.refused.setText(f"Not used in the chat: {reason}")
            self.refused.show()
            if not text.strip() or not self._use_anyway(reason):
                return False
        self.refused.hide()
        self.bus.schema_chosen.emit(chat_schema_text(text))
        self.status_message.emit(USED)
        return True

    def _use_anyway(self, reason: str) -> bool:
        return ask_anyway(
            self,
            name="schema.question",
            title="Use this schema?",
            text="Strict mode would not accept this schema as it is.",
            detail=f"{reason}\nThe API will likely refuse the request. Use it anyway?",
            go=USE_ANYWAY,
            stop=DONT_USE,
        )

    # --- the panel contract ---------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS and hasattr(self, "verdict"):
            self._colour_verdict()

    def shutdown(self) -> None:
        """Nothing to keep: the file is the user's to save, and the app does not ask on exit."""
