"""A message's images under its text: small pictures (decoded at their shown size, which is
quick even for a large JPEG), their size and detail in the tooltip."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from workbench.core.sessions import ImageRef

SHOWN_PX = 160


class ImagesRow(QWidget):
    def __init__(
        self,
        images: tuple[ImageRef, ...],
        image_data: Callable[[str], bytes | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, objectName="message_images")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.labels: list[QLabel] = []
        for image in images:
            label = QLabel(self, objectName="message_image")
            label.setToolTip(f"{image.width} × {image.height} · detail {image.detail}")
            pixmap = _scaled(image_data(image.digest), image)
            if pixmap is None:
                label.setText("(image missing)")
            else:
                label.setPixmap(pixmap)
            row.addWidget(label)
            self.labels.append(label)
        row.addStretch(1)


def _scaled(data: bytes | None, image: ImageRef) -> QPixmap | None:
    if data is None:
        return None
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = QSize(image.width, image.height).scaled(
        QSize(SHOWN_PX, SHOWN_PX), Qt.AspectRatioMode.KeepAspectRatio
    )
    if image.width > SHOWN_PX or image.height > SHOWN_PX:
        reader.setScaledSize(size)  # JPEG decodes straight to this size
    picture = reader.read()
    return None if picture.isNull() else QPixmap.fromImage(picture)
