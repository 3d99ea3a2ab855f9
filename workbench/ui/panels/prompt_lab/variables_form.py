"""The template's variables as a form, and the prompt rendered with them: a variable with no
value is named in red rather than rendered as nothing."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.core.prompt_lab.templates import TemplateProblem, render, template_variables

RED = "color: #b3261e;"
MUTED = "color: palette(placeholder-text);"


class VariablesForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLineEdit] = {}
        self._labels: dict[str, QLabel] = {}
        self._kept: dict[str, str] = {}  # values typed for variables since taken out
        self.form = QFormLayout()
        self.empty = QLabel("No {{variables}} in the prompt.", self)
        self.empty.setStyleSheet(MUTED)
        self.problem = QLabel(self, objectName="lab_template_problem", wordWrap=True)
        self.problem.setStyleSheet(RED)
        self.problem.hide()
        self.preview = QPlainTextEdit(self, objectName="lab_preview", readOnly=True)
        self.preview.setPlaceholderText("The prompt as it would be sent with these values")
        self.preview.setMinimumHeight(44)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Variables</b>", self)
        layout.addWidget(title)
        layout.addWidget(self.empty)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(QLabel("<b>Preview</b>", self))
        layout.addWidget(self.preview, 1)

    def set_variables(self, names: tuple[str, ...]) -> None:
        """One field per variable, in order; values typed earlier are kept by name."""
        if tuple(self.fields) == names:
            return
        for name, box in self.fields.items():
            self._kept[name] = box.text()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields, self._labels = {}, {}
        for name in names:
            box = QLineEdit(self._kept.get(name, ""), self)
            box.setObjectName(f"lab_var_{name}")
            box.setPlaceholderText(f"a value for {{{{{name}}}}}")
            box.textChanged.connect(lambda _t: self.changed.emit())
            label = QLabel(name, self)
            self.form.addRow(label, box)
            self.fields[name], self._labels[name] = box, label
        self.empty.setVisible(not names)

    def values(self) -> dict[str, str]:
        return {name: box.text() for name, box in self.fields.items() if box.text()}

    def fill(self, values: dict[str, str]) -> None:
        for name, box in self.fields.items():
            box.setText(values.get(name, ""))

    def show_render(self, system: str, user: str) -> None:
        """Renders both templates with the form's values; a missing variable is named in red,
        its label too."""
        try:
            names = sorted({*template_variables(system), *template_variables(user)})
        except TemplateProblem as exc:
            self._say(str(exc))
            return
        self.set_variables(tuple(names))
        values = self.values()
        missing = [n for n in names if n not in values]
        for name, label in self._labels.items():
            label.setStyleSheet(RED if name in missing else "")
        try:
            parts = [render(system, values, "system prompt"), render(user, values, "user prompt")]
        except TemplateProblem as exc:
            self._say(str(exc))
            return
        self.problem.hide()
        system_text, user_text = parts
        shown = f"[system]\n{system_text}\n\n[user]\n{user_text}" if system_text else user_text
        self.preview.setPlainText(shown)

    def _say(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.show()
        self.preview.clear()
