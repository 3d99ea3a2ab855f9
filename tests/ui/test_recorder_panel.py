"""The Whisper recorder dock on a machine with no microphone (this one and CI): recording is off
and says why, a file that is not audio is refused before anything is sent, a segment's click
plays from its start, and Send to Chat hands the transcript to the chat."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from workbench.app.context import AppContext
from workbench.app.panels import PANELS
from workbench.core.subtitles import Segment
from workbench.core.transcripts import Transcript
from workbench.services.transcriber import TranscriptionResult
from workbench.ui.panels.recorder import RecorderPanel
from workbench.ui.panels.recorder.microphone import NO_MICROPHONE

WAIT_MS = 10_000


@pytest.fixture
def panel(ctx: AppContext, qtbot, tmp_path: Path) -> RecorderPanel:
    built = RecorderPanel(ctx.bus, ctx.tasks, ctx.runs, tmp_path / "recordings")
    qtbot.addWidget(built)
    built.resize(420, 800)
    built.show()
    return built


def _drop(panel: RecorderPanel, path: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(event)


def _tone_wav(path: Path, seconds: float = 4.0) -> Path:
    t = np.arange(int(seconds * 16_000)) / 16_000
    samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(samples.tobytes())
    return path


def test_the_recorder_is_a_hidden_dock_on_ctrl_shift_r() -> None:
    spec = next(s for s in PANELS if s.key == "recorder")
    assert (spec.title, spec.shortcut, spec.visible) == ("Whisper Recorder", "Ctrl+Shift+R", False)
    shortcuts = [s.shortcut for s in PANELS]
    assert len(shortcuts) == len(set(shortcuts))


def test_without_a_microphone_recording_is_off_and_says_so(
    panel: RecorderPanel, monkeypatch
) -> None:
    from PySide6.QtMultimedia import QMediaDevices

    # As on a server or in CI, whatever this machine has.
    monkeypatch.setattr(QMediaDevices, "audioInputs", staticmethod(lambda: []))
    mic = panel.microphone
    mic.refresh_devices()
    assert mic.note.isVisible() and mic.note.text() == NO_MICROPHONE
    assert "No microphone found" in NO_MICROPHONE
    assert not mic.record_button.isEnabled() and not mic.devices.isEnabled()
    assert not mic.stop_button.isEnabled() and not mic.play_button.isEnabled()
    assert panel.open_button.isEnabled()  # files still work


def test_a_dropped_text_file_is_refused_and_nothing_is_sent(
    panel: RecorderPanel, ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Not a recording.\n")
    _drop(panel, notes)
    qtbot.waitUntil(lambda: panel.problem.isVisible(), timeout=WAIT_MS)
    assert "notes.txt is not an audio file" in panel.problem.text()
    assert panel.audio is None and not panel.go_button.isEnabled()

    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"\x00garbage" * 500)
    _drop(panel, broken)
    qtbot.waitUntil(lambda: "could not be decoded" in panel.problem.text(), timeout=WAIT_MS)
    assert panel.audio is None and not panel.go_button.isEnabled()
    assert ctx.store.runs.get(1) is None  # no run was started


def test_a_dropped_wav_is_taken_and_a_segment_click_plays_from_its_start(
    panel: RecorderPanel, qtbot, tmp_path: Path
) -> None:
    path = _tone_wav(tmp_path / "tone.wav")
    _drop(panel, path)
    qtbot.waitUntil(lambda: panel.go_button.isEnabled(), timeout=WAIT_MS)
    assert "tone.wav" in panel.source_label.text() and not panel.problem.isVisible()
    segments = (Segment(0.0, 1.5, " First part."), Segment(1.5, 3.25, " Second part."))
    transcript = Transcript("First part. Second part.", segments, 4.0)
    panel.results.show_result(TranscriptionResult(transcript, "{}", "verbose_json", 1, (1,)))
    tree = panel.results.segments
    assert tree.topLevelItemCount() == 2 and tree.topLevelItem(1).text(1) == "Second part."
    player = panel.playback.player
    qtbot.waitUntil(lambda: player.duration() > 0, timeout=WAIT_MS)
    rect = tree.visualItemRect(tree.topLevelItem(1))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.playback.stop_at_ms == 3250
    qtbot.waitUntil(lambda: abs(player.position() - 1500) < 300, timeout=WAIT_MS)


def test_send_to_chat_announces_the_transcript(
    panel: RecorderPanel, ctx: AppContext, qtbot
) -> None:
    transcript = Transcript("Hello from the recorder.", (Segment(0.0, 1.0, "Hello"),), 1.0)
    panel.results.show_result(TranscriptionResult(transcript, "{}", "verbose_json", 1, (1,)))
    with qtbot.waitSignal(ctx.bus.transcript_ready, timeout=WAIT_MS) as sent:
        panel.results.send_button.click()
    assert sent.args == ["Hello from the recorder."]
    QApplication.processEvents()
