"""The chat panel: one session's conversation, the composer and the run's parameters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from workbench.core.model_traits import prefix_continuation_problem
from workbench.core.run_errors import describe_store_failure
from workbench.core.runs import RunParams
from workbench.core.sessions import Message, MessageStatus, Role
from workbench.core.tree import MessageTree
from workbench.services.chat_service import ChatService, ChatSettings
from workbench.services.model_catalog import CatalogError, ModelCatalog
from workbench.services.store import Store, StoreError
from workbench.services.store.conversation import ConversationQueries
from workbench.services.tokens import TokenCounter
from workbench.ui.budget_guard import BudgetGuard
from workbench.ui.bus import Bus
from workbench.ui.context_guard import window_allows
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.chat import exporting, from_panels, tool_rounds, welcome
from workbench.ui.panels.chat.answer_checks import show_answer_check
from workbench.ui.panels.chat.answer_end import answer_finished
from workbench.ui.panels.chat.composer import Composer
from workbench.ui.panels.chat.conversation import ConversationView
from workbench.ui.panels.chat.deleting import delete_subtree
from workbench.ui.panels.chat.message_card import MessageCard
from workbench.ui.panels.chat.read_aloud import ReadAloud
from workbench.ui.panels.chat.streaming import AnswerStreams
from workbench.ui.panels.chat.texts import EMPTY_TEXT, READ_ONLY_TEXT
from workbench.ui.panels.chat.token_tally import TokenTally
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.widgets.params_form import ParamsForm

T = TypeVar("T")
HUGE_SESSION_CHARS = 4_000_000  # a session holding more is read off the UI thread


@dataclass(frozen=True, slots=True)
class ChatDeps:
    store: Store
    bus: Bus
    tasks: BackgroundTasks
    undo: QUndoStack
    chat: ChatService
    catalog: ModelCatalog
    tokens: TokenCounter
    budget: BudgetGuard | None = None  # asked before each run; None: no budget to keep


class ChatPanel(Panel):
    # "Endpoint · model" that the next send in the open session goes to (the status bar).
    sends_to = Signal(str)

    def __init__(self, deps: ChatDeps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel.chat")
        self.deps = deps
        self.session_id: int | None = None
        self.leaf_id: int | None = None
        self.tree = MessageTree(())
        self.path: list[Message] = []
        self.forks: set[int] = set()  # fork answers still being written, to say when they end
        self._opening: int | None = None  # a huge session being read, to show when it arrives
        # The endpoint the open session (or the next new one) sends to and the model box lists.
        self.endpoint_id: str = deps.chat.runs.endpoint(None).id

        self.view = ConversationView(self)
        self.view.image_data = deps.store.images.data
        self.composer = Composer(self, deps.tasks)
        self.params = ParamsForm(self)
        self.streams = AnswerStreams(self)
        self.read_aloud = ReadAloud(self)  # Listen on an answer
        self.tally = TokenTally(
            self.composer, deps.tokens, deps.tasks, lambda: self.traits.context_window
        )
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.view, 1)
        column.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("chat_splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.params)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(1, False)  # the parameters keep their minimum width
        self.splitter.setSizes([900, 280])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.view.card_created.connect(self._wire_card)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.composer.edit_last_requested.connect(self.edit_last)
        self.composer.text_changed.connect(
            lambda text: self.tally.count_draft(self.params.params().model, text)
        )
        self.params.changed.connect(self._save_settings)
        self.params.model_changed.connect(self._model_changed)
        self.streams.finished.connect(lambda record, text: answer_finished(self, record, text))
        deps.bus.session_opened.connect(self.open_session)
        deps.bus.message_requested.connect(self.open_message)
        deps.bus.session_deleted.connect(self._session_deleted)
        deps.bus.active_endpoint_changed.connect(self._active_endpoint_changed)
        deps.bus.fork_requested.connect(self.fork)
        from_panels.connect(self)  # a schema, tools or a transcript handed over by a panel
        self.welcome = welcome.install(self)  # first run: what this is, samples to try
        # New Session (Ctrl+N): the cursor goes where the user writes.
        deps.bus.new_session_requested.connect(lambda: self.composer.editor.setFocus())
        self.view.show_path([], lambda _i: None, EMPTY_TEXT)  # type: ignore[arg-type,return-value]
        if deps.store.read_only:
            self.composer.set_read_only(READ_ONLY_TEXT)
        self._apply_traits()

    # --- sessions ------------------------------------------------------------------------------
    def open_session(self, session_id: int, now: bool = False) -> None:
        """`now`: read here, whatever the session holds (a search hit is scrolled to at once)."""
        if session_id == self.session_id:
            return
        if self.composer.editing_id is not None:
            self.composer.end_edit()
        self._opening = None
        if not now and self.deps.store.conversation.session_chars(session_id) > HUGE_SESSION_CHARS:
            # Read on the store's own thread: 20 MB of text held the UI thread 60 ms. The
            # session shown stays until it arrives, a few frames later.
            self._opening = session_id
            self.deps.tasks.start("Opening the session", self._open_huge(session_id), quiet=True)
            return
        self._open(session_id, None)

    async def _open_huge(self, session_id: int) -> None:
        read = self.deps.store.writer.submit(lambda db: ConversationQueries(db).visible(session_id))
        messages = await asyncio.wrap_future(read)
        if self._opening == session_id and Shiboken.isValid(self):  # not another one since
            self._opening = None
            self._open(session_id, messages)

    def _open(self, session_id: int, messages: list[Message] | None) -> None:
        self.reopen(session_id, None, messages)
        prompt, endpoint_id, params = self.deps.store.conversation.settings(session_id)
        shown = self.endpoint_id
        # A session remembers its endpoint; one that never said takes the active one.
        self.endpoint_id = self.deps.chat.runs.endpoint(endpoint_id).id
        if not params.model:
            params = RunParams(model=self._default_model())
        self.params.set_params(params, prompt)
        if self.endpoint_id != shown:
            self.load_models()  # that endpoint's list; the session's model is kept if listed
        self._apply_traits()

    def open_message(self, session_id: int, message_id: int) -> None:
        """A search hit: open its session on the branch holding the message, and show it."""
        self.open_session(session_id, now=True)
        if message_id not in self.tree.by_id:  # added since the tree was read (from Compare)
            self.reload_tree()
        if message_id in self.tree.by_id and message_id not in {m.id for m in self.path}:
            self.reopen(session_id, self.tree.latest_leaf(message_id))
        self.view.scroll_to(message_id)

    def reload_tree(self) -> None:
        assert self.session_id is not None
        self.tree = MessageTree(self.deps.store.conversation.visible(self.session_id))
        self.path = self.tree.path_to(self.leaf_id)
        self.count_history()

    def reopen(
        self, session_id: int | None, leaf_id: int | None, messages: list[Message] | None = None
    ) -> None:
        """Reload the session's tree from the store (or `messages`, read from it already) and
        show the path to `leaf_id`."""
        self.session_id = session_id
        if session_id is None:
            self.tree, self.path, self.leaf_id = MessageTree(()), [], None
        else:
            conversation = self.deps.store.conversation
            self.tree = MessageTree(
                conversation.visible(session_id) if messages is None else messages
            )
            wanted = leaf_id or conversation.current_leaf(session_id)
            if wanted not in self.tree.by_id:
                wanted = self.tree.latest_leaf()
            self.path = self.tree.path_to(wanted)
            self.leaf_id = self.path[-1].id if self.path else None
            # Which branch is shown is remembered for next time; not worth an error if not.
            with contextlib.suppress(StoreError), self.deps.store.failures():
                conversation.set_current_leaf(session_id, self.leaf_id)
        self.view.show_path(self.path, self.tree.position, EMPTY_TEXT)
        self.count_history()
        self._follow_shown_answer()

    def _follow_shown_answer(self) -> None:
        """Panels showing an answer (Token Confidence, Inspector) move with the chat: when the
        answer they show is no longer on screen, they show the newest one that is, or none."""
        state = self.deps.bus.state
        if state.run_id is not None and state.answer_id is None:
            return  # they show a Compare column's answer, which is not the chat's to change
        if state.answer_id is not None and any(m.id == state.answer_id for m in self.path):
            return
        newest = next((m.id for m in reversed(self.path) if m.role is Role.ASSISTANT), None)
        if newest != state.answer_id:
            self.deps.bus.answer_selected.emit(newest)

    def _session_deleted(self, session_id: int) -> None:
        if session_id == self.session_id:
            self.streams.stop_session(session_id)
            self.reopen(None, None)

    def _ensure_session(self) -> int:
        if self.session_id is None:
            session_id = self.deps.chat.new_session(self.settings())
            self.reopen(session_id, None)
            self.deps.bus.sessions_changed.emit()
            self.deps.bus.session_opened.emit(session_id)
        assert self.session_id is not None
        return self.session_id

    # --- sending -------------------------------------------------------------------------------
    def settings(self) -> ChatSettings:
        """What the side panel holds: endpoint, parameters and system prompt."""
        return ChatSettings(
            self.deps.chat.runs.endpoint(self.endpoint_id).id,
            self.params.params(),
            self.params.system_prompt.toPlainText(),
        )

    def send(self, text: str) -> None:
        problem = self.params.schema_problem()
        if problem:
            self.status_message.emit(problem)
            return
        drafted = self.tally.prompt_tokens() + self.composer.attachments.tokens()  # with images
        if not self._budget_allows(drafted):
            return  # nothing stored, nothing sent: the draft stays in the composer
        try:
            with self.deps.store.failures():
                session_id = self._ensure_session()
                editing = self.composer.editing_id
                parent = (
                    self.tree.by_id[editing].parent_id
                    if editing in self.tree.by_id
                    else self.leaf_id
                )
                # Committed before any request goes out: the question survives what happens next.
                images = self.composer.attachments.images()
                answer = self.deps.chat.ask(session_id, text, parent, images)
        except StoreError as problem:  # nothing was sent: the draft stays, with the reason
            self._store_failed(problem, "Not sent")
            return
        self.composer.show_problem("")
        self.composer.end_edit()
        self.composer.clear_draft()
        self.deps.bus.sessions_changed.emit()  # its row counts the question now, not at the end
        self.show_and_start(session_id, answer)

    def _stored(self, what: str, write: Callable[[], T]) -> T | None:
        """A store write the user asked for; if the store refuses, it is said and None returned."""
        try:
            with self.deps.store.failures():
                return write()
        except StoreError as problem:
            self._store_failed(problem, what)
            return None

    def _store_failed(self, problem: StoreError, what: str) -> None:
        again = " Ctrl+Enter sends it again." if problem.can_retry else ""
        self.composer.show_problem(f"{what}: {problem} {problem.advice}{again}")
        self.status_message.emit(f"{what}: {problem}")

    def regenerate(self, message_id: int) -> None:
        message = self.tree.by_id.get(message_id)
        if message is None or self.session_id is None or message.parent_id is None:
            return
        if message.status is MessageStatus.STREAMING:
            return
        if not self._budget_allows(self.tally.prompt_tokens(with_draft=False)):
            return
        chat = self.deps.chat
        session_id, question = self.session_id, message.parent_id
        answer = self._stored("Not regenerated", lambda: chat.add_answer(session_id, question))
        if answer is not None:
            self.show_and_start(session_id, answer)

    def continue_answer(self, message_id: int) -> None:
        message = self.tree.by_id.get(message_id)
        if message is None or self.session_id is None or message.parent_id is None:
            return
        if not self._budget_allows(self.tally.prompt_tokens(with_draft=False)):
            return
        prefix = self._stored("Not continued", lambda: self.deps.chat.begin_continue(message))
        if prefix is not None:
            self.show_and_start(self.session_id, message_id, prefix)

    def fork(self, message_id: int, prefix: str) -> None:
        """A new answer next to `message_id` that starts with `prefix` (an alternative token)."""
        problem = self.deps.chat.continue_problem(message_id)
        if problem is not None:  # refused before anything is stored or sent
            self.status_message.emit(f"Not forked: {problem}")
            return
        if not self._budget_allows(self.tally.prompt_tokens(with_draft=False)):
            return
        fork = self._stored("Not forked", lambda: self.deps.chat.add_fork(message_id))
        if fork is None:
            return
        self.open_session(fork.session_id, now=True)
        self.forks.add(fork.id)
        tail = prefix[-24:].replace("\n", " ")
        self.status_message.emit(f"Forked at “…{tail}”: writing the new branch…")
        self.show_and_start(fork.session_id, fork.id, prefix)

    def budget_allows_again(self) -> bool:
        """Asked before each new round of a conversation already under way."""
        return self._budget_allows(self.tally.prompt_tokens(with_draft=False))

    def _budget_allows(self, prompt_tokens: int) -> bool:
        """Asks first when the prompt is over the model's window or past today's budget."""
        say, guard = self.status_message.emit, self.deps.budget
        if not window_allows(self, prompt_tokens, self.traits.context_window, say):
            return False
        if guard is None:
            return True
        settings, chat = self.settings(), self.deps.chat
        return guard.allows(self, lambda: [chat.estimate(settings, prompt_tokens)], say=say)

    def show_and_start(self, session_id: int, answer_id: int, prefix: str = "") -> None:
        try:
            with self.deps.store.failures():
                self._start_answer(session_id, answer_id, prefix)
        except StoreError as problem:  # the run's row could not be written: nothing was sent
            self._store_failed(problem, "The answer could not start")
            card = self.view.cards.get(answer_id)
            if card is not None:
                card.set_status(MessageStatus.ERROR)
                card.show_error(describe_store_failure(str(problem), problem.advice))

    def _start_answer(self, session_id: int, answer_id: int, prefix: str) -> None:
        self.reopen(session_id, answer_id)
        settings = self.settings()
        history = [m for m in self.path if m.id != answer_id]
        request = self.deps.chat.request(settings, history, prefix)
        self.deps.chat.save_settings(session_id, settings)
        card = self.view.cards.get(answer_id)
        if card is not None:
            card.body.set_markdown(prefix)
        run = self.deps.chat.start(
            session_id, answer_id, request, lambda e: self.streams.on_event(answer_id, e), prefix
        )
        self.streams.start(run, card)
        self.composer.set_busy(True)

    def stop(self) -> None:
        self.read_aloud.stop()
        if self.session_id is not None and self.streams.stop_session(self.session_id):
            self.status_message.emit("Stopped. The partial answer is kept.")

    # --- editing the tree ----------------------------------------------------------------------
    def edit_last(self) -> None:
        last = next((m for m in reversed(self.path) if m.role is Role.USER), None)
        if last is not None:
            self.edit(last.id)

    def edit(self, message_id: int) -> None:
        message = self.tree.by_id.get(message_id)
        if message is not None:
            self.composer.begin_edit(message_id, message.content)

    def show_sibling(self, message_id: int) -> None:
        if self.session_id is not None and message_id in self.tree.by_id:
            self.reopen(self.session_id, self.tree.latest_leaf(message_id))

    def delete(self, message_id: int) -> None:
        delete_subtree(self, message_id)

    # --- export --------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        exporting.export_dialog(self)

    def export_to(self, path: Path) -> None:
        exporting.export_to(self, path)

    # --- cards ---------------------------------------------------------------------------------
    def _wire_card(self, card: MessageCard) -> None:
        card.edit_requested.connect(self.edit)
        card.regenerate_requested.connect(self.regenerate)
        card.continue_requested.connect(self.continue_answer)
        card.delete_requested.connect(self.delete)
        card.sibling_requested.connect(self.show_sibling)
        card.copied.connect(self.status_message)
        card.selected.connect(self._card_selected)
        endpoint = self.deps.chat.runs.endpoint(self.endpoint_id)
        card.set_continue_problem(prefix_continuation_problem(endpoint))
        self.streams.attach(card)
        tool_rounds.wire(self, card)
        if card.message.run_id is not None and not self.streams.is_running(card.message.id):
            record = self.deps.store.runs.get(card.message.run_id)
            if record is not None:
                card.show_record(record)
            show_answer_check(card, card.message, self.deps.store.runs, self.deps.tasks)

    def _card_selected(self, message_id: int) -> None:
        message = self.tree.by_id.get(message_id)
        if message is not None and message.role is Role.ASSISTANT:
            self.deps.bus.answer_selected.emit(message_id)

    # --- parameters, models, tokens ------------------------------------------------------------
    def _save_settings(self, session_id: int | None = None) -> None:
        target = session_id if isinstance(session_id, int) else self.session_id
        if target is not None and not self.deps.store.read_only:
            try:
                with self.deps.store.failures():
                    self.deps.chat.save_settings(target, self.settings())
            except StoreError as problem:  # the form keeps them; the next change saves them
                self.status_message.emit(f"Settings not saved: {problem}")

    def _active_endpoint_changed(self, _endpoint_id: str) -> None:
        """A switch applies to new sessions; an open session with messages keeps its endpoint."""
        active = self.deps.chat.runs.endpoint(None)
        if self.session_id is not None and self.path and self.endpoint_id != active.id:
            mine = self.deps.chat.runs.endpoint(self.endpoint_id)
            self.status_message.emit(
                f"“{active.name}” is the endpoint for new sessions; "
                f"this session stays on “{mine.name}”."
            )
            return
        if self.endpoint_id != active.id:  # the old endpoint's model is not carried over
            self.params.model.blockSignals(True)
            self.params.model.setCurrentText("")
            self.params.model.blockSignals(False)
        self.endpoint_id = active.id
        self.load_models()
        self._save_settings()

    def load_models(self) -> None:
        catalog = self.deps.catalog
        known = catalog.known(self.endpoint_id)
        if known is None:
            self.deps.tasks.start("Listing models", self._fetch_models())
            return
        self.params.set_models(known, self._default_model())
        self._apply_traits()

    async def _fetch_models(self) -> None:
        try:
            listed = await self.deps.catalog.fetch(self.endpoint_id)
        except CatalogError as exc:
            if Shiboken.isValid(self):
                self.status_message.emit(str(exc))
            return
        if not Shiboken.isValid(self):  # the panel closed while the list was coming
            return
        self.params.set_models(listed, self._default_model())
        self._apply_traits()

    def _default_model(self) -> str:
        return self.deps.chat.runs.endpoint(self.endpoint_id).default_model

    def _model_changed(self, _model: str) -> None:
        self._apply_traits()
        self.count_history()

    def _apply_traits(self) -> None:
        self.traits = self.deps.catalog.traits(self.endpoint_id, self.params.params().model)
        self.params.apply_traits(self.traits)
        self.composer.attachments.set_model(
            self.traits.model, self.traits.endpoint_kind, self.traits.vision
        )
        self.tally.show(0)
        self.sends_to.emit(self.sends_to_text())

    def sends_to_text(self) -> str:
        endpoint, model = self.deps.chat.runs.endpoint(self.endpoint_id), self.params.params().model
        return f"{endpoint.name} · {model}" if model else endpoint.name

    def count_history(self) -> None:
        self.tally.count_history(self.params.params().model, self.path)

    def shutdown(self) -> None:
        """The app is closing: in-flight answers are kept as they are, marked interrupted."""
        self.streams.abandon_all()
