"""Listen on an answer, on the built-in server: the words (not the markdown) are spoken by
eSpeak NG through /v1/audio/speech, stored as a run, played, and kept for next time."""

from __future__ import annotations

import io

import av
import pytest

from tests.support.driving import type_and_send
from workbench.core.runs import RunKind
from workbench.ui.panels.chat import ChatPanel

WAIT_MS = 120_000


@pytest.fixture
def panel(local_chat) -> ChatPanel:
    return local_chat(max_tokens=24)


def _speech_runs(ctx) -> list:
    rows = ctx.store.db.execute("SELECT id FROM runs WHERE kind = ?", [str(RunKind.SPEECH)])
    return [ctx.store.runs.get(r[0]) for r in rows]


def test_an_answer_is_read_aloud_and_kept(panel, ctx, qtbot) -> None:
    record = type_and_send(qtbot, panel, "Say hello to the world.", timeout_ms=WAIT_MS)
    card = panel.view.cards[record.message_id]
    assert card.listen_button.text() == "Listen"
    card.listen_button.click()
    assert card.listen_button.text() == "Stop"  # at once: the audio is on its way
    listen = panel.read_aloud
    qtbot.waitUntil(lambda: listen.playing == record.message_id, timeout=WAIT_MS)

    [run] = _speech_runs(ctx)
    assert run.model == "espeak-ng" and run.usage.input_characters > 0
    sent = ctx.store.runs.request(run.run_id)
    answer = ctx.store.conversation.get(record.message_id).content
    assert sent["voice"] == "alloy" and sent["input"].split()[0] in answer
    assert sent["response_format"] == "wav"  # played as PCM, no media decoder in between
    with av.open(io.BytesIO(listen.last.audio)) as audio:  # real mp3 with sound in it
        assert audio.duration and audio.duration > 200_000  # microseconds

    # Read to its end, the button is Listen again by itself.
    qtbot.waitUntil(lambda: listen.playing is None, timeout=30_000)
    assert card.listen_button.text() == "Listen"
    card.listen_button.click()  # again: from the store, nothing sent
    qtbot.waitUntil(lambda: listen.playing == record.message_id, timeout=10_000)
    assert listen.last.cached and len(_speech_runs(ctx)) == 1
    card.listen_button.click()  # Listen again stops
    assert listen.playing is None and card.listen_button.text() == "Listen"
    card.listen_button.click()
    qtbot.waitUntil(lambda: listen.playing == record.message_id, timeout=10_000)
    panel.composer.editor.setFocus()
    panel.stop()  # Esc
    assert listen.playing is None
