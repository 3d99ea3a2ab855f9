"""The chat's first-run welcome: what Workbench is, a few sample prompts that show off the
panels, and where to add a key. It takes the place of the empty conversation's hint while no
session exists yet.

A sample fills the composer (it never sends by itself), may switch the chat to JSON schema
output, and asks the window through the bus to show the dock that goes with it: the chat never
reaches into another panel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.chat import from_panels

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel


@dataclass(frozen=True, slots=True)
class Sample:
    key: str
    label: str
    prompt: str = ""
    dock: str = ""  # the dock shown with it ("" for none)
    to_dock: bool = False  # the prompt goes to that dock's panel rather than the composer
    schema: str = ""  # JSON schema output the chat switches to
    note: str = ""  # one line for the status bar: what to do next


CONFIDENCE_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "country": {"type": "string"},
            "population_millions": {"type": "number"},
        },
        "required": ["city", "country", "population_millions"],
        "additionalProperties": False,
    },
    indent=2,
)

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "json",
        "Answer as JSON with field confidences",
        "What is the largest city in Japan, which country is it in, and how many millions of "
        "people live there?",
        dock="heatmap",
        schema=CONFIDENCE_SCHEMA,
        note="JSON schema output is on; Token Confidence shows how sure the model was of each "
        "field. Press Ctrl+Enter to send.",
    ),
    Sample(
        "compare",
        "Compare two answers side by side",
        "Write a one-line slogan for a bicycle repair shop.",
        dock="compare",
        to_dock=True,
        note="The prompt is in Compare: press Run to see two answers side by side.",
    ),
    Sample(
        "transcribe",
        "Transcribe a clip",
        dock="recorder",
        note="Record or open an audio file in the Whisper Recorder; Send to Chat puts the "
        "transcript in the message box.",
    ),
    Sample("hello", "Say hello", "Hello! In two sentences, what can you help me with?"),
)

INTRO = (
    "<p><b>Welcome to Workbench</b></p>"
    "<p>A workbench for OpenAI-compatible APIs: send requests, watch them stream, see what they "
    "cost and how sure the model was. A small model is built in and runs on this computer, "
    "offline, so you can start right away, without a key.</p>"
    "<p>Try one (it is put in the message box; nothing is sent until you send it):</p>"
)
ENDPOINTS_TEXT = "Add an OpenAI key: Settings ▸ Endpoints (Ctrl+,)"
LOADING_TEXT = "The built-in model is loading… the first answer waits for it."


class Welcome(QWidget):
    sample_chosen = Signal(object)  # Sample
    endpoints_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(INTRO, self, objectName="welcome.intro", wordWrap=True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)
        self.buttons: dict[str, QPushButton] = {}
        for sample in SAMPLES:
            button = QPushButton(sample.label, self, objectName=f"welcome.{sample.key}")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _on=False, s=sample: self.sample_chosen.emit(s))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            self.buttons[sample.key] = button
        self.endpoints_link = QPushButton(ENDPOINTS_TEXT, self, objectName="welcome.endpoints")
        self.endpoints_link.setFlat(True)
        self.endpoints_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.endpoints_link.setStyleSheet("color: palette(link); text-align: left;")
        self.endpoints_link.clicked.connect(self.endpoints_wanted)
        layout.addWidget(self.endpoints_link, 0, Qt.AlignmentFlag.AlignLeft)
        self.model_line = QLabel(self, objectName="welcome.model", wordWrap=True)
        self.model_line.hide()
        layout.addWidget(self.model_line)

    def show_model_state(self, state: str, message: str) -> None:
        """The built-in model's state (a LocalState value): loading until it is ready."""
        if state in ("starting", "restarting"):
            self.model_line.setText(LOADING_TEXT)
        elif state == "failed":
            self.model_line.setText(message.partition("\n")[0])
        self.model_line.setVisible(state in ("starting", "restarting", "failed"))


def install(panel: ChatPanel) -> Welcome:
    """Puts the welcome in the chat's empty state, shown while the store holds no session."""
    welcome = Welcome()
    panel.view.set_welcome(welcome)
    bus, store = panel.deps.bus, panel.deps.store

    shown = [False]

    def refresh(*_args: object) -> None:
        shown[0] = not store.read_only and not store.sessions.list()
        panel.view.show_welcome(shown[0])

    def maybe_gone(*_args: object) -> None:  # a session appeared: asked only while shown
        if shown[0]:
            refresh()

    bus.sessions_changed.connect(maybe_gone)
    bus.session_opened.connect(maybe_gone)
    bus.session_deleted.connect(refresh)  # the last one gone: welcome again
    welcome.sample_chosen.connect(lambda sample: use_sample(panel, sample))
    welcome.endpoints_wanted.connect(bus.endpoints_requested)
    bus.local_model_changed.connect(welcome.show_model_state)
    refresh()
    return welcome


def use_sample(panel: ChatPanel, sample: Sample) -> None:
    if sample.schema:
        from_panels.use_schema(panel, sample.schema)
    if sample.prompt and not sample.to_dock:
        panel.composer.set_text(sample.prompt)
    if sample.dock:
        panel.deps.bus.dock_requested.emit(sample.dock, sample.prompt if sample.to_dock else "")
    if sample.note:
        panel.status_message.emit(sample.note)
