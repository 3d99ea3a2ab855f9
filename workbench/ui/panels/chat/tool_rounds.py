"""Tool conversations in the chat: an answer that calls functions gets their results (saved mocks
or what the user writes), and the conversation goes on by itself until the model answers in
text, the round cap is reached, or the user stops it (Esc).

Every round is an answer of its own in the store (with its run, so the inspector shows it), and
each result a tool message under it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from workbench.core.sessions import Message, MessageStatus, Role
from workbench.core.tools import ToolCall, ToolSet, call_problems, mock_for
from workbench.services.chat_service import tool_rounds
from workbench.services.store import StoreError
from workbench.ui.panels.chat.message_card import MessageCard

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel

WAITING = "The model called {what}. Write each result (or keep the saved mock) and send them."
REPEATED = (
    "The model made the same calls as in the round before, so the mocks would only repeat "
    "themselves: stopped here. Change a result and send it to go on."
)
CAPPED = (
    "Stopped after {rounds} rounds of tool calls (the tool set's cap). "
    "Send the results to let it go on."
)


def use_tools(panel: ChatPanel, tools_json: str) -> None:
    """The Tools panel's "Use in Chat" (or "" to stop offering tools)."""
    panel.params.tools.set_value(tools_json, announce=True)
    tools = panel.params.tools.toolset()
    if tools is None:
        panel.status_message.emit("The chat sends no tools from now on.")
    else:
        panel.status_message.emit(f"The chat offers {tools.summary()} from the next send on.")


def wire(panel: ChatPanel, card: MessageCard) -> None:
    """A card was built: results sent from it go to its answer; its calls are shown."""
    card.tool_calls.form.results_given.connect(
        lambda results, m=card.message.id: send_results(panel, m, results)
    )
    show_calls(panel, card, card.message)


def show_calls(
    panel: ChatPanel, card: MessageCard, message: Message, note: str | None = None
) -> None:
    """An answer's calls, each checked; when it is the last on the path and finished, its calls
    wait for results, and a box for each asks for them."""
    if message.role is not Role.ASSISTANT or not message.tool_calls:
        return
    tools = panel.params.tools.toolset()
    card.tool_calls.show_calls(message.tool_calls, tools)
    card.body.setVisible(bool(message.content))  # calls only: no empty box above them
    last = panel.path[-1].id if panel.path else None
    if message.id == last and message.status is MessageStatus.COMPLETE:
        _ask_for_results(panel, card, message, tools, note or _note(message))


def carry_on(panel: ChatPanel, message: Message) -> None:
    """An answer that called functions just finished: answer its calls with the saved mocks and
    go on by itself, or ask the user for the results."""
    tools = panel.params.tools.toolset()
    results = [(call, mock_for(call, tools)) for call in message.tool_calls]
    automatic = (
        tools is not None
        and tools.auto_answer
        and all(result is not None for _call, result in results)
        and all(not call_problems(call, tools) for call in message.tool_calls)
    )
    rounds = tool_rounds(panel.path)
    repeated = _repeats_last_round(panel.path, message)
    if automatic and tools is not None and rounds < tools.max_rounds and not repeated:
        send_results(panel, message.id, [(c, r) for c, r in results if r is not None])
        return
    if automatic and repeated:
        note = REPEATED
    else:
        note = CAPPED.format(rounds=rounds) if automatic else _note(message)
    panel.status_message.emit(note)
    card = panel.view.cards.get(message.id)
    if card is not None:
        show_calls(panel, card, message, note)
        boxes = card.tool_calls.form.boxes()
        if boxes:
            boxes[0].setFocus()


def _repeats_last_round(path: list[Message], message: Message) -> bool:
    """Whether `message` makes exactly the calls the round before it (since the question) made:
    the same mocks would answer them, and the model would only ask again."""
    if not path or path[-1].id != message.id:
        return False
    for earlier in reversed(path[:-1]):
        if earlier.role is Role.USER:
            return False
        if earlier.role is Role.ASSISTANT:
            return _calls_key(earlier) == _calls_key(message)
    return False


def _calls_key(message: Message) -> list[tuple[str, object]]:
    def arguments(text: str) -> object:
        try:
            return json.loads(text)
        except ValueError:
            return text

    return [(c.name, arguments(c.arguments)) for c in message.tool_calls]


def _ask_for_results(
    panel: ChatPanel, card: MessageCard, message: Message, tools: ToolSet | None, note: str
) -> None:
    if panel.deps.store.read_only:
        return
    prefilled = {c.id: r for c in message.tool_calls if (r := mock_for(c, tools)) is not None}
    card.tool_calls.form.ask(message.tool_calls, prefilled, note)


def _note(message: Message) -> str:
    names = sorted({c.name for c in message.tool_calls})
    what = " and ".join(f"“{n}”" for n in names)
    return WAITING.format(what=what)


def send_results(panel: ChatPanel, message_id: int, results: list[tuple[ToolCall, str]]) -> None:
    """The results go into the store as tool messages and the next round starts."""
    message = panel.tree.by_id.get(message_id)
    if message is None or panel.session_id is None:
        return
    if not panel.budget_allows_again():
        return  # nothing stored: the results stay in their boxes
    try:
        with panel.deps.store.failures():
            answer = panel.deps.chat.answer_calls(message, results)
    except StoreError as problem:
        panel.status_message.emit(f"Results not sent: {problem}")
        return
    panel.show_and_start(message.session_id, answer)
