"""Playing the recording or file back, whole or one segment of it (stopping at its end)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer


class Playback(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.output = QAudioOutput(self)
        self.player.setAudioOutput(self.output)
        self.stop_at_ms: int | None = None  # the end of the segment being played
        self.player.positionChanged.connect(self._position_changed)

    def load(self, path: Path | None) -> None:
        self.player.stop()
        self.stop_at_ms = None
        self.player.setSource(QUrl.fromLocalFile(str(path)) if path is not None else QUrl())

    def play_all(self) -> None:
        self.stop_at_ms = None
        self.player.setPosition(0)
        self.player.play()

    def play_range(self, start_s: float, end_s: float) -> None:
        self.stop_at_ms = round(end_s * 1000)
        self.player.setPosition(round(start_s * 1000))
        self.player.play()

    def stop(self) -> None:
        self.stop_at_ms = None
        self.player.stop()

    def _position_changed(self, position_ms: int) -> None:
        if self.stop_at_ms is not None and position_ms >= self.stop_at_ms:
            self.stop_at_ms = None
            self.player.pause()
