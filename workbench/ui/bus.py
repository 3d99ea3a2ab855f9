"""App-wide announcements. Panels receive the bus in their constructor and never import each other.

It lives in `ui` rather than `app` so panels can name its type without breaking the layer rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass(slots=True)
class BusState:
    """The latest of the announcements a panel needs to start from. Docks are built the first
    time they are shown, often long after these were sent; a panel reads them at construction."""

    session_id: int | None = None  # the session open in the chat
    answer_id: int | None = None  # the answer last selected (message id), if it was a message
    run_id: int | None = None  # or the run last selected, if it was not (a compare column)
    schema: str = ""  # the schema the Schema Editor offered last (its "Use in chat")


class Bus(QObject):
    session_opened = Signal(int)  # session id
    message_requested = Signal(int, int)  # session id, message id: open it there (search hits)
    session_renamed = Signal(int, str)
    session_deleted = Signal(int)
    sessions_changed = Signal()
    endpoints_changed = Signal()
    active_endpoint_changed = Signal(str)  # endpoint id
    run_finished = Signal(object)  # the finished run's record
    # Message id of the answer the user is looking at; None when the chat shows none (another
    # session or branch was opened), so panels showing an answer never show a stale one.
    answer_selected = Signal(object)
    run_selected = Signal(int)  # run id of an answer that is not a chat message (a compare column)
    fork_requested = Signal(int, str)  # answer message id, the prefix to continue as a branch
    logprobs_wanted = Signal(bool)  # a panel showing logprobs opened (True) or closed
    new_session_requested = Signal()  # File > New Session: the sessions panel makes one
    # Schema editor's "Use in chat": the schema text the chat asks JSON schema output for (strict).
    schema_chosen = Signal(str)
    # Tools panel's "Use in Chat": a ToolSet's JSON (core.tools) the chat offers from its next
    # send on; "" takes the tools away.
    tools_chosen = Signal(str)
    # Whisper recorder's "Send to Chat": a transcript the chat puts into its composer.
    transcript_ready = Signal(str)
    # The chat's first-run welcome: show the dock with this key and hand its panel this prompt
    # ("" for none; the window calls the panel's take_prompt).
    dock_requested = Signal(str, str)
    endpoints_requested = Signal()  # the welcome's "Add an OpenAI key" link: the window opens it
    # The built-in model's state (LocalState value) and its sentence, as the status bar shows it.
    local_model_changed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.state = BusState()
        # Connected before any panel can connect, so the state is current in every receiver.
        self.session_opened.connect(self._opened)
        self.message_requested.connect(self._message_requested)
        self.session_deleted.connect(self._deleted)
        self.answer_selected.connect(self._answer_selected)
        self.run_selected.connect(self._run_selected)
        self.schema_chosen.connect(self._schema_chosen)

    def _opened(self, session_id: int) -> None:
        self.state.session_id = session_id

    def _message_requested(self, session_id: int, _message_id: int) -> None:
        # The hit's session is opened like any other, so the window title, the sessions list
        # and the panels that follow the open session all see it.
        if session_id != self.state.session_id:
            self.session_opened.emit(session_id)

    def _deleted(self, session_id: int) -> None:
        if session_id == self.state.session_id:
            self.state.session_id = None

    def _answer_selected(self, message_id: int | None) -> None:
        self.state.answer_id, self.state.run_id = message_id, None

    def _run_selected(self, run_id: int) -> None:
        self.state.answer_id, self.state.run_id = None, run_id

    def _schema_chosen(self, schema: str) -> None:
        self.state.schema = schema
