"""The Prompt Lab grid's model and view (and the regression list) on a 10,000-cell matrix."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from workbench.core.prompt_lab.model import Cell, CellKey, CellStatus, CheckResult
from workbench.ui.panels.prompt_lab.grid_model import (
    CELL_ROLE,
    FIGURES_ROLE,
    GridShape,
    LabGridModel,
)
from workbench.ui.panels.prompt_lab.grid_view import LabGrid
from workbench.ui.panels.prompt_lab.regression_view import FLIP_SLICE, RegressionView

SHAPE = GridShape(
    version_ids=(7, 9),
    version_labels=("v1", "v2"),
    columns=("gpt-4o", "mini"),
    rows=2500,
    repeats=1,
    check_names={7: ("contains “a”",), 9: ("contains “a”",)},
)


def done(key: CellKey, passed: bool, output: str = "an answer") -> Cell:
    return Cell(
        key,
        CellStatus.DONE,
        output=output,
        latency_ms=1250.0,
        queue_ms=800.0,
        prompt_tokens=12,
        completion_tokens=57,
        cost_usd=0.0004,
        price_status="priced",
        checks=(CheckResult(0, passed, "" if passed else "“a” not found"),),
    )


def every_cell(passed_every: int = 2) -> list[Cell]:
    return [
        done(CellKey(v, r, c, 0), r % passed_every == 0)
        for v in SHAPE.version_ids
        for r in range(SHAPE.rows)
        for c in range(2)
    ]


def test_ten_thousand_cells_are_laid_out_once_and_counted(qtbot) -> None:
    grid = LabGrid()
    qtbot.addWidget(grid)
    model = grid.grid_model
    model.set_matrix(SHAPE, every_cell())
    assert (model.rowCount(), model.columnCount()) == (2500, 4)
    assert model.finished == 10_000
    assert (model.total.passed, model.total.judged) == (5000, 10_000)
    # Columns are versions x models; rows are dataset rows.
    assert model.headerData(2, Qt.Orientation.Horizontal).startswith("v2 · gpt-4o\n")
    assert "1250/2500 pass (50%)" in model.headerData(3, Qt.Orientation.Horizontal)
    assert "4/4 pass (100%)" in model.headerData(0, Qt.Orientation.Vertical)
    assert "0/4 pass (0%)" in model.headerData(1, Qt.Orientation.Vertical)
    index = model.index(1, 3)
    assert model.key_at(index) == CellKey(9, 1, 1, 0)
    assert model.index_of(CellKey(9, 1, 1, 0)) == index
    assert model.data(index, FIGURES_ROLE) == "1.2 s (+800 ms queued) · 12→57 tok · $0.00040"
    assert model.data(index, Qt.ItemDataRole.ToolTipRole).startswith(
        "fail: contains “a”: “a” not found"
    )


def test_a_cell_arriving_changes_that_cell_and_its_headers_only(qtbot) -> None:
    grid = LabGrid()
    qtbot.addWidget(grid)
    model = grid.grid_model
    keys = [CellKey(v, r, c, 0) for v in (7, 9) for r in range(2500) for c in range(2)]
    model.set_matrix(SHAPE, [Cell(k, CellStatus.PENDING) for k in keys])
    changed, headers, resets = [], [], []
    model.dataChanged.connect(
        lambda a, b, _r=(): changed.append((a.row(), a.column(), b.row(), b.column()))
    )
    model.headerDataChanged.connect(lambda o, a, b: headers.append((o, a, b)))
    model.modelReset.connect(lambda: resets.append(1))

    key = CellKey(9, 40, 0, 0)
    model.update_cell(Cell(key, CellStatus.RUNNING))
    assert changed == [(40, 2, 40, 2)] and headers == [] and resets == []
    assert model.data(model.index(40, 2)) == "running…"
    assert model.shown(40, 2).text == "running…"  # what the delegate paints, kept...
    model.update_cell(done(key, False, "no letter here"))
    assert model.rate(Qt.Orientation.Horizontal, 2) == (0, 1)  # counted at once...
    # ...and the headers told of it soon after, once (however many cells finish meanwhile).
    expected = [(Qt.Orientation.Horizontal, 2, 2), (Qt.Orientation.Vertical, 40, 40)]
    qtbot.waitUntil(lambda: headers == expected, timeout=2000)
    # Run again and passing now: the old verdict is taken out of the counts, not added to.
    model.update_cell(replace(done(key, True), output="a letter"))
    assert model.shown(40, 2).text == "✓ a letter"  # ...until the cell changes
    assert model.rate(Qt.Orientation.Horizontal, 2) == (1, 1)
    assert model.rate(Qt.Orientation.Vertical, 40) == (1, 1)
    assert (model.total.passed, model.total.judged, model.finished) == (1, 1, 1)
    assert len(changed) == 3 and resets == []
    # A cell of another matrix (unknown version) is ignored.
    model.update_cell(done(CellKey(99, 0, 0, 0), True))
    assert len(changed) == 3


def test_repeats_are_rows_and_a_failed_request_shows_its_error(qtbot) -> None:
    grid = LabGrid()
    qtbot.addWidget(grid)
    shape = replace(SHAPE, rows=3, repeats=2, row_labels=("1. Ada", "2. Bob", "3. Cy"))
    model = grid.grid_model
    failed = Cell(CellKey(7, 1, 1, 1), CellStatus.FAILED, error="Rate limited: slow down")
    model.set_matrix(shape, [failed])
    assert model.rowCount() == 6
    assert model.headerData(3, Qt.Orientation.Vertical).startswith("2. Bob #2\n")
    index = model.index_of(failed.key)
    assert (index.row(), index.column()) == (3, 1)
    assert model.data(index) == "error: Rate limited: slow down"
    assert model.data(index, CELL_ROLE).passed is False
    assert model.data(model.index(0, 0)) == ""  # not reached yet: nothing to say


class CountingModel(LabGridModel):
    """Notes every cell the view formats (for painting, or anything else)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple[int, int]] = set()

    def shown(self, row: int, column: int):
        self.asked.add((row, column))
        return super().shown(row, column)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        self.asked.add((index.row(), index.column()))
        return super().data(index, role)


