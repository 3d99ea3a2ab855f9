"""The chat's parameter form in a dialog of its own, for one column (Compare, the Prompt Lab)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from workbench.core.runs import RunParams
from workbench.ui.widgets.params_form import ParamsForm


class ParamsDialog(QDialog):
    def __init__(
        self,
        title: str,
        params: RunParams,
        system_prompt: str,
        models: list[str],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = ParamsForm(self)
        self.form.set_models(models)
        self.form.set_params(params, system_prompt)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.resize(380, 560)

    def _accept(self) -> None:
        problem = self.form.schema_problem()  # an invalid schema keeps the dialog open, said
        if problem:
            self.form.schema_error.setText(problem)
            return
        self.accept()

    def values(self) -> tuple[RunParams, str]:
        return self.form.params(), self.form.system_prompt.toPlainText()
