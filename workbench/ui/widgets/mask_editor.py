"""Paint, over an image, the part an image edit (`/v1/images/edits`) should change.

The image is shown scaled to fit; the mask stays at the image's own resolution (mask_layer.py).
A mouse move paints one segment into the mask and repaints only the widget rect it covers, and a
repaint draws only the mask pixels under that rect: no whole-mask work happens while painting.
Left button paints (or erases in erase mode), right button erases; `[` and `]` or Ctrl+wheel
size the brush; Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y) undo and redo whole strokes. The keys are the
widget's own, taken only while it has focus, so they shadow no window-wide shortcut elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from workbench.ui.widgets.mask_layer import (
    Fit,
    MaskEditCommand,
    MaskLayer,
    Patch,
    draw_brush_ring,
    draw_tint,
    png_bytes,
)

MIN_BRUSH, MAX_BRUSH, DEFAULT_BRUSH = 1, 1024, 40  # image pixels
BRUSH_STEP = 1.25  # `[` / `]` and one Ctrl+wheel notch scale the brush by this much
UNDO_LIMIT = 100  # strokes; each keeps only the tiles it touched
_STROKE_BUTTONS = (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)
_CHORD_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
_REDO_KEYS = (
    QKeySequence("Ctrl+Shift+Z"),
    QKeySequence("Ctrl+Y"),
)


@dataclass(slots=True)
class _Stroke:
    last: QPointF  # image coordinates
    erasing: bool
    button: Qt.MouseButton


class MaskEditor(QWidget):
    """An image with a paintable edit mask; `mask_png()` is what the images/edits API takes."""

    changed = Signal()  # once per stroke, undo, redo, clear or new image; not per mouse move
    brush_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)  # the brush outline follows the mouse without a button held
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._image = QImage()
        self._layer: MaskLayer | None = None
        self._brush = DEFAULT_BRUSH
        self._erasing = False
        self._stroke: _Stroke | None = None
        self._hover: QPointF | None = None  # widget coordinates of the brush outline
        self._scaled: QPixmap | None = None  # the image at its on-screen size

    # -- what a panel calls ------------------------------------------------------------------

    def set_image(self, image: QImage) -> None:
        """Shows `image` with an empty mask of its size; earlier strokes are forgotten."""
        self._stroke = None
        self._image = QImage(image)
        self._layer = MaskLayer(image.size()) if not image.isNull() else None
        self._scaled = None
        self.undo_stack.clear()
        self.update()
        self.changed.emit()

    def image(self) -> QImage:
        return self._image

    def set_brush(self, px: int) -> None:
        """The brush diameter in image pixels."""
        px = max(MIN_BRUSH, min(MAX_BRUSH, int(px)))
        if px == self._brush:
            return
        self._update_outline()
        self._brush = px
        self._update_outline()
        self.brush_changed.emit(px)

    def brush(self) -> int:
        return self._brush

    def set_erasing(self, erasing: bool) -> None:
        """Left button erases instead of painting (the right button always erases)."""
        self._erasing = erasing
        self._update_outline()

    def is_erasing(self) -> bool:
        return self._erasing

    def clear(self) -> None:
        """Unpaints everything, as one undoable step."""
        self._finish_stroke()
        if self._layer is not None and (patches := self._layer.clear_patches()):
            self.undo_stack.push(MaskEditCommand("Clear mask", patches, self._apply))

    def is_empty(self) -> bool:
        """Nothing painted: an edit with this mask would change nothing."""
        return self._layer is None or self._layer.is_empty()

    def mask_png(self) -> bytes:
        """An RGBA PNG of the image's size: alpha 0 where painted (to edit), 255 elsewhere.

        Encoding a 4096×4096 PNG takes about half a second: for large images, encode
        `mask_image()` and `image()` with `mask_layer.png_bytes` in a worker thread instead
        (QImage is reentrant and these are copies).
        """
        return png_bytes(self.mask_image())

    def mask_image(self) -> QImage:
        """The mask as `mask_png` encodes it (ARGB32), a snapshot independent of later strokes."""
        return self._require_layer().api_mask()

    def image_png(self) -> bytes:
        """The image as an RGBA PNG, to send with the mask."""
        self._require_layer()
        return png_bytes(self._image.convertToFormat(QImage.Format.Format_ARGB32))

    # -- geometry ----------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(480, 360)

    def _fit(self) -> Fit:
        return Fit.of(self._image.size(), self.size())

    # -- strokes -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if self._layer is None or button not in _STROKE_BUTTONS:
            super().mousePressEvent(event)
            return
        self._finish_stroke()
        erasing = self._erasing or button == Qt.MouseButton.RightButton
        point = self._fit().to_image(event.position())
        self._stroke = _Stroke(point, erasing, button)
        self._paint_segment(point, point)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._update_outline()
        self._hover = event.position()
        self._update_outline()
        if self._stroke is not None:
            point = self._fit().to_image(event.position())
            self._paint_segment(self._stroke.last, point)
            self._stroke.last = point
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._stroke is not None and event.button() == self._stroke.button:
            self._finish_stroke()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._update_outline()
        self._hover = None
        super().leaveEvent(event)

    def _paint_segment(self, start: QPointF, end: QPointF) -> None:
        assert self._layer is not None and self._stroke is not None
        dirty = self._layer.stroke(start, end, self._brush, self._stroke.erasing)
        if not dirty.isEmpty():
            self.update(self._fit().to_widget(dirty))

    def _finish_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None or self._layer is None:
            return
        if patches := self._layer.end_stroke():
            text = "Erase" if stroke.erasing else "Paint"
            self.undo_stack.push(MaskEditCommand(text, patches, self._apply))

    def _apply(self, patches: tuple[Patch, ...], after: bool) -> None:
        if self._layer is None:
            return
        self.update(self._fit().to_widget(self._layer.apply(patches, after)))
        self.changed.emit()

    def _require_layer(self) -> MaskLayer:
        if self._layer is None:
            raise ValueError("The mask editor has no image yet.")
        return self._layer

    # -- keys and wheel ----------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Claim our keys before window-wide shortcuts see them, but only while focused.
        if event.type() == QEvent.Type.ShortcutOverride and self._action_for(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._action_for(event)
        if action is None:
            super().keyPressEvent(event)
            return
        self._finish_stroke()
        action()
        event.accept()

    def _action_for(self, event: QKeyEvent) -> Callable[[], None] | None:
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.undo_stack.undo
        combo = QKeySequence(event.keyCombination())
        if event.matches(QKeySequence.StandardKey.Redo) or combo in _REDO_KEYS:
            return self.undo_stack.redo
        if event.modifiers() & _CHORD_MODIFIERS:
            return None  # Ctrl+[ and the like belong to someone else
        if event.key() == Qt.Key.Key_BracketLeft or event.text() == "[":
            return self._shrink_brush
        if event.key() == Qt.Key.Key_BracketRight or event.text() == "]":
            return self._grow_brush
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier or not steps:
            super().wheelEvent(event)  # a plain wheel scrolls whatever holds the editor
            return
        self.set_brush(round(self._brush * BRUSH_STEP**steps))
        event.accept()

    def _grow_brush(self) -> None:
        self.set_brush(max(self._brush + 1, round(self._brush * BRUSH_STEP)))

    def _shrink_brush(self) -> None:
        self.set_brush(min(self._brush - 1, round(self._brush / BRUSH_STEP)))

    # -- drawing -----------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), self.palette().color(QPalette.ColorRole.Window))
        if self._layer is None:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No image")
            return
        fit = self._fit()
        area = event.rect() & fit.rect.toAlignedRect()
        if not area.isEmpty():
            painter.drawPixmap(fit.rect.topLeft(), self._scaled_image(fit.rect))
            draw_tint(painter, self._layer.image, fit, area)
        if self._hover is not None:
            draw_brush_ring(painter, self._hover, self._outline_radius(), self._erasing)

    def _scaled_image(self, shown: QRectF) -> QPixmap:
        ratio = self.devicePixelRatioF()
        size = (shown.size() * ratio).toSize()
        if self._scaled is None or self._scaled.size() != size:
            smooth = Qt.TransformationMode.SmoothTransformation
            aspect = Qt.AspectRatioMode.IgnoreAspectRatio  # the fit already keeps the aspect
            self._scaled = QPixmap.fromImage(self._image.scaled(size, aspect, smooth))
            self._scaled.setDevicePixelRatio(ratio)
        return self._scaled

    def _outline_radius(self) -> float:
        return max(2.0, self._brush * self._fit().scale / 2)

    def _outline_rect(self) -> QRect:
        if self._hover is None:
            return QRect()
        r = self._outline_radius() + 3
        return QRectF(self._hover.x() - r, self._hover.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _update_outline(self) -> None:
        if self._hover is not None:
            self.update(self._outline_rect())
