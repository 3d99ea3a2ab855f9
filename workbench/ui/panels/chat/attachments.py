"""Images on the way into a message: dropped, pasted or picked; made ready in a worker (checked,
upright, downscaled to what the model uses); shown as thumbnails with their detail and a remove
button, and what they will cost before anything is sent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.pricing import price_usage
from workbench.core.runs import Usage
from workbench.core.vision_tokens import image_tokens, rule_for
from workbench.services.images import ImageProblem, PreparedImage, prepare_in_worker
from workbench.services.store.images import NewImage
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel, QuietLabel

DETAILS = ("auto", "low", "high")


@dataclass(slots=True)
class _Attached:
    image: PreparedImage
    detail: str = "auto"


class AttachmentStrip(QWidget):
    """The composer's images. `problem` says why one was refused (the composer shows it)."""

    changed = Signal()
    problem = Signal(str)

    def __init__(self, tasks: BackgroundTasks | None, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="attachments")
        self._tasks = tasks
        self._items: list[_Attached] = []
        self._preparing = 0
        self.model, self.endpoint_kind, self.vision = "", "", True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._row = QHBoxLayout()
        self._row.setSpacing(6)
        self._row.addStretch(1)
        layout.addLayout(self._row)
        self.summary = QuietLabel(self, objectName="attachments_summary", wordWrap=True)
        layout.addWidget(self.summary)
        self.refused = ErrorLabel(self, objectName="attachments_refused", wordWrap=True)
        self.refused.hide()
        layout.addWidget(self.refused)
        self.hide()

    # --- adding --------------------------------------------------------------------------------
    def add_files(self, paths: list[Path]) -> None:
        for path in paths:
            self._start(prepare_in_worker(path, self.model), path.name)

    def add_bytes(self, data: bytes, name: str = "Gallery image") -> None:
        self._start(prepare_in_worker(data, self.model, name), name)

    def add_qimage(self, image: QImage, name: str = "Pasted image") -> None:
        """A pasted image: encoded to PNG in the worker too (a 4K screenshot takes a while)."""
        copy = image.copy()  # its own data: the clipboard's may change meanwhile

        async def work() -> PreparedImage:
            data = await asyncio.to_thread(_png_bytes, copy)
            return await prepare_in_worker(data, self.model, name)

        self._start(work(), name)

    def _start(self, work, name: str) -> None:
        if self._tasks is None:
            return
        self._preparing += 1
        self._show_summary()
        self._tasks.start(f"Preparing {name}", self._add(work))

    async def _add(self, work) -> None:
        try:
            prepared = await work
        except ImageProblem as problem:
            if Shiboken.isValid(self):
                self.problem.emit(str(problem))
            return
        except OSError as exc:  # unreadable file
            if Shiboken.isValid(self):
                self.problem.emit(f"The file could not be read: {exc.strerror or exc}")
            return
        finally:
            if Shiboken.isValid(self):
                self._preparing -= 1
                self._show_summary()
        if not Shiboken.isValid(self):
            return
        self._items.append(_Attached(prepared))
        self._rebuild()

    # --- what is attached ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._preparing > 0

    def images(self) -> list[NewImage]:
        return [
            NewImage(
                a.image.data, a.image.mime, a.image.digest, a.image.width, a.image.height, a.detail
            )
            for a in self._items
        ]

    def tokens(self) -> int:
        return sum(
            image_tokens(a.image.width, a.image.height, a.detail, self.model) for a in self._items
        )

    def clear(self) -> None:
        self._items.clear()
        self._rebuild()

    def remove(self, index: int) -> None:
        if 0 <= index < len(self._items):
            del self._items[index]
            self._rebuild()

    def set_detail(self, index: int, detail: str) -> None:
        if 0 <= index < len(self._items):
            self._items[index] = replace(self._items[index], detail=detail)
            self._show_summary()
            self.changed.emit()

    def set_model(self, model: str, endpoint_kind: str, vision: bool) -> None:
        self.model, self.endpoint_kind, self.vision = model, endpoint_kind, vision
        self._show_summary()

    def refusal(self) -> str | None:
        """Why these images cannot be sent to the chosen model, or None."""
        if self._items and not self.vision:
            return (
                f"{self.model or 'This model'} takes no images: remove them, or pick a model "
                "that reads images (gpt-4o, gpt-4.1…)."
            )
        if self.busy:
            return "An image is still being prepared: send again in a moment."
        return None

    # --- showing -------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        while self._row.count() > 1:
            item = self._row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for index, attached in enumerate(self._items):
            self._row.insertWidget(index, self._tile(index, attached))
        self._show_summary()
        self.changed.emit()

    def _tile(self, index: int, attached: _Attached) -> QFrame:
        image = attached.image
        tile = QFrame(self, objectName=f"attachment.{index}")
        tile.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(tile)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(2)
        top = QHBoxLayout()
        picture = QLabel(tile, objectName="attachment_thumbnail")
        pixmap = QPixmap()
        pixmap.loadFromData(image.thumbnail, "PNG")
        picture.setPixmap(pixmap)
        sized = f"{image.width} × {image.height}"
        if image.downscaled:
            sized += f" (from {image.original[0]} × {image.original[1]}, as the model sees it)"
        picture.setToolTip(f"{image.name or 'Image'}: {sized}")
        top.addWidget(picture)
        remove = QToolButton(tile, objectName="attachment_remove", text="✕")
        remove.setToolTip(f"Remove {image.name or 'this image'}")
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda _=False, i=index: self.remove(i))
        top.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(top)
        detail = QComboBox(tile, objectName="attachment_detail")
        detail.addItems(list(DETAILS))
        detail.setCurrentText(attached.detail)
        detail.setToolTip(
            "Detail: low is cheapest; high reads small print; auto lets the model pick"
        )
        detail.currentTextChanged.connect(lambda text, i=index: self.set_detail(i, text))
        column.addWidget(detail)
        return tile

    def _show_summary(self) -> None:
        count = len(self._items)
        self.setVisible(bool(count or self._preparing))
        refused = self.refusal() if count and not self._preparing else None
        parts = []
        if count:
            noun = "image" if count == 1 else "images"
            parts.append(f"{count} {noun}")
        if count and self.vision:  # what they cost, where the model reads them
            tokens = self.tokens()
            _rule, known = rule_for(self.model)
            about = "≈" if known else "≈ (estimated by gpt-4o's rule)"
            parts.append(f"{about} {tokens:,} input tokens")
            price = price_usage(self.model, self.endpoint_kind, Usage(prompt_tokens=tokens))
            if price.usd is not None:
                parts.append(f"${price.usd:.4f}" if price.usd else "free")
        if self._preparing:
            parts.append("preparing an image…")
        self.summary.setText(" · ".join(parts))
        self.refused.setText(refused or "")
        self.refused.setVisible(bool(refused))


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())
