"""The transcript: its text, its timed segments (a click plays that part), Send to Chat, and
subtitle files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.subtitles import Segment, to_srt, to_vtt
from workbench.services.transcriber import TranscriptionResult

SUBTITLE_FORMATS = ("srt", "vtt")


def span_text(segment: Segment) -> str:
    return f"{_clock(segment.start)} – {_clock(segment.end)}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:05.2f}" if hours else f"{minutes}:{secs:05.2f}"


def subtitles(result: TranscriptionResult, fmt: str) -> str | None:
    """The file as the server returned it when that format was asked, else made from the
    segments; None when there are no times to make it from."""
    if result.response_format == fmt:
        return result.body
    segments = result.transcript.segments
    if not segments:
        return None
    return to_srt(segments) if fmt == "srt" else to_vtt(segments)


class ResultsView(QWidget):
    segment_chosen = Signal(float, float)  # start, end in seconds
    send_requested = Signal(str)  # the transcript's text
    message = Signal(str)  # one line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: TranscriptionResult | None = None
        self.text = QPlainTextEdit(self, objectName="recorder_text", readOnly=True)
        self.text.setPlaceholderText("The transcript appears here.")
        self.segments = QTreeWidget(self, objectName="recorder_segments")
        self.segments.setHeaderLabels(["Time", "Text"])
        self.segments.setRootIsDecorated(False)
        self.segments.setToolTip("Click a segment to hear it")
        self.segments.itemClicked.connect(self._clicked)
        self.segments.itemActivated.connect(self._clicked)
        self.send_button = QPushButton("Send to Chat", self, objectName="recorder_send_to_chat")
        self.send_button.setToolTip("Put the transcript into the chat's message box")
        self.send_button.clicked.connect(lambda: self.send_requested.emit(self.transcript_text))
        self.export_buttons = {
            fmt: QToolButton(self, text=f".{fmt}…", objectName=f"recorder_export_{fmt}")
            for fmt in SUBTITLE_FORMATS
        }
        for fmt, button in self.export_buttons.items():
            button.setToolTip(f"Export the segments as a .{fmt} subtitle file")
            button.clicked.connect(lambda _=False, f=fmt: self.choose_export(f))
        bar = QHBoxLayout()
        bar.setSpacing(4)
        bar.addWidget(self.send_button)
        bar.addStretch(1)
        bar.addWidget(QLabel("Export", self))
        for button in self.export_buttons.values():
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.text, 2)
        layout.addWidget(self.segments, 3)
        layout.addLayout(bar)
        self.show_result(None)

    @property
    def transcript_text(self) -> str:
        return self.text.toPlainText().strip()

    def show_result(self, result: TranscriptionResult | None) -> None:
        self.result = result
        timed = result is not None and result.response_format != "verbose_json"
        shown = "" if result is None else (result.body if timed else result.transcript.text)
        self.text.setPlainText(shown.strip())
        self.segments.clear()
        for segment in result.transcript.segments if result is not None else ():
            item = QTreeWidgetItem([span_text(segment), segment.text.strip()])
            item.setData(0, Qt.ItemDataRole.UserRole, segment)
            words = result.transcript.words_in(segment)
            if words:  # each word's time, for the one who needs to cut at a word
                timed = "  ".join(f"{_clock(w.start)} {w.word.strip()}" for w in words)
                item.setToolTip(1, timed)
            self.segments.addTopLevelItem(item)
        self.segments.resizeColumnToContents(0)
        self.segments.setVisible(self.segments.topLevelItemCount() > 0)
        self.send_button.setEnabled(bool(self.transcript_text))
        for fmt, button in self.export_buttons.items():
            button.setEnabled(result is not None and subtitles(result, fmt) is not None)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        segment = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(segment, Segment):
            self.segment_chosen.emit(segment.start, segment.end)

    def choose_export(self, fmt: str) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, f"Export .{fmt}", f"transcript.{fmt}", f"Subtitles (*.{fmt})"
        )
        if not path:
            return
        try:
            self.export(Path(path), fmt)
        except OSError as error:
            self.message.emit(f"Not exported: {error.strerror or error}")
        else:
            self.message.emit(f"Exported {Path(path).name}")

    def export(self, path: Path, fmt: str) -> None:
        text = subtitles(self.result, fmt) if self.result is not None else None
        if text is not None:
            path.write_text(text, encoding="utf-8")
