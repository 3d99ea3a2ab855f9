"""Edit a gallery image: paint over what should change (brush size, erase, undo), say how, and
send image, mask and prompt to /v1/images/edits. What the API would refuse (a non-square image
for dall-e-2, a prompt over the model's limit) is said before anything is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.gallery import GalleryImage
from workbench.core.image_models import MODELS, ImageOptions, problems
from workbench.core.runs import RunKind
from workbench.services.image_maker import ImageAsk
from workbench.ui.theme import ErrorLabel, QuietLabel
from workbench.ui.widgets.mask_checks import edit_problems
from workbench.ui.widgets.mask_editor import MaskEditor
from workbench.ui.widgets.mask_layer import png_bytes

EDIT_MODELS = [m.name for m in MODELS.values() if m.edits]
MAX_OPEN_BYTES = 50 * 1024 * 1024  # the API's limit for an edit's image


class EditDialog(QDialog):
    edit_requested = Signal(object)  # an ImageAsk

    def __init__(
        self, image: GalleryImage | None, data: bytes, parent: QWidget | None = None
    ) -> None:
        """`image` is the gallery image being edited, or None for a file opened to edit."""
        super().__init__(parent)
        self.setObjectName("edit_dialog")
        self.setWindowTitle("Edit image")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAcceptDrops(True)  # another image dropped here replaces this one
        self.source, self.data = image, data
        self.editor = MaskEditor(self)
        self.editor.set_image(QImage.fromData(data))
        self.editor.setMinimumSize(320, 320)
        self.brush = QSlider(Qt.Orientation.Horizontal, self, objectName="mask_brush")
        self.brush.setRange(4, 400)
        self.brush.setValue(self.editor.brush())
        self.brush.valueChanged.connect(self.editor.set_brush)
        self.editor.brush_changed.connect(self.brush.setValue)
        self.erase = QCheckBox("Erase", self, objectName="mask_erase")
        self.erase.setToolTip("Take paint off (or paint with the right mouse button)")
        self.erase.toggled.connect(self.editor.set_erasing)
        undo = QPushButton("Undo", self, objectName="mask_undo")
        undo.clicked.connect(self.editor.undo_stack.undo)
        redo = QPushButton("Redo", self, objectName="mask_redo")
        redo.clicked.connect(self.editor.undo_stack.redo)
        self.model = QComboBox(self, objectName="edit_model")
        self.model.addItems(EDIT_MODELS)
        own = image.model if image is not None else ""
        self.model.setCurrentText(own if own in EDIT_MODELS else "gpt-image-1")
        self.prompt = QPlainTextEdit(self, objectName="edit_prompt")
        self.prompt.setPlaceholderText("What should the painted part become?")
        self.prompt.setMaximumHeight(70)
        self.problem = ErrorLabel(self, objectName="edit_problem", wordWrap=True)
        self.problem.hide()
        self.send = QPushButton("Send edit", self, objectName="edit_send")
        self.send.clicked.connect(self.submit)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Brush", self))
        tools.addWidget(self.brush, 1)
        tools.addWidget(self.erase)
        tools.addWidget(undo)
        tools.addWidget(redo)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Model", self))
        bottom.addWidget(self.model)
        bottom.addStretch(1)
        bottom.addWidget(self.send)
        layout = QVBoxLayout(self)
        layout.addWidget(QuietLabel("Paint over what should change; [ and ] size the brush.", self))
        layout.addWidget(self.editor, 1)
        layout.addLayout(tools)
        layout.addWidget(self.prompt)
        layout.addWidget(self.problem)
        layout.addLayout(bottom)
        screen = self.screen().availableGeometry()
        self.resize(min(760, screen.width() - 80), min(820, screen.height() - 80))

    def problems(self) -> list[str]:
        model = MODELS[self.model.currentText()]
        prompt = self.prompt.toPlainText()
        said = problems(model, prompt, ImageOptions(), edit=True)
        picture = self.editor.image()
        mask_size = (picture.width(), picture.height())  # the mask is made at the image's size
        fmt = "png"
        said += edit_problems(
            model.name, fmt, picture.width(), picture.height(), len(self.data), mask_size
        )
        if self.editor.is_empty():
            said.append("Paint over the part to change first.")
        return said

    async def ask(self) -> ImageAsk:
        """The edit to send; the PNGs are encoded in a worker (a 4096 px mask takes most of a
        second), from snapshots taken here."""
        model = MODELS[self.model.currentText()]
        options = ImageOptions(size=self._size(model.name))
        picture, mask = self.editor.image().copy(), self.editor.mask_image()
        image_png = await asyncio.to_thread(png_bytes, picture)
        mask_png = await asyncio.to_thread(png_bytes, mask)
        return ImageAsk(
            model,
            self.prompt.toPlainText(),
            options,
            RunKind.IMAGE_EDIT,
            image=image_png,
            mask=mask_png,
            source_id=self.source.id if self.source is not None else None,
        )

    def _size(self, model: str) -> str:
        picture = self.editor.image()
        side = max(picture.width(), picture.height())
        if model == "dall-e-2":
            return "1024x1024" if side > 512 else ("512x512" if side > 256 else "256x256")
        return "auto"

    # --- an image dropped in ----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat("image/png") or mime.hasImage() or mime.hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        data = b""
        if mime.hasFormat("image/png"):
            data = bytes(mime.data("image/png"))
        elif mime.hasUrls() and mime.urls()[0].isLocalFile():
            path = Path(mime.urls()[0].toLocalFile())
            if path.is_file() and path.stat().st_size <= MAX_OPEN_BYTES:
                data = path.read_bytes()
        self.replace_image(data)
        event.acceptProposedAction()

    def replace_image(self, data: bytes) -> bool:
        """Edit this image instead (the mask starts again); False, and said, if it is none."""
        picture = QImage.fromData(data) if data else QImage()
        if picture.isNull():
            self.problem.setText("That is not an image this app can read (PNG, JPEG or WebP).")
            self.problem.show()
            return False
        self.source, self.data = None, data
        self.editor.set_image(picture)
        self.problem.hide()
        return True

    def submit(self) -> None:
        said = self.problems()
        self.problem.setText("\n".join(said))
        self.problem.setVisible(bool(said))
        if said:
            return
        self.send.setEnabled(False)
        asyncio.get_event_loop().create_task(self._send())

    async def _send(self) -> None:
        ask = await self.ask()
        if Shiboken.isValid(self):
            self.edit_requested.emit(ask)
            self.close()
