"""The chat's actions without its widgets: ask, regenerate, continue, fork, title.

Each action commits what the user did before any request goes out, then returns the ids the
panel shows; `request` builds what is sent, the same way for every action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from workbench.core import export
from workbench.core.budget import Estimate
from workbench.core.model_traits import prefix_continuation_problem
from workbench.core.runs import (
    ChatTurn,
    ContentPart,
    ImagePart,
    RunEvent,
    RunKind,
    RunParams,
    RunRequest,
    TextPart,
)
from workbench.core.sessions import DEFAULT_SESSION_TITLE, Message, MessageStatus, Role
from workbench.core.tools import ToolCall
from workbench.services.run_pipeline import Run, RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store import Store
from workbench.services.store.images import NewImage


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What the chat's side panel holds for a session."""

    endpoint_id: str
    params: RunParams
    system_prompt: str = ""


class ChatService:
    def __init__(self, store: Store, runs: RunService) -> None:
        self.store = store
        self.runs = runs

    # --- the tree ------------------------------------------------------------------------------
    def new_session(self, settings: ChatSettings) -> int:
        session_id = self.store.sessions.create()
        self.save_settings(session_id, settings)
        return session_id

    def save_settings(self, session_id: int, settings: ChatSettings) -> None:
        self.store.conversation.save_settings(
            session_id, settings.system_prompt, settings.endpoint_id, settings.params
        )

    def ask(
        self,
        session_id: int,
        text: str,
        parent_id: int | None,
        images: Sequence[NewImage] = (),
    ) -> int:
        """The user's message (and its images), committed before anything is sent; returns the
        answer's id."""
        question = self.store.conversation.add(session_id, Role.USER, text, parent_id)
        if images:
            self.store.images.attach(question, images)
        return self.add_answer(session_id, question)

    def add_answer(self, session_id: int, question_id: int) -> int:
        """An empty answer to `question_id`, streaming: a new answer or a regeneration."""
        return self.store.conversation.add(
            session_id, Role.ASSISTANT, "", question_id, MessageStatus.STREAMING
        )

    def begin_continue(self, message: Message) -> str:
        """Mark a cut-off answer as streaming again; returns the text it continues from."""
        self.store.conversation.settle(message.id, message.content, MessageStatus.STREAMING)
        return message.content

    def continue_problem(self, message_id: int) -> str | None:
        """Why the answer `message_id` cannot be continued or forked from a token on its
        session's endpoint (which is where the fork goes), or None when it can."""
        message = self.store.conversation.get(message_id)
        if message is None:
            return "That answer is gone."
        _prompt, endpoint_id, _params = self.store.conversation.settings(message.session_id)
        return prefix_continuation_problem(self.runs.endpoint(endpoint_id))

    def add_fork(self, message_id: int) -> Message | None:
        """An empty answer beside `message_id`, to be written from a prefix; None if the message
        is gone or has no question."""
        message = self.store.conversation.get(message_id)
        if message is None or message.parent_id is None:
            return None
        fork = self.store.conversation.add(
            message.session_id, Role.ASSISTANT, "", message.parent_id, MessageStatus.STREAMING
        )
        return self.store.conversation.get(fork)

    # --- sending -------------------------------------------------------------------------------
    def request(
        self, settings: ChatSettings, history: Sequence[Message], prefix: str = ""
    ) -> RunRequest:
        """What is sent for an answer after `history`: system prompt, turns, parameters."""
        endpoint = self.runs.endpoint(settings.endpoint_id)
        params = settings.params
        if not params.model:  # sent before the endpoint's models were listed (`--prompt`)
            params = replace(params, model=endpoint.default_model)
        turns = history_turns(history, self.store.images.data)
        system = settings.system_prompt.strip()
        if system:
            turns.insert(0, ChatTurn.of("system", system))
        request = RunRequest(
            RunKind.CHAT_COMPLETION,
            endpoint.id,
            params,
            tuple(turns),
            continue_from=prefix,
            tool_round=tool_rounds(history),
        )
        return self.runs.prepared(request)

    # --- tool calls ----------------------------------------------------------------------------
    def answer_calls(self, answer: Message, results: Sequence[tuple[ToolCall, str]]) -> int:
        """The results of `answer`'s tool calls as tool messages (one after another, in the
        order of the calls), committed, then an empty answer after them; returns its id."""
        parent = answer.id
        for call, result in results:
            parent = self.store.conversation.add(
                answer.session_id, Role.TOOL, result, parent, tool_call_id=call.id
            )
        return self.add_answer(answer.session_id, parent)

    def estimate(self, settings: ChatSettings, prompt_tokens: int) -> Estimate:
        return self.runs.estimate(self.request(settings, ()), prompt_tokens)

    def start(
        self,
        session_id: int,
        answer_id: int,
        request: RunRequest,
        on_event: Callable[[RunEvent], None],
        prefix: str = "",
    ) -> Run:
        return self.runs.start(request, RunOrigin(session_id, answer_id), on_event, prefix=prefix)

    # --- titles --------------------------------------------------------------------------------
    def auto_title(self, session_id: int | None) -> str | None:
        """Name a new session after its first question; returns the title if one was given."""
        summary = self.store.sessions.get(session_id) if session_id else None
        if summary is None or summary.title != DEFAULT_SESSION_TITLE:
            return None
        first = next(
            (m for m in self.store.conversation.visible(summary.id) if m.role is Role.USER),
            None,
        )
        if first is None:
            return None
        title = export.auto_title(first.content)
        self.store.sessions.rename(summary.id, title)
        return title


def history_turns(
    history: Sequence[Message], image_data: Callable[[str], bytes | None] = lambda _d: None
) -> list[ChatTurn]:
    """The turns sent for `history`, a question's images as image parts after its text (their
    bytes from `image_data`). An answer's calls go with it only where tool messages answer
    them: the API refuses calls left unanswered (a new question asked instead)."""
    answered = {m.tool_call_id for m in history if m.role is Role.TOOL}
    turns = []
    for m in history:
        if m.images:
            turns.append(ChatTurn(str(m.role), _parts(m, image_data)))
            continue
        if m.role is Role.TOOL:
            turns.append(replace(ChatTurn.of("tool", m.content), tool_call_id=m.tool_call_id or ""))
            continue
        calls = tuple(c for c in m.tool_calls if c.id in answered)
        if calls:
            turns.append(replace(ChatTurn.of(str(m.role), m.content), tool_calls=calls))
        elif m.content:
            turns.append(ChatTurn.of(str(m.role), m.content))
    return turns


def tool_rounds(history: Sequence[Message]) -> int:
    """How many answers since the last question called tools (and were answered)."""
    rounds = 0
    for m in reversed(history):
        if m.role is Role.USER:
            break
        if m.role is Role.ASSISTANT and m.tool_calls:
            rounds += 1
    return rounds


def _parts(message: Message, image_data: Callable[[str], bytes | None]) -> tuple[ContentPart, ...]:
    parts: list[ContentPart] = [TextPart(message.content)] if message.content else []
    for image in message.images:
        data = image_data(image.digest)
        if data is not None:  # an asset lost to a damaged store: the text still goes
            parts.append(ImagePart(data=data, mime=image.mime, detail=image.detail))
    return tuple(parts)
