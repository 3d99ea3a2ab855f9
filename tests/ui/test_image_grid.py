"""The image grid: thousands of items at once, thumbnails only for what is on screen, selection,
Delete and open, removing and adding without a rebuild, and dragging an image out."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtTest import QTest

from workbench.ui.widgets.image_grid import PNG_MIME, GridItem, ImageGrid
from workbench.ui.widgets.image_grid_delegate import caption_lines

COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 230), (240, 200, 20), (150, 40, 190)]


def png(colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


IMAGES = [png(c) for c in COLOURS]


class Loader:
    """The database stand-in: an image per id, every call noted (from whichever thread)."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()
        self.gate = gate

    def __call__(self, item_id: int) -> bytes | None:
        with self._lock:
            self.calls.append(item_id)
            self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(10)
        return IMAGES[item_id % len(IMAGES)]


def items(count: int) -> list[GridItem]:
    """Newest first, as the store lists them."""
    return [
        GridItem(n, f"prompt {n}: a lighthouse at dusk in soft fog, watercolour", f"image {n}")
        for n in range(count, 0, -1)
    ]


@pytest.fixture
def make_grid(qtbot) -> Iterator[Callable[..., ImageGrid]]:
    gates: list[threading.Event] = []

    def make(loader: Callable[[int], bytes | None], **kwargs: object) -> ImageGrid:
        if isinstance(loader, Loader) and loader.gate is not None:
            gates.append(loader.gate)
        grid = ImageGrid(loader, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(grid)
        grid.resize(600, 450)
        grid.show()
        qtbot.waitExposed(grid)
        return grid

    yield make
    for gate in gates:  # never leave a worker waiting on a test's gate
        gate.set()


def ids_on_screen(grid: ImageGrid) -> list[int]:
    shown = grid.items()
    return [shown[row].id for row in grid.visible_rows()]


def screen_loaded(grid: ImageGrid) -> bool:
    on_screen = ids_on_screen(grid)
    return bool(on_screen) and all(grid.has_thumbnail(i) for i in on_screen)


def cell_centre(grid: ImageGrid, row: int) -> QPoint:
    return grid.visualRect(grid.model().index(row, 0)).center()


def thumbnail_pixel(grid: ImageGrid, row: int) -> QColor:
    """The colour drawn in the middle of a row's thumbnail square, as on screen."""
    rect = grid.visualRect(grid.model().index(row, 0))
    point = QPoint(rect.center().x(), rect.top() + 6 + grid.thumbnail_size() // 2)
    return grid.viewport().grab().toImage().pixelColor(point)


def close_to(colour: QColor, rgb: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour.getRgb()[:3], rgb, strict=True))


def test_a_thousand_items_show_at_once_and_only_those_on_screen_are_loaded(make_grid, qtbot):
    loader = Loader()
    grid = make_grid(loader)

    grid.set_items(items(1000))

    assert loader.calls == []  # nothing read or decoded while setting the items
    assert grid.model().rowCount() == 1000
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    qtbot.wait(300)  # anything else that was going to be loaded
    on_screen = ids_on_screen(grid)
    assert 0 < len(on_screen) < 100
    assert set(on_screen) <= set(loader.calls)
    assert len(loader.calls) <= 2 * len(on_screen)  # the screen and a row either side
    assert len(set(loader.calls)) == len(loader.calls)  # each image read once
    newest = max(i.id for i in items(1000))
    assert min(loader.calls) > newest - 100  # from the top of the grid, newest first
    assert "MainThread" not in loader.threads


def test_placeholders_until_thumbnails_arrive_then_the_pictures(make_grid, qtbot):
    gate = threading.Event()
    grid = make_grid(Loader(gate))
    grid.set_items(items(40))
    qtbot.wait(100)
    model = grid.model()

    assert model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    grey = thumbnail_pixel(grid, 0)
    assert abs(grey.red() - grey.green()) < 10 and abs(grey.green() - grey.blue()) < 10

    gate.set()
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    for row in grid.visible_rows():
        thumbnail = model.data(model.index(row, 0), Qt.ItemDataRole.DecorationRole)
        assert isinstance(thumbnail, QPixmap)
        assert max(thumbnail.width(), thumbnail.height()) == grid.thumbnail_size()
    first = grid.items()[0].id
    qtbot.waitUntil(lambda: close_to(thumbnail_pixel(grid, 0), COLOURS[first % len(COLOURS)]))
    assert close_to(thumbnail_pixel(grid, 1), COLOURS[grid.items()[1].id % len(COLOURS)])


def test_scrolling_loads_the_new_screen(make_grid, qtbot):
    loader = Loader()
    grid = make_grid(loader)
    grid.set_items(items(1000))
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)

    grid.scrollToBottom()

    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    assert grid.visible_rows().stop == 1000
    assert len(set(loader.calls)) < 200


