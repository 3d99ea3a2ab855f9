"""What other panels hand the chat through the bus: a schema to answer in (Schema Editor), the
tools to offer (Tools), a transcript to send (Whisper Recorder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.ui.panels.chat import tool_rounds

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel


def connect(panel: ChatPanel) -> None:
    bus = panel.deps.bus
    bus.schema_chosen.connect(lambda schema: use_schema(panel, schema))
    bus.tools_chosen.connect(lambda tools: tool_rounds.use_tools(panel, tools))
    bus.transcript_ready.connect(lambda text: take_transcript(panel, text))


def use_schema(panel: ChatPanel, schema: str) -> None:
    panel.params.response_format.setCurrentText("json_schema")
    panel.params.json_schema.setPlainText(schema)


def take_transcript(panel: ChatPanel, text: str) -> None:
    """Into the draft, after what is there already, ready to be read over and sent."""
    draft = panel.composer.text()
    joined = f"{draft.rstrip()}\n\n{text.strip()}" if draft.strip() else text.strip()
    panel.composer.set_text(joined)
    panel.window().activateWindow()
    panel.status_message.emit("The transcript is in the message box: read it over, then send.")
