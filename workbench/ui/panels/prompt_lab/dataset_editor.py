"""The dataset: a table of variable rows, saved by name, imported from and exported to CSV or
JSONL. A bad file is refused with the line of the bad row; the table keeps what it had."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.prompt_lab.datasets import (
    DatasetProblem,
    dataset_from_csv,
    dataset_from_jsonl,
    dataset_to_csv,
    dataset_to_jsonl,
)
from workbench.core.prompt_lab.model import Dataset
from workbench.services.store.prompt_lab import PromptLabQueries
from workbench.ui.tasks import BackgroundTasks

RED = "color: #b3261e;"
FILTERS = "CSV (*.csv);;JSON Lines (*.jsonl *.ndjson)"
MAX_IMPORT_BYTES = 50 * 1024 * 1024


def parse(name: str, path: Path, text: str) -> Dataset:
    """By the file's extension: JSONL for .jsonl/.ndjson, CSV for anything else."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return dataset_from_jsonl(name, text)
    return dataset_from_csv(name, text)


def read_dataset(name: str, path: Path) -> Dataset:
    """In a worker: read and parse. Raises DatasetProblem or OSError, said to the user."""
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise DatasetProblem(f"{path.name} is over {MAX_IMPORT_BYTES // 2**20} MB.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetProblem(f"{path.name} is not UTF-8 text ({exc.reason}).") from exc
    return parse(name, path, text)


class DatasetEditor(QWidget):
    changed = Signal()
    status = Signal(str)

    def __init__(
        self, lab: PromptLabQueries, tasks: BackgroundTasks, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._lab, self._tasks = lab, tasks
        self.name = QComboBox(self, objectName="lab_dataset_name", editable=True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.lineEdit().setPlaceholderText("A name for this dataset")
        self.table = QTableWidget(0, 0, self, objectName="lab_dataset")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.error = QLabel(self, objectName="lab_dataset_error", wordWrap=True)
        self.error.setStyleSheet(RED)
        self.error.hide()
        buttons = QHBoxLayout()
        for text, name, slot in (
            ("+ Row", "lab_add_row", self.add_row),
            ("+ Column", "lab_add_column", self.ask_column),
            ("Remove rows", "lab_remove_rows", self.remove_rows),
            ("Import…", "lab_import", self.choose_import),
            ("Export…", "lab_export", self.choose_export),
            ("Save dataset", "lab_save_dataset", self.save),
        ):
            button = QPushButton(text, self, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            if name == "lab_remove_rows":
                buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Dataset</b>", self))
        top.addWidget(self.name, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.name.activated.connect(lambda _i: self.open_dataset(self.name.currentText()))
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        self.refresh_names()
        if self.name.count():
            self.open_dataset(self.name.itemText(0))

    # --- the table -----------------------------------------------------------------------------
    def dataset(self) -> Dataset:
        columns = tuple(
            self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())
        )
        rows = []
        for r in range(self.table.rowCount()):
            values = {}
            for c, column in enumerate(columns):
                item = self.table.item(r, c)
                values[column] = item.text() if item is not None else ""
            rows.append(values)
        return Dataset(self.name.currentText().strip(), columns, tuple(rows))

    def show_dataset(self, dataset: Dataset) -> None:
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setColumnCount(len(dataset.columns))
        self.table.setHorizontalHeaderLabels(list(dataset.columns))
        self.table.setRowCount(len(dataset.rows))
        for r, row in enumerate(dataset.rows):
            for c, column in enumerate(dataset.columns):
                self.table.setItem(r, c, QTableWidgetItem(row.get(column, "")))
        self.table.blockSignals(False)
        if dataset.name:
            self.name.setCurrentText(dataset.name)
        self.changed.emit()

    def ensure_columns(self, names: tuple[str, ...]) -> None:
        """The template's variables as columns, so the table asks for what the prompt needs."""
        have = {self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())}
        for name in names:
            if name not in have:
                self.add_column(name)

    def add_row(self) -> None:
        self.table.insertRow(self.table.rowCount())
        self.changed.emit()

    def add_column(self, name: str) -> None:
        column = self.table.columnCount()
        self.table.insertColumn(column)
        self.table.setHorizontalHeaderItem(column, QTableWidgetItem(name))
        self.changed.emit()

    def ask_column(self) -> None:
        name, ok = QInputDialog.getText(self, "New column", "Variable name:")
        if ok and name.strip():
            self.ensure_columns((name.strip(),))

    def remove_rows(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        self.changed.emit()

    # --- store ---------------------------------------------------------------------------------
    def refresh_names(self) -> None:
        current = self.name.currentText()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItems(self._lab.dataset_names())
        self.name.setCurrentText(current)
        self.name.blockSignals(False)

    def open_dataset(self, name: str) -> None:
        found = self._lab.dataset(name.strip())
        if found is not None:
            self.show_dataset(found)
            self._say("")

    def save(self) -> Dataset | None:
        dataset = self.dataset()
        if not dataset.name:
            self._say("Give the dataset a name before saving it.")
            return None
        self._lab.save_dataset(dataset)
        self.refresh_names()
        self._say("")
        self.status.emit(f"Dataset “{dataset.name}” saved ({len(dataset.rows)} rows).")
        return dataset

    # --- files ---------------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a dataset", "", FILTERS)
        if path:
            self.import_file(Path(path))

    def choose_export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export the dataset", "", FILTERS)
        if path:
            target = Path(path)
            if not target.suffix:
                target = target.with_suffix(".jsonl" if "JSON" in chosen else ".csv")
            self.export_file(target)

    def import_file(self, path: Path) -> asyncio.Task:
        name = self.name.currentText().strip() or path.stem
        return self._tasks.start("Importing a dataset", self._import(name, path))

    async def _import(self, name: str, path: Path) -> None:
        try:
            dataset = await asyncio.to_thread(read_dataset, name, path)
        except (DatasetProblem, OSError) as exc:
            if Shiboken.isValid(self):
                self._say(f"Not imported: {path.name}, {_sentence(exc)}")
            return
        if Shiboken.isValid(self):
            self.show_dataset(dataset)
            self._say("")
            self.status.emit(f"Imported {len(dataset.rows)} rows from {path.name}.")

    def export_file(self, path: Path) -> asyncio.Task:
        dataset = self.dataset()
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
        text = dataset_to_jsonl(dataset) if jsonl else dataset_to_csv(dataset)
        return self._tasks.start("Exporting a dataset", self._write(path, text, len(dataset.rows)))

    async def _write(self, path: Path, text: str, rows: int) -> None:
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            if Shiboken.isValid(self):
                self._say(f"Not exported: {exc.strerror or exc} ({path}).")
            return
        if Shiboken.isValid(self):
            self.status.emit(f"Exported {rows} rows to {path.name}.")

    def _say(self, problem: str) -> None:
        self.error.setText(problem)
        self.error.setVisible(bool(problem))


def _sentence(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}."
    text = str(exc)
    return text[:1].lower() + text[1:] if text.startswith("Line") else text
