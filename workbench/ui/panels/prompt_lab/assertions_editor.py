"""A prompt's assertions: kind and value per line, each checked as it is typed. A JSON schema
can come from the Schema Editor (its "Use in chat" offers it on the bus)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.prompt_lab.assertions import assertion_problem, describe
from workbench.core.prompt_lab.model import Assertion, AssertionKind
from workbench.ui.bus import Bus

RED = "color: #b3261e;"
KIND_LABELS = {
    AssertionKind.CONTAINS: "contains",
    AssertionKind.NOT_CONTAINS: "does not contain",
    AssertionKind.REGEX: "matches regex",
    AssertionKind.EQUALS: "equals",
    AssertionKind.VALID_JSON: "is valid JSON",
    AssertionKind.JSON_SCHEMA: "matches JSON schema",
    AssertionKind.MAX_LENGTH: "max length (chars)",
    AssertionKind.MAX_LATENCY_MS: "max latency (ms)",
    AssertionKind.MAX_COST_USD: "max cost (USD)",
    AssertionKind.JUDGE: "judged by a model (rubric)",
}
KIND, VALUE, JUDGE_MODEL = 0, 1, 2


class AssertionsEditor(QWidget):
    changed = Signal()

    def __init__(self, bus: Bus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self.table = QTableWidget(0, 3, self, objectName="lab_assertions")
        self.table.setHorizontalHeaderLabels(
            ["Check", "Value (text, regex, number, rubric…)", "Judge model"]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KIND, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.itemChanged.connect(lambda _i: self._edited())
        add = QPushButton("+ Check", self, objectName="lab_add_assertion")
        remove = QPushButton("Remove", self, objectName="lab_remove_assertion")
        self.from_schema = QPushButton("Schema from Schema Editor", self)
        self.from_schema.setObjectName("lab_schema_from_editor")
        self.from_schema.setToolTip(
            "A “matches JSON schema” check with the schema the Schema Editor offered last "
            "(its Use in chat)"
        )
        self.problems = QLabel(self, objectName="lab_assertion_problems", wordWrap=True)
        self.problems.setStyleSheet(RED)
        add.clicked.connect(lambda: self.add(Assertion(AssertionKind.CONTAINS)))
        remove.clicked.connect(self.remove_selected)
        self.from_schema.clicked.connect(self.add_offered_schema)
        bus.schema_chosen.connect(lambda _s: self._offer())
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        buttons.addWidget(self.from_schema)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Checks</b> (on every cell)", self))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        self._offer()
        self._edited()

    def set_assertions(self, assertions: tuple[Assertion, ...]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for assertion in assertions:
            self._append(assertion)
        self.table.blockSignals(False)
        self._edited()

    def add(self, assertion: Assertion) -> None:
        self.table.blockSignals(True)
        self._append(assertion)
        self.table.blockSignals(False)
        self.table.setCurrentCell(self.table.rowCount() - 1, VALUE)
        self._edited()

    def assertions(self) -> tuple[Assertion, ...]:
        found = []
        for row in range(self.table.rowCount()):
            box = self.table.cellWidget(row, KIND)
            kind = AssertionKind(box.currentData()) if isinstance(box, QComboBox) else None
            if kind is None:
                continue
            value = self._text(row, VALUE)
            found.append(Assertion(kind, value, self._text(row, JUDGE_MODEL).strip()))
        return tuple(found)

    def problem(self) -> str | None:
        """The first check that can't be checked, said with its line."""
        for number, assertion in enumerate(self.assertions(), 1):
            problem = assertion_problem(assertion)
            if problem:
                return f"Check {number} ({KIND_LABELS[assertion.kind]}): {problem}"
        return None

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or [self.table.rowCount() - 1]:
            if row >= 0:
                self.table.removeRow(row)
        self._edited()

    def add_offered_schema(self) -> None:
        schema = self._bus.state.schema
        if schema:
            self.add(Assertion(AssertionKind.JSON_SCHEMA, schema))

    def _append(self, assertion: Assertion) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        box = QComboBox(self.table)
        for kind, label in KIND_LABELS.items():
            box.addItem(label, str(kind))
        box.setCurrentIndex(max(0, box.findData(str(assertion.kind))))
        box.currentIndexChanged.connect(lambda _i: self._edited())
        self.table.setCellWidget(row, KIND, box)
        self.table.setItem(row, VALUE, QTableWidgetItem(assertion.value))
        self.table.setItem(row, JUDGE_MODEL, QTableWidgetItem(assertion.rubric_model))

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _edited(self) -> None:
        for row, assertion in enumerate(self.assertions()):
            item = self.table.item(row, VALUE)
            if item is not None:
                item.setToolTip(describe(assertion))
        problem = self.problem()
        self.problems.setText(problem or "")
        self.problems.setVisible(bool(problem))
        self.changed.emit()

    def _offer(self) -> None:
        self.from_schema.setEnabled(bool(self._bus.state.schema))
