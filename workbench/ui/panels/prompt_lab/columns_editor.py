"""The matrix's model columns (endpoint, model, parameters, as Compare's columns), how many
times each cell runs, and how many requests each endpoint takes at once."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.comparison import params_summary
from workbench.core.endpoints import Endpoint
from workbench.core.prompt_lab.model import ModelColumn
from workbench.core.runs import RunParams
from workbench.services.model_catalog import CatalogError, ModelCatalog
from workbench.services.run_service import RunService
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.widgets.params_dialog import ParamsDialog as SharedParamsDialog
from workbench.ui.widgets.params_form import fill_model_box, model_box

MAX_COLUMNS = 6
MAX_REPEATS = 10
MUTED = "color: palette(placeholder-text);"


class ParamsDialog(SharedParamsDialog):
    """The chat's parameter form for one column, without a system prompt (the template has it)."""

    def __init__(self, params: RunParams, models: list[str], parent: QWidget) -> None:
        super().__init__("Column parameters", params, "", models, parent)
        # The prompt's own system template is sent: the form's system prompt has no say here.
        self.form.system_prompt.hide()
        for label in self.form.findChildren(QLabel):
            if label.text() == "<b>System prompt</b>":
                label.hide()


class ColumnRow(QFrame):
    remove_requested = Signal(object)
    endpoint_changed = Signal(object)
    parameters_requested = Signal(object)
    changed = Signal()

    def __init__(self, endpoints: list[Endpoint], column: ModelColumn, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lab_column")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.params = column.params
        self.endpoint = QComboBox(self, objectName="lab_column_endpoint")
        for endpoint in endpoints:
            self.endpoint.addItem(endpoint.name, endpoint.id)
        self.endpoint.setCurrentIndex(max(0, self.endpoint.findData(column.endpoint_id)))
        self.model = model_box(self)
        self.model.setObjectName("lab_column_model")
        self.model.setCurrentText(column.model)
        self.label = QLineEdit(column.label, self, objectName="lab_column_label")
        self.label.setPlaceholderText("label (optional)")
        self.label.setMaximumWidth(140)
        knobs = QToolButton(self, text="Parameters…", objectName="lab_column_parameters")
        remove = QToolButton(self, text="×", autoRaise=True, objectName="lab_remove_column")
        remove.setToolTip("Remove this column")
        self.summary = QLabel(self, objectName="lab_column_summary")
        self.summary.setStyleSheet(MUTED)
        line = QHBoxLayout()
        line.addWidget(self.endpoint, 2)
        line.addWidget(self.model, 3)
        line.addWidget(self.label, 1)
        line.addWidget(knobs)
        line.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.summary)
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        knobs.clicked.connect(lambda: self.parameters_requested.emit(self))
        self.endpoint.activated.connect(lambda _i: self._endpoint_picked())
        self.model.currentTextChanged.connect(lambda _t: self._changed())
        self.label.textChanged.connect(lambda _t: self._changed())
        self._changed()

    def column(self) -> ModelColumn:
        model = self.model.currentText().strip()
        return ModelColumn(
            str(self.endpoint.currentData() or ""),
            model,
            replace(self.params, model=model),
            self.label.text().strip(),
        )

    def set_params(self, params: RunParams) -> None:
        self.params = params
        if params.model:
            self.model.setCurrentText(params.model)
        self._changed()

    def set_models(self, models: list[str], default: str) -> None:
        fill_model_box(self.model, models, default)

    def _endpoint_picked(self) -> None:
        self.model.setCurrentText("")
        self.endpoint_changed.emit(self)
        self._changed()

    def _changed(self) -> None:
        self.summary.setText(params_summary(self.column().params, "") or "server defaults")
        self.changed.emit()


