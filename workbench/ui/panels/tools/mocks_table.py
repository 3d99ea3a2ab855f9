"""The saved results for the selected function's calls: one row per mock, "when the arguments
include" (a JSON object, or empty for any call) and the result given back to the model. A
"when" that is not a JSON object is said at its row, and such a mock never matches."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.theme import ErrorLabel, error_text

WHEN, RESULT = 0, 1
HEADERS = ("When arguments include (JSON)", "Result")
WHEN_TIP = 'A JSON object such as {"city": "Paris"}; empty matches any call.'
Mock = tuple[str, str]  # (when, result)


def when_problem(when: str) -> str | None:
    """Why `when` can never match, or None (empty matches every call)."""
    if not when.strip():
        return None
    try:
        value = json.loads(when)
    except ValueError as error:
        return f"not JSON: {error}"
    if not isinstance(value, dict):
        return 'not a JSON object: write {"argument": value, …}'
    return None


class MocksTable(QWidget):
    edited = Signal()  # the user added, removed or changed a mock

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.table = QTableWidget(0, 2, self, objectName="tool_mocks")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeaderItem(WHEN).setToolTip(WHEN_TIP)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WHEN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        # Short labels (the table above says what they add): a narrow dock keeps them whole.
        self.add_button = QPushButton("Add", self, objectName="tool_mock_add")
        self.add_button.setToolTip("Add a mock result for this function")
        self.remove_button = QPushButton("Remove", self, objectName="tool_mock_remove")
        self.remove_button.setToolTip("Remove the selected mock result")
        self.problem = ErrorLabel("", self, objectName="tool_mock_problem", wordWrap=True)
        self.problem.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.table.itemChanged.connect(self._item_changed)
        self._enable()

    def set_mocks(self, mocks: list[Mock]) -> None:
        self._filling = True
        try:
            self.table.setRowCount(0)
            for when, result in mocks:
                self._append(when, result)
        finally:
            self._filling = False
        self._check_rows()
        self._enable()

    def mocks(self) -> list[Mock]:
        return [(self._text(row, WHEN), self._text(row, RESULT)) for row in range(self.row_count())]

    def row_count(self) -> int:
        return self.table.rowCount()

    def add(self) -> None:
        self._filling = True
        try:
            row = self._append("", "")
        finally:
            self._filling = False
        self.table.setCurrentCell(row, WHEN)
        self.table.editItem(self.table.item(row, WHEN))
        self._check_rows()
        self._enable()
        self.edited.emit()

    def remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self._check_rows()
            self._enable()
            self.edited.emit()

    def _append(self, when: str, result: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, WHEN, QTableWidgetItem(when))
        self.table.setItem(row, RESULT, QTableWidgetItem(result))
        return row

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _item_changed(self, _item: QTableWidgetItem) -> None:
        if self._filling:
            return
        self._check_rows()
        self.edited.emit()

    def _check_rows(self) -> None:
        """Each bad "when" marked at its cell, and all of them said under the table."""
        said = []
        self._filling = True  # colouring a cell is an itemChanged too
        try:
            for row in range(self.table.rowCount()):
                item = self.table.item(row, WHEN)
                if item is None:
                    continue
                problem = when_problem(item.text())
                if problem is None:
                    item.setForeground(QBrush())
                    item.setToolTip(WHEN_TIP)
                else:
                    item.setForeground(error_text(self.palette()))
                    item.setToolTip(f"Never matches: {problem}")
                    said.append(f"Row {row + 1}: “when” is {problem}; this mock never matches.")
        finally:
            self._filling = False
        self.problem.setText("\n".join(said))
        self.problem.setVisible(bool(said))

    def _enable(self) -> None:
        self.remove_button.setEnabled(self.row_count() > 0)
