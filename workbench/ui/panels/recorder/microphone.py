"""Recording from a microphone into a 16-bit WAV file, with a live level and the time so far.

QAudioSource hands over raw samples as they arrive; they go straight into the file (the `wave`
module writes the header when it is closed), and their peak drives the level meter.
"""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np
from PySide6.QtCore import QIODevice, Qt, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.services.paths import private_dir, private_file
from workbench.ui.theme import QuietLabel

NO_MICROPHONE = (
    "No microphone found, so recording is off. You can still transcribe a file: "
    "drop it here or use Open…"
)
RECORD_RATE = 16_000


def _format_for(device: QAudioDevice) -> QAudioFormat:
    wanted = QAudioFormat()
    wanted.setSampleRate(RECORD_RATE)
    wanted.setChannelCount(1)
    wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    if device.isFormatSupported(wanted):
        return wanted
    fallback = device.preferredFormat()
    fallback.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fallback


def elapsed_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class MicrophoneRecorder(QWidget):
    recording_ready = Signal(object)  # the finished WAV file's Path
    recording_discarded = Signal()
    play_requested = Signal()

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.source: QAudioSource | None = None
        self.stream: QIODevice | None = None
        self.wav: wave.Wave_write | None = None
        self.path: Path | None = None  # the last recording, once stopped
        self._started = 0.0
        self.devices = QComboBox(self, objectName="recorder_devices")
        self.devices.setToolTip("The microphone to record from")
        # Long device names ("Monitor of …") must not widen the dock: the box elides them.
        self.devices.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.devices.setMinimumContentsLength(12)
        self.record_button = QToolButton(self, text="Record", objectName="recorder_record")
        self.stop_button = QToolButton(self, text="Stop", objectName="recorder_stop")
        self.play_button = QToolButton(self, text="Play", objectName="recorder_play")
        self.discard_button = QToolButton(self, text="Discard", objectName="recorder_discard")
        self.level = QProgressBar(self, objectName="recorder_level")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(10)
        self.level.setToolTip("Input level")
        self.elapsed = QLabel("0:00", self, objectName="recorder_elapsed")
        self.note = QuietLabel("", self, objectName="recorder_mic_note", wordWrap=True)
        self.clock = QTimer(self, interval=250)
        self.clock.timeout.connect(self._tick)
        self.record_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.play_button.clicked.connect(self.play_requested)
        self.discard_button.clicked.connect(self.discard)
        self._build_layout()
        self.media_devices = QMediaDevices(self)
        self.media_devices.audioInputsChanged.connect(self.refresh_devices)
        self.refresh_devices()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.record_button, self.stop_button, self.play_button):
            buttons.addWidget(button)
        buttons.addWidget(self.discard_button)
        meter = QHBoxLayout()
        meter.addWidget(self.level, 1)
        meter.addWidget(self.elapsed, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.devices)
        layout.addLayout(buttons)
        layout.addLayout(meter)
        layout.addWidget(self.note)

    @property
    def has_microphone(self) -> bool:
        return self.devices.count() > 0

    @property
    def recording(self) -> bool:
        return self.source is not None

    def refresh_devices(self) -> None:
        chosen = self.devices.currentData()
        self.devices.clear()
        for device in QMediaDevices.audioInputs():
            self.devices.addItem(device.description(), device)
        default = QMediaDevices.defaultAudioInput()
        for index in range(self.devices.count()):
            device = self.devices.itemData(index)
            if device == chosen or (chosen is None and device == default):
                self.devices.setCurrentIndex(index)
        self.note.setText("" if self.has_microphone else NO_MICROPHONE)
        self.note.setVisible(not self.has_microphone)
        self._update_buttons()

    def _update_buttons(self) -> None:
        recording, stopped = self.recording, self.path is not None
        self.devices.setEnabled(self.has_microphone and not recording)
        self.record_button.setEnabled(self.has_microphone and not recording)
        self.stop_button.setEnabled(recording)
        self.play_button.setEnabled(stopped and not recording)
        self.discard_button.setEnabled(stopped and not recording)
        self.level.setEnabled(self.has_microphone)

    # --- recording -------------------------------------------------------------------------------
    def start(self) -> None:
        device = self.devices.currentData()
        if not isinstance(device, QAudioDevice) or self.recording:
            return
        self.discard()
        fmt = _format_for(device)
        private_dir(self.folder)  # a voice is personal data: owner-only, as the database
        self.path = private_file(self.folder / time.strftime("recording-%Y%m%d-%H%M%S.wav"))
        # Open across many slots until Stop: no `with` can hold it.
        self.wav = wave.open(str(self.path), "wb")  # noqa: SIM115
        self.wav.setnchannels(fmt.channelCount())
        self.wav.setsampwidth(2)
        self.wav.setframerate(fmt.sampleRate())
        self.source = QAudioSource(device, fmt, self)
        self.stream = self.source.start()
        self.stream.readyRead.connect(self._read)
        self._started = time.monotonic()
        self.clock.start()
        self._update_buttons()

    def _read(self) -> None:
        if self.stream is None or self.wav is None:
            return
        data = bytes(self.stream.readAll().data())
        if not data:
            return
        self.wav.writeframes(data)
        samples = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
        peak = int(np.abs(samples.astype(np.int32)).max()) if samples.size else 0
        self.level.setValue(min(100, peak * 100 // 32768))

    def _tick(self) -> None:
        self.elapsed.setText(elapsed_text(time.monotonic() - self._started))

    def stop(self) -> None:
        if self.source is None:
            return
        self._read()
        self.source.stop()
        self.source.deleteLater()
        self.source, self.stream = None, None
        if self.wav is not None:
            self.wav.close()
            self.wav = None
        self.clock.stop()
        self.level.setValue(0)
        self._update_buttons()
        if self.path is not None:
            self.recording_ready.emit(self.path)

    def discard(self) -> None:
        if self.recording:
            self.stop()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
            self.elapsed.setText("0:00")
            self.recording_discarded.emit()
        self._update_buttons()
