"""The chosen image model's own options, and only those: built from its entry in
core.image_models, rebuilt when the model changes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QWidget

from workbench.core.image_models import MODELS, ImageModel, ImageOptions

# (field, label, the model's allowed values)
_CHOICES = (
    ("size", "Size", "sizes"),
    ("quality", "Quality", "qualities"),
    ("style", "Style", "styles"),
    ("background", "Background", "backgrounds"),
    ("output_format", "Format", "output_formats"),
    ("moderation", "Moderation", "moderations"),
)


class ImageOptionsForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="image_options")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.model_box = QComboBox(self, objectName="image_model")
        self.model_box.addItems(list(MODELS))
        self.model_box.setCurrentText("gpt-image-1")
        self.model_box.currentTextChanged.connect(self._rebuild)
        self.form.addRow("Model", self.model_box)
        self.boxes: dict[str, QComboBox] = {}
        self._rebuild()

    @property
    def model(self) -> ImageModel:
        return MODELS[self.model_box.currentText()]

    def options(self) -> ImageOptions:
        chosen = {name: box.currentText() for name, box in self.boxes.items()}
        compression = self.compression.value() if self.model.compression else None
        return ImageOptions(**chosen, compression=compression, n=self.count.value())

    def _compression_applies(self, output_format: str) -> None:
        self.compression.setEnabled(output_format in ("jpeg", "webp"))  # PNG is lossless

    def _rebuild(self) -> None:
        count = self.count.value() if hasattr(self, "count") else 1
        while self.form.rowCount() > 1:
            self.form.removeRow(1)  # deletes the old model's fields
        self.boxes = {}
        model = self.model
        for name, label, allowed_field in _CHOICES:
            allowed = getattr(model, allowed_field)
            if not allowed:
                continue  # shown only where the model takes it
            box = QComboBox(self, objectName=f"image_{name}")
            box.addItems(list(allowed))
            box.currentTextChanged.connect(self.changed)
            self.boxes[name] = box
            self.form.addRow(label, box)
        self.count = QSpinBox(self, objectName="image_count", minimum=1, maximum=model.max_n)
        self.count.setValue(min(count, model.max_n))
        self.count.setEnabled(model.max_n > 1)
        self.count.valueChanged.connect(self.changed)
        self.form.addRow("Images", self.count)
        self.compression = QSpinBox(self, objectName="image_compression", maximum=100)
        self.compression.setValue(100)
        self.compression.setToolTip("JPEG and WebP output: 100 is the least compressed")
        self.compression.valueChanged.connect(self.changed)
        if model.compression:
            self.form.addRow("Compression", self.compression)
            output = self.boxes["output_format"]
            output.currentTextChanged.connect(self._compression_applies)
            self._compression_applies(output.currentText())
        else:
            self.compression.hide()
        self.changed.emit()
