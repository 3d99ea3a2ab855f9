"""The image grid's model: its items, and their thumbnails, decoded off the UI thread.

Setting items decodes nothing. The grid tells the model which rows are on screen (and a margin);
the model asks a small thread pool for the thumbnails it lacks and cancels queued requests for
rows that scrolled away. A worker calls the caller's `load(id)` for the image bytes, decodes them
straight to the thumbnail size with QImageReader (QImage is reentrant) and hands the QImage back
to the UI thread through a queued signal; the model keeps it as a QPixmap in an LRU and signals
`dataChanged` for that one row, so the view repaints that item alone.
"""

from __future__ import annotations

import itertools
import os
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage, QImageReader, QPixmap
from shiboken6 import Shiboken

Loader = Callable[[int], bytes | None]
FileFor = Callable[[int], Path | None]
Index = QModelIndex | QPersistentModelIndex

ID_ROLE = Qt.ItemDataRole.UserRole + 1
PNG_MIME = "image/png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_CACHE = 300  # thumbnails; at 160 px about 100 KB each
SKIPPED = "<skipped>"  # a worker's answer for an item no longer wanted when its turn came

# One core is left to the UI thread: with as many decoders as cores it waits for a core at every
# GIL hand-over. Measured on 2 cores (bench.gallery_open): the longest frame while scrolling was
# 17-23 ms with 2 decoders and 10-13 ms with 1; the first screenful came in about 95 vs 115 ms.
_decoders = ThreadPoolExecutor(
    max_workers=max(1, min(4, (os.cpu_count() or 2) - 1)), thread_name_prefix="thumbnails"
)
_model_keys = itertools.count(1)


@dataclass(frozen=True, slots=True)
class GridItem:
    """One image in the grid: its id (what `load` and `file_for` are called with), the caption
    under it (the prompt; the grid elides it to two lines) and its tooltip."""

    id: int
    caption: str
    tooltip: str = ""


