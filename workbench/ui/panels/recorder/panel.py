"""The Whisper recorder dock: audio from a microphone or a file, sent through the run pipeline to
the active endpoint's transcription (or translation), the transcript with its timed segments, a
click on a segment to hear it, Send to Chat, and subtitle files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.services.audio_files import API_LIMIT_BYTES, AUDIO_SUFFIXES, NotAudio, probe
from workbench.services.run_service import RunService
from workbench.services.transcriber import Transcriber, TranscriptionFailed
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.recorder.microphone import MicrophoneRecorder, elapsed_text
from workbench.ui.panels.recorder.options import OptionsForm
from workbench.ui.panels.recorder.playback import Playback
from workbench.ui.panels.recorder.results import ResultsView
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel, QuietLabel

NO_FILE = "Drop an audio file here, use Open…, or record."
FILE_FILTER = "Audio ({})".format(" ".join(f"*.{suffix}" for suffix in AUDIO_SUFFIXES))


def local_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    local = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return local[0] if len(local) == 1 else None


class RecorderPanel(Panel):
    def __init__(
        self,
        bus: Bus,
        tasks: BackgroundTasks,
        runs: RunService,
        recordings: Path,
        limit_bytes: int = API_LIMIT_BYTES,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel.recorder")
        self.setAcceptDrops(True)
        self.bus, self.tasks = bus, tasks
        self.transcriber = Transcriber(runs, limit_bytes)
        self.audio: Path | None = None  # the file to transcribe, once it proved to be audio
        self.task: asyncio.Task[None] | None = None  # the transcription in flight
        self.probing: asyncio.Task[None] | None = None
        self.playback = Playback(self)
        self.microphone = MicrophoneRecorder(recordings, self)
        self.open_button = QPushButton("Open…", self, objectName="recorder_open")
        self.open_button.setToolTip("Pick an audio file: " + ", ".join(AUDIO_SUFFIXES))
        self.source_label = QuietLabel(NO_FILE, self, objectName="recorder_source", wordWrap=True)
        # A long file name is one unbreakable word: it may be cut, never widen the dock.
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.options = OptionsForm(self)
        self.go_button = QPushButton("Transcribe", self, objectName="recorder_go")
        self.cancel_button = QPushButton("Cancel", self, objectName="recorder_cancel")
        self.cancel_button.setToolTip("Stop the transcription (Esc)")
        self.progress = QProgressBar(self, objectName="recorder_progress")
        self.progress.setRange(0, 0)  # busy: a server gives no percentage
        self.progress.setMaximumHeight(10)
        self.progress_label = QuietLabel("", self, objectName="recorder_progress_text")
        self.problem = ErrorLabel("", self, objectName="recorder_problem", wordWrap=True)
        self.results = ResultsView(self)
        self._build_layout()
        self._connect()
        self._set_busy(False)

    def _build_layout(self) -> None:
        microphone = QGroupBox("Microphone", self)
        QVBoxLayout(microphone).addWidget(self.microphone)
        file_row = QHBoxLayout()
        file_row.addWidget(self.open_button)
        file_row.addWidget(self.source_label, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.go_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(microphone)
        layout.addLayout(file_row)
        layout.addWidget(self.options)
        layout.addLayout(run_row)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.problem)
        layout.addWidget(self.results, 1)

    def _connect(self) -> None:
        self.open_button.clicked.connect(self.choose_file)
        self.go_button.clicked.connect(self.transcribe)
        self.cancel_button.clicked.connect(self.cancel)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.microphone.recording_ready.connect(self.load_file)
        self.microphone.recording_discarded.connect(self._recording_discarded)
        self.microphone.play_requested.connect(self.playback.play_all)
        self.results.segment_chosen.connect(self.playback.play_range)
        self.results.send_requested.connect(self.send_to_chat)
        self.results.message.connect(self.status_message)

    # --- the audio -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Open audio", "", FILE_FILTER)
        if path:
            self.load_file(Path(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = local_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.load_file(path)

    def load_file(self, path: Path) -> None:
        """Checked in a worker (decoding a long file takes a while); only audio is kept."""
        if self.probing is not None:
            self.probing.cancel()
        self._use(None)
        self.problem.clear()
        self.source_label.setText(f"Checking {path.name}…")
        self.probing = self.tasks.start(f"Reading {path.name}", self._probe(path))

    async def _probe(self, path: Path) -> None:
        try:
            info = await asyncio.to_thread(probe, path)
        except NotAudio as refusal:
            self.source_label.setText(NO_FILE)
            self._show_problem(str(refusal))
            return
        self._use(path)
        size = f"{info.size_bytes / 1_048_576:.1f} MB"
        self.source_label.setText(f"{path.name} · {elapsed_text(info.duration_s)} · {size}")
        self.source_label.setToolTip(str(path))

    def _use(self, path: Path | None) -> None:
        self.audio = path
        self.playback.load(path)
        self._set_busy(self.task is not None)

    def _recording_discarded(self) -> None:
        if self.audio is not None and self.audio.parent == self.microphone.folder:
            self._use(None)
            self.source_label.setText(NO_FILE)

    # --- the run -------------------------------------------------------------------------------
    def transcribe(self) -> None:
        if self.audio is None or self.task is not None:
            return
        self.problem.clear()
        self.results.show_result(None)
        self.task = self.tasks.start("Transcribing", self._transcribe(self.audio))
        self._set_busy(True)

    async def _transcribe(self, path: Path) -> None:
        try:
            result = await self.transcriber.transcribe(
                path, self.options.ask(), self.progress_label.setText, self.bus.state.session_id
            )
        except (NotAudio, TranscriptionFailed) as failure:
            self._show_problem(str(failure))
        except asyncio.CancelledError:
            self.progress_label.setText("Stopped.")
            raise
        else:
            self.results.show_result(result)
            pieces = f" in {result.pieces} pieces" if result.pieces > 1 else ""
            self.progress_label.setText(f"Done{pieces}.")
        finally:
            self.task = None
            self._set_busy(False)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def send_to_chat(self, text: str) -> None:
        if text:
            self.bus.transcript_ready.emit(text)
            self.status_message.emit("The transcript is in the chat's message box.")

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        self.status_message.emit(text)

    def _set_busy(self, busy: bool) -> None:
        self.go_button.setEnabled(not busy and self.audio is not None)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        self.problem.setVisible(bool(self.problem.text()))

    def shutdown(self) -> None:
        self.cancel()
        self.microphone.stop()  # what was recorded so far stays in its file
        self.playback.stop()
