"""The matrix as a table: rows are dataset rows (x repeats), columns prompt versions x models.

Cells live in a dict by key and are formatted only when the view asks, which it does for the
cells on screen alone: a 10,000-cell grid costs a screenful of formatting per paint. A cell
arriving from the runner changes that one index (and the pass rate of its row and column
headers, told at most every HEADER_MS: the view re-measures its headers for each), never the
whole model, so the view keeps its scroll position and selection. Many cells marked at once
(`update_cells`) are one change over the whole grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from workbench.core.prompt_lab.model import Cell, CellKey, CellStatus
from workbench.ui.panels.prompt_lab import cell_text

Index = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole

CELL_ROLE = Role.UserRole + 1  # the Cell, or None while the runner has not reached it
FIGURES_ROLE = Role.UserRole + 2  # '1.2 s · 12→57 tok · $0.0004'
PASSED_ROLE = Role.UserRole + 3  # True, False, or None (unfinished, or nothing to check)
STATUS_ROLE = Role.UserRole + 4  # the CellStatus, or None

_Key = tuple[int, int, int, int]  # version id, row, column, repeat: cheaper to hash than CellKey
_MARK = {True: "✓ ", False: "✗ "}
_FINISHED = frozenset(s for s in CellStatus if s.finished)
BULK_CELLS = 64
HEADER_MS = 100  # from this many cells at once, one change for the whole grid is cheaper


class Shown(NamedTuple):
    """What the delegate paints for one cell, worked out once per cell, not once per paint."""

    passed: bool | None
    status: CellStatus | None
    text: str  # ✓ or ✗, then the answer's start
    figures: str


@dataclass(frozen=True, slots=True)
class GridShape:
    """What the grid's axes are, independent of which cells have arrived."""

    version_ids: tuple[int, ...] = ()
    version_labels: tuple[str, ...] = ()  # 'v3', one per version id
    columns: tuple[str, ...] = ()  # each model column's title
    rows: int = 0  # dataset rows
    repeats: int = 1
    row_labels: tuple[str, ...] = ()  # a few words per dataset row
    # Per version id, its assertions' names, so a failed check is named in the tooltip.
    check_names: dict[int, tuple[str, ...]] = field(default_factory=dict)


class _Tally:
    __slots__ = ("judged", "passed")

    def __init__(self) -> None:
        self.passed = 0
        self.judged = 0

    def add(self, passed: bool | None, sign: int) -> None:
        if passed is not None:
            self.judged += sign
            self.passed += sign * passed


class LabGridModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shape = GridShape()
        self._cells: dict[_Key, Cell] = {}
        self._version_at: dict[int, int] = {}
        self._columns: list[_Tally] = []
        self._rows: list[_Tally] = []
        self.total = _Tally()  # over every cell: the progress line reads it per arriving cell
        self.finished = 0
        self._shown: dict[tuple[int, int], Shown] = {}
        self._row_count = self._column_count = 0
        # Pass rates shown in headers are told at most every HEADER_MS, however fast cells
        # finish; the counts behind them are always current.
        self._header_rows: set[int] = set()
        self._header_columns: set[int] = set()
        self._headers = QTimer(self, singleShot=True, interval=HEADER_MS)
        self._headers.timeout.connect(self._tell_headers)

    # --- filling -------------------------------------------------------------------------------
    def set_matrix(self, shape: GridShape, cells: list[Cell] | tuple[Cell, ...] = ()) -> None:
        """A new matrix (or one reopened from the store): the one reset this model makes."""
        self.beginResetModel()
        self.shape = shape
        self._version_at = {v: i for i, v in enumerate(shape.version_ids)}
        self._row_count = shape.rows * max(shape.repeats, 1)
        self._column_count = len(shape.version_ids) * len(shape.columns)
        self._cells, self._shown = {}, {}
        self._columns = [_Tally() for _ in range(len(shape.version_ids) * len(shape.columns))]
        self._rows = [_Tally() for _ in range(shape.rows * max(shape.repeats, 1))]
        self.total, self.finished = _Tally(), 0
        self._header_rows, self._header_columns = set(), set()
        self._fill(shape, cells)
        self.endResetModel()

    def _fill(self, shape: GridShape, cells: list[Cell] | tuple[Cell, ...]) -> None:
        """Every cell into place and counted: one tight loop (10,000 cells when a finished
        matrix opens), so no helper calls and each verdict worked out once."""
        version_at, store = self._version_at, self._cells
        rows, width, repeats = shape.rows, len(shape.columns), max(shape.repeats, 1)
        by_row, by_column, total = self._rows, self._columns, self.total
        finished = 0
        for cell in cells:
            key = cell.key
            version = version_at.get(key.version_id)
            row, column, repeat = key.row, key.column, key.repeat
            if version is None or not (0 <= row < rows and 0 <= column < width):
                continue
            if not 0 <= repeat < repeats:
                continue
            store[(key.version_id, row, column, repeat)] = cell
            if not cell.status.finished:
                continue  # nothing to count: unfinished cells have no verdict
            finished += 1
            passed = cell.passed
            if passed is not None:
                for tally in (by_row[row * repeats + repeat], by_column[version * width + column]):
                    tally.judged += 1
                    tally.passed += passed
                total.judged += 1
                total.passed += passed
        self.finished = finished

    def update_cell(self, cell: Cell) -> None:
        """One cell arrived or changed: that index and its two headers, nothing else."""
        place = self._place(cell.key)
        if place is None:
            return
        key = _key(cell.key)
        old = self._cells.get(key)
        self._cells[key] = cell
        self.finished += cell.status.finished - (old is not None and old.status.finished)
        before = old.passed if old is not None else None
        if before is not cell.passed:
            self._count(place, before, -1)
            self._count(place, cell.passed, 1)
            self._header_rows.add(place[0])
            self._header_columns.add(place[1])
            if not self._headers.isActive():
                self._headers.start()
        self._shown.pop(place, None)
        index = self.index(*place)
        self.dataChanged.emit(index, index)

    def update_cells(self, cells: list[Cell]) -> None:
        """Many cells at once (a runner marking 10,000 queued): counted in one loop, then one
        change over the grid and its headers, instead of a signal per cell."""
        if len(cells) < BULK_CELLS:
            for cell in cells:
                self.update_cell(cell)
            return
        store, finished, version_at = self._cells, self.finished, self._version_at
        shape = self.shape
        rows, width, repeats = shape.rows, len(shape.columns), max(shape.repeats, 1)
        for cell in cells:  # a tight loop: a verdict is looked at only if one can change
            k = cell.key
            version = version_at.get(k.version_id)
            row, column, repeat = k.row, k.column, k.repeat
            if version is None or not (0 <= row < rows and 0 <= column < width):
                continue
            if not 0 <= repeat < repeats:
                continue
            key = (k.version_id, row, column, repeat)
            old = store.get(key)
            store[key] = cell
            now_done = cell.status in _FINISHED
            was_done = old is not None and old.status in _FINISHED
            if now_done or was_done:
                finished += now_done - was_done
                before = old.passed if was_done and old is not None else None
                if before is not cell.passed:
                    place = (row * repeats + repeat, version * width + column)
                    self._count(place, before, -1)
                    self._count(place, cell.passed, 1)
        self.finished = finished
        self._shown.clear()
        self._header_rows, self._header_columns = set(), set()  # all told just below
        if self._row_count and self._column_count:
            last_row, last_column = self._row_count - 1, self._column_count - 1
            self.dataChanged.emit(self.index(0, 0), self.index(last_row, last_column))
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, last_column)
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, last_row)

    def _tell_headers(self) -> None:
        """The headers whose pass rates changed since the last time, in one signal each way:
        every header change makes the view measure its headers and repaint (about 10 ms)."""
        rows, columns = self._header_rows, self._header_columns
        self._header_rows, self._header_columns = set(), set()
        if columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, min(columns), max(columns))
        if rows:
            self.headerDataChanged.emit(Qt.Orientation.Vertical, min(rows), max(rows))

    def cells(self) -> list[Cell]:
        return list(self._cells.values())

    def cell(self, key: CellKey) -> Cell | None:
        return self._cells.get(_key(key))

    def cell_at(self, index: Index) -> Cell | None:
        key = self.key_at(index)
        return None if key is None else self._cells.get(_key(key))

    def key_at(self, index: Index) -> CellKey | None:
        if not index.isValid():
            return None
        shape = self.shape
        columns, repeats = len(shape.columns), max(shape.repeats, 1)
        version, column = divmod(index.column(), columns)
        row, repeat = divmod(index.row(), repeats)
        if version >= len(shape.version_ids) or row >= shape.rows:
            return None
        return CellKey(shape.version_ids[version], row, column, repeat)

    def index_of(self, key: CellKey) -> QModelIndex:
        place = self._place(key)
        return QModelIndex() if place is None else self.index(*place)

    def shown(self, row: int, column: int) -> Shown:
        """The painted texts of the cell at (row, column), kept until that cell changes."""
        found = self._shown.get((row, column))
        if found is None:
            shape = self.shape
            width, repeats = len(shape.columns), max(shape.repeats, 1)
            version, model_column = divmod(column, width)
            data_row, repeat = divmod(row, repeats)
            cell = self._cells.get((shape.version_ids[version], data_row, model_column, repeat))
            passed = None if cell is None else cell.passed
            status = None if cell is None else cell.status
            text = _MARK.get(passed, "") + cell_text.short_output(cell)
            found = Shown(passed, status, text, cell_text.figures(cell))
            self._shown[(row, column)] = found
        return found

    def rate(self, orientation: Qt.Orientation, section: int) -> tuple[int, int]:
        """(passed, judged) of one column or row."""
        tallies = self._columns if orientation == Qt.Orientation.Horizontal else self._rows
        if not 0 <= section < len(tallies):
            return 0, 0
        return tallies[section].passed, tallies[section].judged

    def _place(self, key: CellKey) -> tuple[int, int] | None:
        shape = self.shape
        version = self._version_at.get(key.version_id)
        repeats = max(shape.repeats, 1)
        ok = 0 <= key.row < shape.rows and 0 <= key.column < len(shape.columns)
        if version is None or not ok or not 0 <= key.repeat < repeats:
            return None
        return key.row * repeats + key.repeat, version * len(shape.columns) + key.column

    def _count(self, place: tuple[int, int], passed: bool | None, sign: int) -> None:
        self.total.add(passed, sign)
        self._rows[place[0]].add(passed, sign)
        self._columns[place[1]].add(passed, sign)

    # --- Qt's model interface ------------------------------------------------------------------
    # The view asks for these for every cell it paints: plain numbers, worked out at reset.
    def rowCount(self, parent: Index | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else self._row_count

    def columnCount(self, parent: Index | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else self._column_count

    def data(self, index: Index, role: int = Role.DisplayRole) -> object:
        key = self.key_at(index)
        if key is None:
            return None
        cell = self._cells.get(_key(key))
        if role == Role.DisplayRole:
            return cell_text.short_output(cell)
        if role == FIGURES_ROLE:
            return cell_text.figures(cell)
        if role == PASSED_ROLE:
            return None if cell is None else cell.passed
        if role == STATUS_ROLE:
            return None if cell is None else cell.status
        if role == CELL_ROLE:
            return cell
        if role == Role.ToolTipRole:
            return cell_text.tooltip(cell, self.shape.check_names.get(key.version_id, ()))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Role.DisplayRole):
        if role not in (Role.DisplayRole, Role.ToolTipRole):
            return None
        shape = self.shape
        passed, judged = self.rate(orientation, section)
        rate = cell_text.rate(passed, judged)
        if orientation == Qt.Orientation.Horizontal:
            if not shape.columns:
                return None
            version, column = divmod(section, len(shape.columns))
            if version >= len(shape.version_labels):
                return None
            title = f"{shape.version_labels[version]} · {shape.columns[column]}"
        else:
            row, repeat = divmod(section, max(shape.repeats, 1))
            title = shape.row_labels[row] if row < len(shape.row_labels) else f"row {row + 1}"
            if shape.repeats > 1:
                title = f"{title} #{repeat + 1}"
        return f"{title}\n{rate or '–'}" if role == Role.DisplayRole else f"{title}\n{rate}"


def _key(key: CellKey) -> _Key:
    return key.version_id, key.row, key.column, key.repeat
