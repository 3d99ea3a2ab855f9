"""The painted part of an image-edit mask at the image's own resolution: its undo steps, where
the image sits on screen (`Fit`), and how the mask and the brush are drawn over it.

The mask is one 8-bit alpha plane (a 4096×4096 image costs 16 MB, a quarter of an ARGB copy):
255 where the user painted, the part the model should change. A stroke paints segment by segment
straight into it. Before a segment touches a tile for the first time in a stroke, the tile is
copied; when the stroke ends, those tiles before and after make its undo step. So an undo step
holds only what the stroke touched, and no stroke ever copies the whole mask. Drawing reads only
the mask pixels under the rect being repainted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QIODevice, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QUndoCommand

TILE = 128  # image pixels per side of an undo tile: small enough that a dab saves little
# A saturated pink-red reads over photos and drawings alike; it does not follow the palette,
# which only colours the margin around the image.
OVERLAY = QColor("#ff1f6b")
OVERLAY_OPACITY = 0.55


@dataclass(frozen=True, slots=True)
class Fit:
    """Where an image is shown in a widget: as large as fits, aspect kept, centred."""

    rect: QRectF  # widget coordinates
    scale: float  # widget pixels per image pixel

    @classmethod
    def of(cls, image: QSize, widget: QSize) -> Fit:
        if image.isEmpty() or widget.isEmpty():  # nothing shown: keep the scale divisible
            return cls(QRectF(), 1.0)
        scale = min(widget.width() / image.width(), widget.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        return cls(QRectF((widget.width() - w) / 2, (widget.height() - h) / 2, w, h), scale)

    def to_image(self, pos: QPointF) -> QPointF:
        return (pos - self.rect.topLeft()) / self.scale

    def to_image_rect(self, rect: QRect) -> QRectF:
        top_left = self.to_image(QPointF(rect.topLeft()))
        return QRectF(
            top_left.x(), top_left.y(), rect.width() / self.scale, rect.height() / self.scale
        )

    def to_widget(self, rect: QRect) -> QRect:
        """The widget rect covering image `rect`, a pixel wider all round for rounding."""
        x, y, s = self.rect.x(), self.rect.y(), self.scale
        shown = QRectF(x + rect.x() * s, y + rect.y() * s, rect.width() * s, rect.height() * s)
        return shown.toAlignedRect().adjusted(-1, -1, 1, 1)


@dataclass(frozen=True, slots=True)
class Patch:
    """One rectangle of the mask as it was before an edit and as it is after it."""

    origin: QPoint
    before: QImage
    after: QImage

    def rect(self) -> QRect:
        return QRect(self.origin, self.before.size())


def blank_mask(size: QSize) -> QImage:
    mask = QImage(size, QImage.Format.Format_Alpha8)
    mask.fill(0)
    return mask


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ValueError("The image could not be encoded as PNG.")
    return bytes(buffer.data().data())


class MaskLayer:
    """The painted area (alpha 255) of an image of `size`, with strokes recorded for undo."""

    def __init__(self, size: QSize) -> None:
        self.image = blank_mask(size)
        self._saved: dict[tuple[int, int], QImage] = {}  # tiles as they were before the stroke
        # Everything ever painted lies inside this; it only grows, and bounds what
        # is_empty scans and what clear copies.
        self._bounds = QRect()
        self._empty: bool | None = True  # None: unknown until scanned

    def stroke(self, start: QPointF, end: QPointF, width: int, erasing: bool) -> QRect:
        """Paints (or erases) one segment of the open stroke; returns the image rect it touched."""
        half = width / 2 + 2
        reach = QRectF(start, end).normalized().adjusted(-half, -half, half, half)
        dirty = reach.toAlignedRect() & self.image.rect()
        if dirty.isEmpty():
            return dirty
        self._save_tiles(dirty)
        painter = QPainter(self.image)
        # Hard edges: the API edits only where the mask's alpha is exactly 0, so feathered edges
        # would make the edited area smaller than what the user sees painted.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if erasing:
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        cap, join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        painter.setPen(QPen(Qt.GlobalColor.black, width, Qt.PenStyle.SolidLine, cap, join))
        if start == end:
            painter.drawPoint(start)  # a click: one round dab
        else:
            painter.drawLine(start, end)
        painter.end()
        self._bounds |= dirty
        self._empty = None if erasing else False
        return dirty

    def end_stroke(self) -> tuple[Patch, ...]:
        """The open stroke's undo step: the tiles it changed, before and after."""
        patches = []
        for (tx, ty), before in self._saved.items():
            origin = QPoint(tx * TILE, ty * TILE)
            after = self.image.copy(QRect(origin, before.size()))
            if after != before:
                patches.append(Patch(origin, before, after))
        self._saved.clear()
        return tuple(patches)

    def clear_patches(self) -> tuple[Patch, ...]:
        """What clearing the mask would change (nothing when it is already empty)."""
        if self.is_empty():
            return ()
        before = self.image.copy(self._bounds)
        return (Patch(self._bounds.topLeft(), before, blank_mask(before.size())),)

    def apply(self, patches: tuple[Patch, ...], after: bool) -> QRect:
        """Puts back each patch's after (redo) or before (undo) state; returns the rect changed."""
        painter = QPainter(self.image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        changed = QRect()
        for patch in patches:
            painter.drawImage(patch.origin, patch.after if after else patch.before)
            changed |= patch.rect()
        painter.end()
        self._bounds |= changed
        self._empty = None
        return changed

    def is_empty(self) -> bool:
        if self._empty is None:
            region = self._bounds
            # QImage == compares scanlines in C: about 2 ms for a whole 4096×4096 mask.
            self._empty = region.isEmpty() or self.image.copy(region) == blank_mask(region.size())
        return self._empty

    def api_mask(self) -> QImage:
        """The mask as the image edit API reads it: alpha 0 where painted, 255 elsewhere."""
        mask = QImage(self.image.size(), QImage.Format.Format_ARGB32)
        mask.fill(Qt.GlobalColor.black)
        painter = QPainter(mask)
        # Removes the destination's alpha wherever the painted layer has alpha.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOut)
        painter.drawImage(0, 0, self.image)
        painter.end()
        return mask

    def _save_tiles(self, dirty: QRect) -> None:
        for ty in range(dirty.top() // TILE, dirty.bottom() // TILE + 1):
            for tx in range(dirty.left() // TILE, dirty.right() // TILE + 1):
                if (tx, ty) not in self._saved:
                    tile = QRect(tx * TILE, ty * TILE, TILE, TILE) & self.image.rect()
                    self._saved[(tx, ty)] = self.image.copy(tile)


PatchApplier = Callable[[tuple[Patch, ...], bool], None]  # (patches, after)


class MaskEditCommand(QUndoCommand):
    """One stroke or one clear on the undo stack; `apply` repaints and announces the change."""

    def __init__(self, text: str, patches: tuple[Patch, ...], apply: PatchApplier) -> None:
        super().__init__(text)
        self._patches = patches
        self._apply = apply

    def redo(self) -> None:
        # The first redo comes from push(), after the stroke was already painted: putting the
        # after-tiles back again is idempotent, so no flag is needed to skip it.
        self._apply(self._patches, True)

    def undo(self) -> None:
        self._apply(self._patches, False)


def draw_tint(painter: QPainter, mask: QImage, fit: Fit, area: QRect) -> None:
    """Tints the painted part of widget rect `area`, reading only the mask pixels under it."""
    ratio = painter.device().devicePixelRatioF()
    tint = QImage(
        (area.size().toSizeF() * ratio).toSize(), QImage.Format.Format_ARGB32_Premultiplied
    )
    tint.setDevicePixelRatio(ratio)
    tint.fill(OVERLAY)
    layer = QPainter(tint)
    # Keeps the colour only where the mask has alpha.
    layer.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    layer.drawImage(QRectF(0, 0, area.width(), area.height()), mask, fit.to_image_rect(area))
    layer.end()
    painter.setOpacity(OVERLAY_OPACITY)
    painter.drawImage(area.topLeft(), tint)
    painter.setOpacity(1.0)


def draw_brush_ring(painter: QPainter, centre: QPointF, radius: float, dashed: bool) -> None:
    """The brush outline, dark under light so it shows on any image; dashed when erasing."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    for colour, width in ((QColor(0, 0, 0, 160), 3.0), (QColor(255, 255, 255), 1.0)):
        painter.setPen(QPen(colour, width, style))
        painter.drawEllipse(centre, radius, radius)