def test_the_view_paints_only_what_is_on_screen(qtbot) -> None:
    grid = LabGrid()
    qtbot.addWidget(grid)
    model = CountingModel()
    grid.grid_model = model
    grid.setModel(model)
    grid.resize(900, 600)
    model.set_matrix(SHAPE, every_cell())
    grid.show()
    qtbot.waitUntil(lambda: bool(model.asked))  # painted
    qtbot.wait(50)
    assert len(model.asked) < 200  # a screenful, of 10,000
    assert max(r for r, _ in model.asked) < 60


def test_many_cells_at_once_count_as_one_by_one_in_a_single_change(qtbot) -> None:
    """A runner marking every cell at once: the same counts and texts as cell by cell, told
    as one change over the grid and its headers, not one per cell."""
    keys = [CellKey(v, r, c, 0) for v in (7, 9) for r in range(2500) for c in range(2)]
    pending = [Cell(k, CellStatus.PENDING) for k in keys]
    arrived = [
        done(k, k.row % 3 != 0) if k.row % 2 else Cell(k, CellStatus.FAILED, error="boom")
        for k in keys[::3]
    ] + [done(CellKey(99, 0, 0, 0), True)]  # another matrix's: ignored by both
    one, many = LabGridModel(), LabGridModel()
    for model in (one, many):
        model.set_matrix(SHAPE, pending)
    for cell in arrived:
        one.update_cell(cell)
    changed, headers = [], []
    many.dataChanged.connect(
        lambda a, b, _r=(): changed.append((a.row(), a.column(), b.row(), b.column()))
    )
    many.headerDataChanged.connect(lambda o, a, b: headers.append((o, a, b)))
    many.update_cells(arrived)

    assert changed == [(0, 0, 2499, 3)]
    assert headers == [(Qt.Orientation.Horizontal, 0, 3), (Qt.Orientation.Vertical, 0, 2499)]
    assert (many.finished, many.total.passed, many.total.judged) == (
        one.finished,
        one.total.passed,
        one.total.judged,
    )
    assert many.finished == len(arrived) - 1 and 0 < many.total.passed < many.total.judged
    for orientation, sections in ((Qt.Orientation.Horizontal, 4), (Qt.Orientation.Vertical, 2500)):
        rates = [many.rate(orientation, n) for n in range(sections)]
        assert rates == [one.rate(orientation, n) for n in range(sections)]
    for row, column in ((0, 0), (1, 1), (3, 0), (2499, 3)):
        assert many.shown(row, column) == one.shown(row, column)

    # Every unfinished cell queued at once: finished cells are not among them, counts stay.
    before = (many.finished, many.total.passed, many.total.judged)
    finished = {c.key for c in many.cells() if c.status.finished}
    many.update_cells([Cell(k, CellStatus.QUEUED) for k in keys if k not in finished])
    assert (many.finished, many.total.passed, many.total.judged) == before
    assert many.data(many.index(1, 0)) == "queued…"
    # Re-running finished cells takes their verdicts out of the counts.
    many.update_cells([Cell(c.key, CellStatus.QUEUED) for c in arrived])
    assert (many.finished, many.total.passed, many.total.judged) == (0, 0, 0)
    assert all(many.rate(Qt.Orientation.Vertical, n) == (0, 0) for n in range(2500))


def test_a_regression_of_many_flips_is_listed_a_slice_per_pass(qtbot) -> None:
    view = RegressionView()
    qtbot.addWidget(view)
    rows = tuple(f"row {n}" for n in range(2500))
    view.set_matrix({7: "v1", 9: "v2"}, rows, SHAPE.columns, SHAPE.check_names)
    keys = [CellKey(v, r, c, 0) for v in (7, 9) for r in range(2500) for c in range(2)]
    cells = [done(k, k.version_id == 7 or k.row % 2 == 1) for k in keys]  # v2 breaks even rows
    view.show()
    view.set_cells(cells)

    assert view.flips.rowCount() == 2500  # every flipped case has its row at once...
    assert (
        view.flips.item(0, 0).text() == "✗ pass → fail" and view.flips.item(0, 1).text() == "row 0"
    )
    assert view.flips.item(FLIP_SLICE, 0) is None  # ...and its texts over the next passes
    assert "2500 broke" in view.summary.text()
    qtbot.waitUntil(lambda: view.flips.item(2499, 3) is not None, timeout=5000)
    assert [view.flips.item(2499, n).text() for n in (1, 2)] == ["row 2498", "mini"]

    # Hidden, nothing is compared until shown again.
    asked: list[tuple[int, int]] = []
    view.compare = lambda _cells, a, b: asked.append((a, b))
    view.hide()
    view.set_cells(cells[:4])
    assert asked == []
    view.show()
    assert asked == [(7, 9)] and view.flips.rowCount() == 0  # the old list is not kept