def decode_thumbnail(data: bytes, size: int) -> QImage:
    """The image in `data` decoded straight to fit a `size` square (aspect kept, EXIF
    orientation applied); a null QImage if it cannot be read. Safe in any thread."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and (full.width() > size or full.height() > size):
        reader.setScaledSize(full.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buffer.close()
    if image.isNull():
        return image
    if image.width() > size or image.height() > size:  # a reader that ignored the scaled size
        image = image.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    # The raster paint engine's own format: QPixmap.fromImage on the UI thread copies nothing.
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def png_bytes(data: bytes) -> bytes:
    """`data` as PNG: itself if it is one, else decoded and re-encoded (for the drag)."""
    if data.startswith(PNG_SIGNATURE):
        return data
    image = QImage.fromData(data)
    if image.isNull():
        return b""
    out = QByteArray()
    buffer = QBuffer(out)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return out.data()


class _Delivery(QObject):
    """Carries decoded thumbnails from the workers to the UI thread. One for the application,
    a child of it: a model may be deleted while a worker still decodes for it, so workers never
    touch a model, only this object, which lives as long as the application."""

    arrived = Signal(int, int, int, QImage, str)  # model key, item id, ticket, thumbnail, error

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.models: dict[int, weakref.ref[GridModel]] = {}
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(int, int, int, QImage, str)
    def _deliver(self, key: int, item_id: int, ticket: int, image: QImage, error: str) -> None:
        ref = self.models.get(key)
        model = ref() if ref else None
        if model is not None and Shiboken.isValid(model):
            model.thumbnail_arrived(item_id, ticket, image, error)


_delivery: _Delivery | None = None


def _the_delivery() -> _Delivery:
    global _delivery
    if _delivery is None or not Shiboken.isValid(_delivery):
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("an ImageGrid needs a QApplication")
        _delivery = _Delivery(app)
    return _delivery


def _decode_job(
    delivery: _Delivery,
    key: int,
    load: Loader,
    item_id: int,
    size: int,
    ticket: int,
    wanted: set[int],
) -> None:
    """In a worker: load, decode, hand back. An item scrolled away before its turn came is
    skipped (and said so, so the model stops counting it as pending)."""
    image, error = QImage(), SKIPPED
    if item_id not in wanted:
        if Shiboken.isValid(delivery):
            delivery.arrived.emit(key, item_id, ticket, image, error)
        return
    try:
        data = load(item_id)
        if data:
            image = decode_thumbnail(data, size)
            error = "" if not image.isNull() else "not an image Qt can read"
        else:
            error = "no image data"
    except Exception as exc:  # shown to the user through thumbnail_failed
        error = f"{type(exc).__name__}: {exc}"
    if Shiboken.isValid(delivery):
        delivery.arrived.emit(key, item_id, ticket, image, error)


class GridModel(QAbstractListModel):
    """The grid's items (in the order given: newest first) and their thumbnails.

    `want(rows)` is the view saying which rows it shows; everything else follows from it."""

    thumbnail_failed = Signal(int, str)  # item id, why its thumbnail could not be made

    def __init__(
        self,
        load: Loader,
        file_for: FileFor | None = None,
        parent: QObject | None = None,
        cache_size: int = DEFAULT_CACHE,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._file_for = file_for
        self._items: list[GridItem] = []
        self._rows: dict[int, int] | None = {}
        self._size = 160
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._cache_size = cache_size
        self._pending: dict[int, tuple[int, Future[None]]] = {}  # id -> (ticket, job)
        self._tickets = itertools.count(1)
        self._failed: dict[int, str] = {}
        # Read by the workers: changed in place, additions first, so a still-wanted id is never
        # missing from it for an instant.
        self._wanted: set[int] = set()
        self._key = next(_model_keys)
        self._delivery = _the_delivery()
        models = self._delivery.models
        key = self._key
        models[key] = weakref.ref(self, lambda _ref: models.pop(key, None))

    # --- Qt's model interface ---------------------------------------------------------------
    def rowCount(self, parent: Index | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._cache.get(item.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return item.caption
        if role == Qt.ItemDataRole.ToolTipRole:
            failed = self._failed.get(item.id)
            return f"{item.tooltip}\n\n{failed}".strip() if failed else item.tooltip
        if role == ID_ROLE:
            return item.id
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [PNG_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The first dragged image as PNG bytes (loaded here, on the UI thread: one image), and
        every dragged image's file, where `file_for` knows one."""
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._items)})
        ids = [self._items[r].id for r in rows]
        mime = QMimeData()
        if not ids:
            return mime
        data = self._load(ids[0])
        if data and (png := png_bytes(data)):
            mime.setData(PNG_MIME, QByteArray(png))
        if self._file_for is not None:
            paths = [p for p in map(self._file_for, ids) if p is not None]
            if paths:
                mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        return mime

    # --- items ------------------------------------------------------------------------------
    def set_items(self, items: Sequence[GridItem]) -> None:
        """Show these items; decodes nothing (thumbnails already made for their ids are kept)."""
        self.beginResetModel()
        self._items = list(items)
        self._rows = None
        self._drop(set(self._pending))
        self._wanted.clear()
        present = set(self.row_index())
        self._failed = {i: why for i, why in self._failed.items() if i in present}
        self.endResetModel()

    def prepend(self, item: GridItem) -> None:
        """Add an item at the top (an id already shown is left where it is)."""
        if item.id in self.row_index():
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._items.insert(0, item)
        self._rows = None
        self.endInsertRows()

    def remove_ids(self, ids: Iterable[int]) -> None:
        """Remove these items, one contiguous run of rows at a time; the others stay as they are."""
        index = self.row_index()
        gone = {i for i in ids if i in index}
        rows = sorted((index[i] for i in gone), reverse=True)
        while rows:
            last = first = rows.pop(0)
            while rows and rows[0] == first - 1:
                first = rows.pop(0)
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._items[first : last + 1]
            self._rows = None
            self.endRemoveRows()
        self._drop(gone)
        for item_id in gone:
            self._cache.pop(item_id, None)
            self._failed.pop(item_id, None)
        self._wanted.difference_update(gone)

    def items(self) -> tuple[GridItem, ...]:
        return tuple(self._items)

    def item_at(self, row: int) -> GridItem:
        return self._items[row]

    def row_index(self) -> dict[int, int]:
        """Item id -> row, rebuilt after a change (a dict of a few thousand ints: microseconds)."""
        if self._rows is None:
            self._rows = {item.id: row for row, item in enumerate(self._items)}
        return self._rows

    # --- thumbnails -------------------------------------------------------------------------
    def thumbnail_size(self) -> int:
        return self._size

    def set_thumbnail_size(self, size: int) -> None:
        if size == self._size:
            return
        self._size = size
        self._drop(set(self._pending))
        self._wanted.clear()
        self._cache.clear()
        if self._items:
            role = [Qt.ItemDataRole.DecorationRole]
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1), role)

    def thumbnail(self, item_id: int) -> QPixmap | None:
        return self._cache.get(item_id)

    def loading(self) -> int:
        """How many thumbnails are queued or being decoded."""
        return len(self._pending)

    def want(self, rows: Iterable[int]) -> None:
        """The rows the view shows (most wanted first): request the thumbnails missing among
        them and drop queued requests for any other row."""
        ids = [self._items[r].id for r in rows if 0 <= r < len(self._items)]
        wanted = set(ids)
        self._wanted.update(wanted)
        self._wanted.intersection_update(wanted)
        self._cancel(set(self._pending) - wanted)
        for item_id in ids:
            if item_id in self._cache:
                self._cache.move_to_end(item_id)  # on screen: the last to be evicted
            elif item_id not in self._pending and item_id not in self._failed:
                ticket = next(self._tickets)
                job = _decoders.submit(
                    _decode_job,
                    self._delivery,
                    self._key,
                    self._load,
                    item_id,
                    self._size,
                    ticket,
                    self._wanted,
                )
                self._pending[item_id] = (ticket, job)
        self._cache_size = max(self._cache_size, 2 * len(ids))

    def thumbnail_arrived(self, item_id: int, ticket: int, image: QImage, error: str) -> None:
        """On the UI thread, from the delivery: keep the thumbnail, repaint its item alone."""
        request = self._pending.get(item_id)
        if request is None or request[0] != ticket:
            return  # asked for before a reset, a removal or a size change
        del self._pending[item_id]
        if error == SKIPPED:
            return
        row = self.row_index().get(item_id)
        if error:
            self._failed[item_id] = error
            self.thumbnail_failed.emit(item_id, error)
            return
        self._cache[item_id] = QPixmap.fromImage(image)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _cancel(self, ids: set[int]) -> None:
        """Drop these requests; one already being decoded finishes and is ignored."""
        for item_id in ids:
            request = self._pending.get(item_id)
            if request is not None and request[1].cancel():
                del self._pending[item_id]

    def _drop(self, ids: set[int]) -> None:
        """Forget these requests: queued ones are cancelled, a result still to come is ignored."""
        for item_id in ids:
            request = self._pending.pop(item_id, None)
            if request is not None:
                request[1].cancel()
