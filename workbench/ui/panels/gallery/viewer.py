"""One gallery image, large: zoom (wheel, Ctrl+= / Ctrl+- / Ctrl+0 to fit), what made it,
Save as PNG, WebP or JPEG, Copy, Edit with a mask, and a variation (dall-e-2)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.gallery import GalleryImage
from workbench.ui.theme import QuietLabel

SAVE_FILTER = "PNG image (*.png);;WebP image (*.webp);;JPEG image (*.jpg *.jpeg)"
ZOOM_STEP = 1.25


class ZoomView(QGraphicsView):
    def __init__(self, pixmap: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("image_view")
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem(pixmap)
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.zoom = 1.0

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def zoom_by(self, factor: float) -> None:
        self.zoom *= factor
        self.scale(factor, factor)

    def fit(self) -> None:
        self.resetTransform()
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom = self.transform().m11()


class ImageViewer(QDialog):
    edit_requested = Signal(int)
    variation_requested = Signal(int)

    def __init__(self, image: GalleryImage, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("image_viewer")
        self.setWindowTitle(image.prompt[:60] or "Image")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.image, self.data = image, data
        picture = QImage.fromData(data)
        self.view = ZoomView(QPixmap.fromImage(picture), self)
        about = QLabel(self, objectName="image_about", wordWrap=True)
        about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about.setText(image.prompt)
        cost = f"${image.cost_usd:.3f}" if image.cost_usd is not None else "unknown price"
        made = image.created_at[:16].replace("T", " ")
        facts = f"{image.model} · {image.width}×{image.height} · {cost} · {made}"
        details = QuietLabel(facts, self, objectName="image_facts", wordWrap=True)
        revised = QuietLabel(self, objectName="image_revised", wordWrap=True)
        revised.setText(f"Revised prompt: {image.revised_prompt}" if image.revised_prompt else "")
        revised.setVisible(bool(image.revised_prompt))
        buttons = QHBoxLayout()
        for text, name, slot in (
            ("Save As…", "image_save", self.save_as),
            ("Copy", "image_copy", self.copy),
            ("Edit…", "image_edit", lambda: self.edit_requested.emit(image.id)),
            ("Variation", "image_vary", lambda: self.variation_requested.emit(image.id)),
        ):
            button = QPushButton(text, self, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            if name == "image_vary":
                button.setToolTip("A variation of this image, made by dall-e-2")
        buttons.addStretch(1)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(about)
        layout.addWidget(revised)
        layout.addWidget(details)
        layout.addLayout(buttons)
        for keys, slot in (
            ("Ctrl+=", lambda: self.view.zoom_by(ZOOM_STEP)),
            ("Ctrl++", lambda: self.view.zoom_by(ZOOM_STEP)),
            ("Ctrl+-", lambda: self.view.zoom_by(1 / ZOOM_STEP)),
            ("Ctrl+0", self.view.fit),
            (QKeySequence.StandardKey.Copy, self.copy),
        ):
            QShortcut(QKeySequence(keys), self, slot)
        screen = self.screen().availableGeometry()
        self.resize(min(900, screen.width() - 80), min(760, screen.height() - 80))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.view.fit()

    def copy(self) -> None:
        QApplication.clipboard().setImage(QImage.fromData(self.data))

    def save_as(self) -> None:
        stem = "".join(c if c.isalnum() or c in " -_" else " " for c in self.image.prompt[:40])
        suggested = str(Path.home() / f"{' '.join(stem.split()) or 'image'}.png")
        path, _filter = QFileDialog.getSaveFileName(self, "Save image", suggested, SAVE_FILTER)
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """In the format its name says (PNG, WebP or JPEG); PNG when it names none."""
        fmt = {".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower(), "PNG")
        if fmt == "PNG" and path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        picture = QImage.fromData(self.data)
        if fmt == "JPEG":  # no alpha in JPEG: on white, not black
            flat = QImage(picture.size(), QImage.Format.Format_RGB32)
            flat.fill(Qt.GlobalColor.white)
            from PySide6.QtGui import QPainter

            painter = QPainter(flat)
            painter.drawImage(0, 0, picture)
            painter.end()
            picture = flat
        return picture.save(str(path), fmt, 92 if fmt != "PNG" else -1)
