"""The Whisper recorder against the built-in server: a spoken file becomes text with timed
segments, a segment's click plays it, subtitles export, and a recording over the upload limit
goes in pieces whose joined times only go forward."""

from __future__ import annotations

import itertools
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.e2e.conftest import SENTENCE
from workbench.app.context import AppContext
from workbench.core.runs import RunKind, RunStatus
from workbench.services.audio_files import SAMPLE_RATE, decode_mono
from workbench.ui.panels.recorder import RecorderPanel

pytestmark = pytest.mark.timeout(300)
WAIT_MS = 240_000


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _panel(ctx: AppContext, qtbot, tmp_path: Path, **kwargs: int) -> RecorderPanel:
    panel = RecorderPanel(ctx.bus, ctx.tasks, ctx.runs, tmp_path / "recordings", **kwargs)
    qtbot.addWidget(panel)
    panel.resize(420, 800)
    panel.show()
    return panel


def _transcribe(panel: RecorderPanel, path: Path, qtbot) -> list[str]:
    """Loads the file, presses Transcribe and waits; the progress lines seen on the way."""
    panel.load_file(path)
    qtbot.waitUntil(lambda: panel.go_button.isEnabled(), timeout=WAIT_MS)
    panel.go_button.click()
    seen: list[str] = []

    def finished() -> bool:
        text = panel.progress_label.text()
        if not seen or seen[-1] != text:
            seen.append(text)
        return panel.task is None

    qtbot.waitUntil(finished, timeout=WAIT_MS)
    assert not panel.problem.isVisible(), panel.problem.text()
    return seen


def test_a_spoken_file_gives_its_words_and_segments(
    ctx: AppContext, qtbot, tmp_path: Path, speech: Path
) -> None:
    panel = _panel(ctx, qtbot, tmp_path)
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    _transcribe(panel, speech, qtbot)

    results = panel.results
    assert {"quick", "brown", "fox", "lazy", "dog"} <= _words(results.text.toPlainText())
    tree = results.segments
    assert tree.isVisible() and tree.topLevelItemCount() >= 1
    assert re.match(r"0:00\.\d\d – 0:0\d\.\d\d", tree.topLevelItem(0).text(0))
    # Stored and announced like every run: the inspector and cost meter see it.
    assert [(r.kind, r.status) for r in finished] == [(RunKind.TRANSCRIPTION, RunStatus.COMPLETE)]
    sent_body = ctx.store.runs.request(finished[0].run_id)
    assert sent_body["response_format"] == "verbose_json"
    assert sent_body["timestamp_granularities"] == ["word", "segment"]
    # Each word has its time: shown beside the segment that holds it.
    words = results.result.transcript.words
    assert {"fox", "dog"} <= {w.word.strip(" .,").lower() for w in words}
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    first = tree.topLevelItem(0).toolTip(1)
    assert re.match(r"0:0\d\.\d\d \w+", first), first

    segment = results.result.transcript.segments[-1]
    rect = tree.visualItemRect(tree.topLevelItem(tree.topLevelItemCount() - 1))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    player = panel.playback.player
    qtbot.waitUntil(lambda: abs(player.position() - segment.start * 1000) < 300, timeout=10_000)

    with qtbot.waitSignal(ctx.bus.transcript_ready) as sent:
        results.send_button.click()
    assert {"quick", "fox"} <= _words(sent.args[0])

    results.export(tmp_path / "fox.srt", "srt")
    srt = (tmp_path / "fox.srt").read_text(encoding="utf-8")
    assert re.match(r"1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\n.+\n", srt), srt


def test_srt_asked_is_shown_and_saved_as_the_server_returned_it(
    ctx: AppContext, qtbot, tmp_path: Path, speech: Path
) -> None:
    panel = _panel(ctx, qtbot, tmp_path)
    panel.options.response_format.setCurrentText("srt")
    _transcribe(panel, speech, qtbot)
    body = panel.results.result.body
    assert body.startswith("1\n00:00:00,000 --> ") and "fox" in body.lower()
    assert panel.results.text.toPlainText() == body.strip()
    panel.results.export(tmp_path / "server.srt", "srt")
    assert (tmp_path / "server.srt").read_text(encoding="utf-8") == body


def _long_recording(speech: Path, path: Path, times: int = 3) -> Path:
    """The sentence `times` over with a second of silence after each: about 10 s."""
    spoken = decode_mono(speech)
    gap = np.zeros(SAMPLE_RATE, dtype=np.int16)
    samples = np.concatenate([np.concatenate([spoken, gap]) for _ in range(times)])
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return path


def test_a_file_over_the_limit_goes_in_pieces_joined_in_order(
    ctx: AppContext, qtbot, tmp_path: Path, speech: Path
) -> None:
    spoken_s = len(decode_mono(speech)) / SAMPLE_RATE
    limit = 44 + 2 * int((spoken_s + 1.0) * SAMPLE_RATE) + 2  # one sentence and its pause
    long = _long_recording(speech, tmp_path / "long.wav")
    assert long.stat().st_size > limit
    panel = _panel(ctx, qtbot, tmp_path, limit_bytes=limit)
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    seen = _transcribe(panel, long, qtbot)

    result = panel.results.result
    assert result.pieces >= 3 and len(finished) == result.pieces
    assert any(re.fullmatch(r"Transcribing piece 2 of \d+…", line) for line in seen), seen
    segments = result.transcript.segments
    starts = [s.start for s in segments]
    assert starts == sorted(starts) and all(s.start <= s.end for s in segments)
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
    assert segments[-1].start > 2 * spoken_s  # the last piece's times were shifted
    assert panel.results.text.toPlainText().lower().count("fox") >= 2
    assert _words(SENTENCE.lower()) & _words(panel.results.text.toPlainText())


def test_escape_cancels_between_or_during_pieces(
    ctx: AppContext, qtbot, tmp_path: Path, speech: Path
) -> None:
    spoken_s = len(decode_mono(speech)) / SAMPLE_RATE
    limit = 44 + 2 * int((spoken_s + 1.0) * SAMPLE_RATE) + 2
    long = _long_recording(speech, tmp_path / "long.wav", times=4)
    panel = _panel(ctx, qtbot, tmp_path, limit_bytes=limit)
    finished = []
    ctx.bus.run_finished.connect(finished.append)
    panel.load_file(long)
    qtbot.waitUntil(lambda: panel.go_button.isEnabled(), timeout=WAIT_MS)
    panel.go_button.click()
    qtbot.waitUntil(lambda: "piece 1 of" in panel.progress_label.text(), timeout=WAIT_MS)
    panel.options.prompt.setFocus()
    qtbot.keyClick(panel.options.prompt, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.task is None, timeout=WAIT_MS)
    assert panel.progress_label.text() == "Stopped."
    assert panel.results.result is None and panel.go_button.isEnabled()
    assert len(finished) <= 1 and all(r.status is RunStatus.STOPPED for r in finished)
