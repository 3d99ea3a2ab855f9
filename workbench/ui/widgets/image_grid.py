"""A grid of image thumbnails that opens thousands of images at once.

`set_items` lays out captions and placeholders only; thumbnails are made for the rows on screen
(and a row either side) by worker threads and drawn one item at a time as they arrive (see
`image_grid_model`). Cells are all the same size, so Qt's list view places items by arithmetic.

    grid = ImageGrid(load=store_bytes_for, file_for=asset_path)
    grid.set_items([GridItem(id, prompt, tooltip), ...])   # newest first
    grid.activated_id.connect(open_large)                  # double-click, Enter
    grid.delete_requested.connect(delete_with_undo)        # Delete key
    grid.remove_ids([id]); grid.prepend(GridItem(...))     # no rebuild of the rest

`load(id)` runs in a worker thread (it must not touch Qt widgets; a store read needs its own
connection or a thread-safe one); it is also called once on the UI thread when a drag starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from workbench.ui.widgets.image_grid_delegate import GridDelegate
from workbench.ui.widgets.image_grid_model import (
    DEFAULT_CACHE,
    ID_ROLE,
    PNG_MIME,
    FileFor,
    GridItem,
    GridModel,
    Loader,
)

__all__ = ["ID_ROLE", "PNG_MIME", "GridItem", "ImageGrid"]

DEFAULT_THUMBNAIL = 160
MARGIN_ROWS = 1  # rows loaded above and below the screen, so a short scroll finds them ready
_COLUMN_PROBE = 256  # at most this many items per row are looked at to count the columns


class ImageGrid(QListView):
    """Thumbnails with captions, newest first; single and extended selection; Delete asks to
    delete, double-click or Enter asks to open; dragging gives the image as PNG (and its file)."""

    activated_id = Signal(int)
    delete_requested = Signal(list)  # the selected ids, in grid order
    thumbnail_failed = Signal(int, str)  # an image whose thumbnail could not be made, and why

    def __init__(
        self,
        load: Loader,
        file_for: FileFor | None = None,
        parent: QWidget | None = None,
        *,
        thumbnail_size: int = DEFAULT_THUMBNAIL,
        cache_size: int = DEFAULT_CACHE,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("image_grid")
        self._grid_model = GridModel(load, file_for, self, cache_size)
        self._delegate = GridDelegate(self, self._grid_model)
        self.setModel(self._grid_model)
        self.setItemDelegate(self._delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        # Static: items are not moved about inside the view; a drag only carries images out.
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._want_timer = QTimer(self, singleShot=True, interval=0)
        self._want_timer.timeout.connect(self._want_visible)
        self.verticalScrollBar().valueChanged.connect(self._want_soon)
        for changed in (
            self._grid_model.modelReset,
            self._grid_model.rowsInserted,
            self._grid_model.rowsRemoved,
        ):
            changed.connect(self._want_soon)
        self._grid_model.thumbnail_failed.connect(self.thumbnail_failed)
        self.activated.connect(self._on_activated)
        self.set_thumbnail_size(thumbnail_size)

    # --- items ------------------------------------------------------------------------------
    def set_items(self, items: Sequence[GridItem]) -> None:
        """Show these items (newest first); nothing is decoded now."""
        self._grid_model.set_items(items)

    def prepend(self, item: GridItem) -> None:
        """A new image at the top (or one whose deletion was undone); the rest stay."""
        self._grid_model.prepend(item)

    def remove_ids(self, ids: Iterable[int]) -> None:
        self._grid_model.remove_ids(ids)

    def items(self) -> tuple[GridItem, ...]:
        return self._grid_model.items()

    def selected_ids(self) -> list[int]:
        """The selected items' ids, in grid order."""
        rows = sorted({index.row() for index in self.selectionModel().selectedIndexes()})
        return [self._grid_model.item_at(row).id for row in rows]

    # --- thumbnails -------------------------------------------------------------------------
    def thumbnail_size(self) -> int:
        return self._grid_model.thumbnail_size()

    def set_thumbnail_size(self, size: int) -> None:
        """The side of the square a thumbnail fits in, in pixels (made again at the new size)."""
        self._delegate.thumbnail_size = size
        self._grid_model.set_thumbnail_size(size)
        self._fit_cells()

    def has_thumbnail(self, item_id: int) -> bool:
        return self._grid_model.thumbnail(item_id) is not None

    def visible_rows(self) -> range:
        """The rows with any part on screen (empty while the grid is hidden)."""
        rows, _ = self._rows_on_screen()
        return rows

    # --- events -----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        is_delete = event.key() == Qt.Key.Key_Delete
        if is_delete or event.matches(QKeySequence.StandardKey.Delete):
            ids = self.selected_ids()
            if ids:
                self.delete_requested.emit(ids)
            event.accept()
            return
        super().keyPressEvent(event)  # Enter/Return: `activated`, hence `activated_id`

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._want_soon()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._want_soon()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._grid_model.want(())  # nothing on screen: queued decodes are dropped

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._delegate.forget_captions()
            self._fit_cells()

    # --- inner workings ---------------------------------------------------------------------
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.activated_id.emit(self._grid_model.item_at(index.row()).id)

    def _fit_cells(self) -> None:
        cell: QSize = self._delegate.cell_size(self.fontMetrics())
        self.setGridSize(cell)
        self.verticalScrollBar().setSingleStep(max(1, cell.height() // 4))
        self._want_soon()

    def _want_soon(self) -> None:
        """Once per event-loop turn, however many scroll steps, resizes or row changes."""
        self._want_timer.start()

    def _want_visible(self) -> None:
        rows, columns = self._rows_on_screen()
        count = self._grid_model.rowCount()
        if not rows:
            self._grid_model.want(())
            return
        margin = MARGIN_ROWS * columns
        below = range(rows.stop, min(count, rows.stop + margin))
        above = range(max(0, rows.start - margin), rows.start)
        self._grid_model.want([*rows, *below, *reversed(above)])

    def _rows_on_screen(self) -> tuple[range, int]:
        """The rows on screen, and how many items a grid row holds."""
        count = self._grid_model.rowCount()
        if not count or not self.isVisible():
            return range(0), 1
        first = self.visualRect(self._grid_model.index(0))  # lays out first, if a layout is due
        if not first.isValid():
            return range(0), 1
        columns = self._columns(first.top(), count)
        height = max(1, self.gridSize().height())
        top = max(0, -first.top() // height)
        bottom = max(0, (self.viewport().height() - 1 - first.top()) // height)
        return range(min(count, top * columns), min(count, (bottom + 1) * columns)), columns

    def _columns(self, top: int, count: int) -> int:
        """Items in a grid row: the first item that sits lower than item 0 starts row two."""
        for row in range(1, min(count, _COLUMN_PROBE)):
            if self.visualRect(self._grid_model.index(row)).top() > top:
                return row
        return max(1, min(count, _COLUMN_PROBE))
