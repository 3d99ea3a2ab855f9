"""What to ask Whisper: transcribe or translate, the language, a prompt, temperature, format."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from workbench.core.transcripts import RESPONSE_FORMATS
from workbench.services.transcriber import DEFAULT_MODEL, TranscriptionAsk

# The languages offered first; any other ISO-639-1 code may be typed.
LANGUAGES = ("", "en", "de", "es", "fr", "it", "ja", "nl", "pt", "ru", "zh")


class OptionsForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcribe = QRadioButton("Transcribe", self, objectName="recorder_transcribe")
        self.translate = QRadioButton("Translate to English", self, objectName="recorder_translate")
        self.transcribe.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.transcribe)
        group.addButton(self.translate)
        self.model = QComboBox(self, objectName="recorder_model", editable=True)
        self.model.addItems([DEFAULT_MODEL, "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
        self.language = QComboBox(self, objectName="recorder_language", editable=True)
        self.language.addItems(LANGUAGES)
        self.language.setToolTip("The spoken language (ISO-639-1); empty lets Whisper tell")
        self.language.lineEdit().setPlaceholderText("detect")
        self.prompt = QLineEdit(self, objectName="recorder_prompt")
        self.prompt.setPlaceholderText("Names, spellings or the previous text, to guide Whisper")
        self.temperature = QDoubleSpinBox(self, objectName="recorder_temperature")
        self.temperature.setRange(0.0, 1.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setSpecialValueText("0 (default)")
        self.response_format = QComboBox(self, objectName="recorder_format")
        self.response_format.addItems(RESPONSE_FORMATS)
        self.response_format.setToolTip("verbose_json has timed segments you can click to hear")
        self.translate.toggled.connect(lambda on: self.language.setEnabled(not on))

        task = QHBoxLayout()
        task.setContentsMargins(0, 0, 0, 0)
        task.addWidget(self.transcribe)
        task.addWidget(self.translate)
        task.addStretch(1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(task)
        form.addRow("Model", self.model)
        form.addRow("Language", self.language)
        form.addRow("Prompt", self.prompt)
        form.addRow("Temperature", self.temperature)
        form.addRow("Format", self.response_format)

    def ask(self) -> TranscriptionAsk:
        temperature = self.temperature.value()
        return TranscriptionAsk(
            translate=self.translate.isChecked(),
            model=self.model.currentText().strip() or DEFAULT_MODEL,
            language="" if self.translate.isChecked() else self.language.currentText().strip(),
            prompt=self.prompt.text().strip(),
            temperature=temperature if temperature > 0 else None,
            response_format=self.response_format.currentText(),
        )
