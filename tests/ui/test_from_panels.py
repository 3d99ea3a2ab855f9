"""What other panels hand the chat: a transcript goes into the draft, after what is there."""

from __future__ import annotations


def test_a_transcript_goes_into_the_draft(scripted_chat, ctx, qtbot) -> None:
    panel = scripted_chat()
    ctx.bus.transcript_ready.emit("  The quick brown fox.\n")
    assert panel.composer.text() == "The quick brown fox."
    panel.composer.editor.setPlainText("Summarise this:")
    ctx.bus.transcript_ready.emit("It jumps over the lazy dog.")
    assert panel.composer.text() == "Summarise this:\n\nIt jumps over the lazy dog."
    assert panel.composer.editor.textCursor().atEnd()