def test_the_thumbnail_size_can_be_changed(make_grid, qtbot):
    grid = make_grid(Loader(), thumbnail_size=96)
    grid.set_items(items(30))
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    small = grid.gridSize()

    grid.set_thumbnail_size(200)

    assert grid.thumbnail_size() == 200
    assert grid.gridSize().width() > small.width()
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    row = grid.visible_rows()[0]
    thumbnail = grid.model().data(grid.model().index(row, 0), Qt.ItemDataRole.DecorationRole)
    assert thumbnail.width() == 200  # 300x200 images: fitted by their width


def test_click_selects_one_and_ctrl_or_shift_extend(make_grid, qtbot):
    grid = make_grid(Loader())
    grid.set_items(items(20))
    shown = [i.id for i in grid.items()]
    viewport = grid.viewport()

    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=cell_centre(grid, 1))
    assert grid.selected_ids() == [shown[1]]

    QTest.mouseClick(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        cell_centre(grid, 4),
    )
    assert grid.selected_ids() == shown[1:5]

    QTest.mouseClick(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        cell_centre(grid, 0),
    )
    assert grid.selected_ids() == shown[0:5]

    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=cell_centre(grid, 2))
    assert grid.selected_ids() == [shown[2]]


def test_delete_asks_to_delete_the_selection(make_grid, qtbot):
    grid = make_grid(Loader())
    grid.set_items(items(20))
    shown = [i.id for i in grid.items()]
    asked: list[list[int]] = []
    grid.delete_requested.connect(asked.append)

    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_Delete)
    assert asked == []  # nothing selected, nothing asked

    grid.selectionModel().select(
        grid.model().index(2, 0), grid.selectionModel().SelectionFlag.Select
    )
    grid.selectionModel().select(
        grid.model().index(5, 0), grid.selectionModel().SelectionFlag.Select
    )
    QTest.keyClick(grid, Qt.Key.Key_Delete)

    assert asked == [[shown[2], shown[5]]]
    assert len(grid.items()) == 20  # deleting is the caller's decision (with undo)


def test_enter_and_double_click_open_the_image(make_grid, qtbot):
    grid = make_grid(Loader())
    grid.set_items(items(20))
    shown = [i.id for i in grid.items()]
    opened: list[int] = []
    grid.activated_id.connect(opened.append)

    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(3, 0))
    QTest.keyClick(grid, Qt.Key.Key_Return)
    # A double-click reaches a widget as press, release, press + double-click, release.
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(grid, 4))
    QTest.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(grid, 4))

    assert opened == [shown[3], shown[4]]