class ColumnsEditor(QWidget):
    changed = Signal()
    status = Signal(str)

    def __init__(
        self,
        runs: RunService,
        catalog: ModelCatalog,
        tasks: BackgroundTasks,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runs, self._catalog, self._tasks = runs, catalog, tasks
        self.rows: list[ColumnRow] = []
        self._concurrency: dict[str, QSpinBox] = {}
        self._kept: dict[str, int] = {}
        inner = QWidget(self)
        self._list = QVBoxLayout(inner)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.add_button = QPushButton("+ Model column", self, objectName="lab_add_model_column")
        self.add_button.clicked.connect(lambda: self.add_column())
        self.repeats = QSpinBox(self, minimum=1, maximum=MAX_REPEATS, objectName="lab_repeats")
        self.repeats.setPrefix("× ")
        self.repeats.setToolTip("Run every cell this many times, to see how consistent it is")
        self.repeats.valueChanged.connect(lambda _v: self.changed.emit())
        self.limits = QFormLayout()
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Repeats</b>", self))
        side.addWidget(self.repeats)
        side.addWidget(QLabel("<b>At once, per endpoint</b>", self))
        hint = QLabel("The built-in model answers one at a time: more only queues.", self)
        hint.setWordWrap(True)
        hint.setStyleSheet(MUTED)
        side.addWidget(hint)
        side.addLayout(self.limits)
        side.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Model columns</b>", self))
        left.addWidget(scroll, 1)
        left.addWidget(self.add_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 3)
        layout.addLayout(side, 1)

    def columns(self) -> tuple[ModelColumn, ...]:
        return tuple(row.column() for row in self.rows)

    def concurrency(self) -> dict[str, int]:
        return {endpoint_id: box.value() for endpoint_id, box in self._concurrency.items()}

    def set_columns(self, columns: tuple[ModelColumn, ...], repeats: int = 1) -> None:
        for row in list(self.rows):
            self._drop(row)
        for column in columns:
            self.add_column(column)
        self.repeats.setValue(repeats)

    def add_column(self, column: ModelColumn | None = None) -> ColumnRow | None:
        if len(self.rows) >= MAX_COLUMNS:
            self.status.emit(f"A matrix has at most {MAX_COLUMNS} model columns.")
            return None
        if column is None:
            column = self.rows[-1].column() if self.rows else self._default_column()
        row = ColumnRow(self._runs.endpoints, column, self)
        row.remove_requested.connect(self._remove)
        row.endpoint_changed.connect(self._load_models)
        row.parameters_requested.connect(self._edit_parameters)
        row.changed.connect(self._columns_changed)
        self.rows.append(row)
        self._list.insertWidget(self._list.count() - 1, row)
        self._load_models(row)
        self._columns_changed()
        return row

    def _default_column(self) -> ModelColumn:
        endpoint = self._runs.endpoint(None)
        model = endpoint.default_model
        return ModelColumn(endpoint.id, model, RunParams(model=model))

    def _remove(self, row: ColumnRow) -> None:
        if len(self.rows) > 1:
            self._drop(row)
            self._columns_changed()

    def _drop(self, row: ColumnRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()

    def _columns_changed(self) -> None:
        """One concurrency box per endpoint in use; values typed earlier are kept by id."""
        self.add_button.setEnabled(len(self.rows) < MAX_COLUMNS)
        used = list(dict.fromkeys(row.column().endpoint_id for row in self.rows))
        if used != list(self._concurrency):
            for endpoint_id, box in self._concurrency.items():
                self._kept[endpoint_id] = box.value()
            while self.limits.rowCount():
                self.limits.removeRow(0)
            self._concurrency = {}
            for endpoint_id in used:
                endpoint = self._runs.find_endpoint(endpoint_id)
                box = QSpinBox(self, minimum=1, maximum=32)
                box.setObjectName(f"lab_concurrency_{endpoint_id}")
                local = endpoint is not None and endpoint.is_local
                box.setValue(self._kept.get(endpoint_id, 1 if local else 4))
                box.valueChanged.connect(lambda _v: self.changed.emit())
                self.limits.addRow(endpoint.name if endpoint else endpoint_id, box)
                self._concurrency[endpoint_id] = box
        self.changed.emit()

    def _edit_parameters(self, row: ColumnRow) -> None:
        column = row.column()
        dialog = ParamsDialog(column.params, self._catalog.known(column.endpoint_id) or [], self)
        if dialog.exec():
            row.set_params(dialog.form.params())

    def _load_models(self, row: ColumnRow) -> None:
        endpoint_id = row.column().endpoint_id
        if self._runs.find_endpoint(endpoint_id) is None:
            return
        known = self._catalog.known(endpoint_id)
        default = self._runs.endpoint(endpoint_id).default_model
        if known is None:
            self._tasks.start("Listing models", self._fetch(endpoint_id), quiet=True)
        else:
            row.set_models(known, default)

    async def _fetch(self, endpoint_id: str) -> None:
        try:
            listed = await self._catalog.fetch(endpoint_id)
        except CatalogError as exc:
            if Shiboken.isValid(self):
                self.status.emit(str(exc))
            return
        if not Shiboken.isValid(self):
            return
        default = self._runs.endpoint(endpoint_id).default_model
        for row in self.rows:
            if row.column().endpoint_id == endpoint_id:
                row.set_models(listed, default)
