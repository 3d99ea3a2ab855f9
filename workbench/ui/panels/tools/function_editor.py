"""One function's definition: its name (checked as typed), description, strict flag, and its
parameters in the JSON editor, linted as the user types and marked where the lint found
problems."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.core.tools import FunctionTool, name_problem
from workbench.ui.panels.tools.parameter_findings import Finding, FindingsList, findings_for
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel
from workbench.ui.widgets.json_editor import JsonEditor
from workbench.ui.widgets.schema_lint_runner import LintRunner, Result

DESCRIPTION_LINES = 3
STRICT_TIP = (
    "Strict mode: the model's arguments always match the schema. It needs every object closed "
    "(additionalProperties: false) and every property required."
)


class FunctionEditor(QWidget):
    edited = Signal()  # the user changed the function (name, description, strict or parameters)

    def __init__(self, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tool_function_editor")
        self._filling = False  # True while a function is being shown, not edited
        self.name = QLineEdit(self, objectName="tool_name", placeholderText="get_weather")
        self.name_problem = ErrorLabel("", self, objectName="tool_name_problem", wordWrap=True)
        self.name_problem.hide()
        self.description = QPlainTextEdit(self, objectName="tool_description")
        self.description.setPlaceholderText("What the function does and when to call it")
        self.description.setTabChangesFocus(True)
        lines = self.description.fontMetrics().lineSpacing() * DESCRIPTION_LINES
        self.description.setMaximumHeight(lines + 12)
        self.strict = QCheckBox("Strict", self, objectName="tool_strict")
        self.strict.setToolTip(STRICT_TIP)
        self.parameters = JsonEditor(self)
        self.parameters.setObjectName("tool_parameters")
        self.findings = FindingsList(self)
        self.linter = LintRunner(tasks, self)
        self._result: Result = None
        self._build_layout()
        self.name.textEdited.connect(self._name_edited)
        self.description.textChanged.connect(self._changed)
        self.strict.toggled.connect(self._strict_toggled)
        self.parameters.textChanged.connect(self._parameters_changed)
        self.linter.linted.connect(self._linted)
        self.findings.itemClicked.connect(self._go_to)
        self.findings.itemActivated.connect(self._go_to)

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", self.name)
        form.addRow("", self.name_problem)
        form.addRow("Description", self.description)
        form.addRow("", self.strict)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(form)
        layout.addWidget(QLabel("Parameters (JSON Schema)", self), 0)
        layout.addWidget(self.parameters, 3)
        layout.addWidget(self.findings, 1)

    # --- showing and reading -----------------------------------------------------------------
    def set_function(self, function: FunctionTool) -> None:
        self._filling = True
        try:
            self.name.setText(function.name)
            self.description.setPlainText(function.description)
            self.strict.setChecked(function.strict)
            self.parameters.setPlainText(function.parameters)
        finally:
            self._filling = False
        self._show_name_problem()
        self.linter.text_changed(function.parameters)
        self.linter.run_now()  # a function picked in the list shows its findings at once

    def function(self) -> FunctionTool:
        return FunctionTool(
            name=self.name.text(),
            description=self.description.toPlainText(),
            parameters=self.parameters.toPlainText(),
            strict=self.strict.isChecked(),
        )

    # --- editing -------------------------------------------------------------------------------
    def _changed(self) -> None:
        if not self._filling:
            self.edited.emit()

    def _name_edited(self, _text: str) -> None:
        self._show_name_problem()
        self._changed()

    def _show_name_problem(self) -> None:
        said = name_problem(self.name.text())
        self.name_problem.setText(said or "")
        self.name_problem.setVisible(said is not None)

    def _strict_toggled(self, _on: bool) -> None:
        self._show_findings()
        self._changed()

    def _parameters_changed(self) -> None:
        if self._filling:
            return
        self.linter.text_changed(self.parameters.toPlainText())
        self.edited.emit()

    def _linted(self, text: str, result: Result) -> None:
        if text != self.parameters.toPlainText():
            return  # a newer text is on its way to the lint
        self._result = result
        self._show_findings()

    def _show_findings(self) -> None:
        found = findings_for(self._result, strict=self.strict.isChecked())
        self.findings.show_findings(found)
        self.parameters.set_marks([m for m in (f.mark() for f in found) if m is not None])

    def _go_to(self, item: QListWidgetItem) -> None:
        finding = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(finding, Finding) and finding.line is not None:
            self.parameters.go_to(finding.line, 1, finding.start)
            self.parameters.setFocus(Qt.FocusReason.OtherFocusReason)