def test_remove_and_prepend_change_only_those_items(make_grid, qtbot):
    loader = Loader()
    grid = make_grid(loader)
    grid.set_items(items(12))
    qtbot.waitUntil(lambda: screen_loaded(grid), timeout=10_000)
    before = [i.id for i in grid.items()]
    loaded = [i for i in before if grid.has_thumbnail(i)]
    resets: list[bool] = []
    grid.model().modelReset.connect(lambda: resets.append(True))
    selected = before[0]
    grid.selectionModel().select(
        grid.model().index(0, 0), grid.selectionModel().SelectionFlag.Select
    )
    calls = len(loader.calls)

    grid.remove_ids([before[2], before[3], before[7], 999])

    assert [i.id for i in grid.items()] == [i for n, i in enumerate(before) if n not in (2, 3, 7)]
    new = GridItem(500, "a new image", "just made")
    grid.prepend(new)
    assert grid.items()[0] == new
    assert [i.id for i in grid.items()[1:]] == [
        i for n, i in enumerate(before) if n not in (2, 3, 7)
    ]
    assert resets == []  # no rebuild
    assert grid.selected_ids() == [selected]
    qtbot.waitUntil(lambda: grid.has_thumbnail(500), timeout=10_000)
    kept = [i for i in loaded if i not in (before[2], before[3], before[7])]
    assert all(grid.has_thumbnail(i) for i in kept)
    assert not any(i in loader.calls[calls:] for i in kept)  # their thumbnails were kept

    grid.prepend(new)  # already there: nothing changes
    assert [i.id for i in grid.items()].count(500) == 1


def test_dragging_gives_the_png_bytes_and_the_file(make_grid, qtbot, tmp_path: Path):
    loader = Loader()
    files = {7: tmp_path / "image-7.png"}
    grid = make_grid(loader, file_for=files.get)
    grid.set_items(items(20))
    model = grid.model()
    row = next(n for n, item in enumerate(grid.items()) if item.id == 7)

    mime = model.mimeData([model.index(row, 0)])

    assert PNG_MIME in mime.formats()
    assert mime.data(PNG_MIME).data() == loader(7)
    assert [url.toLocalFile() for url in mime.urls()] == [str(files[7])]
    assert model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert grid.dragEnabled()


def test_a_dragged_jpeg_is_offered_as_png(make_grid, qtbot):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 240)).save(out, "JPEG")
    grid = make_grid(lambda _id: out.getvalue())
    grid.set_items([GridItem(1, "a jpeg", "")])
    model = grid.model()

    data = model.mimeData([model.index(0, 0)]).data(PNG_MIME).data()

    assert data.startswith(b"\x89PNG")
    assert QImage.fromData(data).size().width() == 40


def test_an_image_that_cannot_be_read_says_why_and_keeps_its_placeholder(make_grid, qtbot):
    def broken(item_id: int) -> bytes:
        if item_id == 2:
            raise OSError("database is locked")
        return b"not an image" if item_id == 1 else IMAGES[0]

    grid = make_grid(broken)
    failures: list[tuple[int, str]] = []
    grid.thumbnail_failed.connect(lambda i, why: failures.append((i, why)))
    grid.set_items(items(3))

    qtbot.waitUntil(lambda: len(failures) == 2 and grid.has_thumbnail(3), timeout=10_000)

    assert sorted(failures) == [(1, "not an image Qt can read"), (2, "OSError: database is locked")]
    model = grid.model()
    row = next(n for n, item in enumerate(grid.items()) if item.id == 2)
    assert "database is locked" in model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(row, 0), Qt.ItemDataRole.DecorationRole) is None


def test_captions_are_elided_to_two_lines(make_grid):
    grid = make_grid(Loader())
    long_prompt = " ".join(["an extraordinarily detailed prompt"] * 30)
    grid.set_items([GridItem(1, long_prompt, long_prompt)])
    model = grid.model()

    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) == long_prompt
    lines = caption_lines(long_prompt, grid.fontMetrics(), 150)
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert all(grid.fontMetrics().horizontalAdvance(line) <= 150 for line in lines)


def test_nothing_is_loaded_while_the_grid_is_hidden(qtbot):
    loader = Loader()
    grid = ImageGrid(loader)
    qtbot.addWidget(grid)
    grid.set_items(items(100))
    qtbot.wait(100)
    assert loader.calls == []
    assert grid.visible_rows() == range(0)
