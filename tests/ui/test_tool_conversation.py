"""Tool conversations in the chat on the scripted server, replaying OpenAI's recorded streams:
the calls shown as they were made and checked against their functions, answered with saved mock
results (or by hand), and the conversation going on by itself, each round stored as its own run."""

from __future__ import annotations

import json
from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut

from tests.support.driving import inspector_text, open_inspector, type_and_send
from tests.support.fixtures import open_window, use_scripted_endpoint
from tests.support.openapi import assert_valid
from tests.support.scripted_server import Stream
from workbench.core.sessions import MessageStatus, Role
from workbench.core.tools import FunctionTool, MockResult, ToolSet

PARALLEL_CALLS = "f82268f2fefd5cfb"  # GetWeatherArgs(Edinburgh, GB, c) and get_stock_price(AAPL)
ONE_CALL = "2018feb66ae13fcf"  # get_weather(New York City)
OTHER_CALL = "a247c49c5fcd492b"  # get_weather(San Francisco, CA)
FINAL = "Edinburgh is 9 degrees and AAPL trades at 227.5."


def _object(properties: dict, required: list[str] | None = None) -> str:
    schema = {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }
    return json.dumps(schema)


WEATHER = FunctionTool(
    "GetWeatherArgs",
    "Current weather in a city",
    _object(
        {
            "city": {"type": "string"},
            "country": {"type": "string"},
            "units": {"type": "string", "enum": ["c", "f"]},
        }
    ),
)
STOCK = FunctionTool(
    "get_stock_price",
    "Latest price of a stock",
    _object({"ticker": {"type": "string"}, "exchange": {"type": "string"}}),
)
MOCKS = (
    MockResult("GetWeatherArgs", '{"temperature": 9}', '{"city": "Edinburgh"}'),
    MockResult("GetWeatherArgs", '{"temperature": 20}'),  # any other city
    MockResult("get_stock_price", '{"price": 227.5}'),
)


def _chat_requests(server) -> list[dict]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


def _path(window):
    chat = window.chat
    return [m for m in chat.path]


def _last_answer_is(window, text: str) -> bool:
    path = _path(window)
    return bool(path) and path[-1].content == text and path[-1].status is MessageStatus.COMPLETE


def test_parallel_calls_answered_with_mocks_go_on_to_the_answer(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    tools = ToolSet("weather", (WEATHER, STOCK), mocks=MOCKS)
    ctx.bus.tools_chosen.emit(tools.to_json())
    assert "weather · 2 functions · auto" in window.chat.params.tools.label.text()
    server.script("chat", Stream(recording=PARALLEL_CALLS), Stream(text=FINAL))

    type_and_send(qtbot, window, "Weather in Edinburgh, and Apple's share price?")
    qtbot.waitUntil(lambda: _last_answer_is(window, FINAL), timeout=10_000)

    first, second = _chat_requests(server)
    for body in (first, second):
        assert_valid("CreateChatCompletionRequest", body)
    assert [t["function"]["name"] for t in first["tools"]] == ["GetWeatherArgs", "get_stock_price"]
    assert first["tool_choice"] == "auto" and first["parallel_tool_calls"] is True
    # The second round carries both calls and, after them, each call's mock result.
    messages = second["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool"]
    calls = messages[1]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["GetWeatherArgs", "get_stock_price"]
    assert json.loads(calls[0]["function"]["arguments"]) == {
        "city": "Edinburgh",
        "country": "GB",
        "units": "c",
    }
    assert [(m["tool_call_id"], m["content"]) for m in messages[2:]] == [
        (calls[0]["id"], '{"temperature": 9}'),
        (calls[1]["id"], '{"price": 227.5}'),
    ]

    # What is kept: every round an answer with its own run, each result a tool message.
    path = _path(window)
    assert [m.role for m in path] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.TOOL,
        Role.ASSISTANT,
    ]
    rounds = [m for m in path if m.role is Role.ASSISTANT]
    assert [len(m.tool_calls) for m in rounds] == [2, 0]
    assert all(m.run_id is not None for m in rounds)
    assert len({m.run_id for m in rounds}) == 2
    stored = ctx.store.runs.get(rounds[0].run_id)
    assert stored is not None and stored.finish_reason == "tool_calls"
    assert stored.timings.first_token_s is not None  # the first call's name is the first token

    # What is seen: both calls, assembled and checked; the results under them.
    card = window.chat.view.cards[rounds[0].id]
    views = card.tool_calls.views()
    assert [v.title.text() for v in views] == [
        "Calls <code>GetWeatherArgs</code>",
        "Calls <code>get_stock_price</code>",
    ]
    assert '"city": "Edinburgh"' in views[0].arguments.text()
    assert all(v.verdict.isVisible() and v.verdict.text().startswith("✓") for v in views)
    assert not card.tool_calls.form.isVisible()  # answered: nothing asked any more
    assert not card.body.isVisibleTo(card)  # no text: no empty box above the calls
    result_card = window.chat.view.cards[path[2].id]
    assert result_card.who.text() == "<b>Tool result</b>"
    assert '"temperature": 9' in result_card.body.text()

    # The inspector shows each round's request: the first with the functions offered, the
    # second with the calls and their results.
    inspector = open_inspector(ctx, qtbot)
    qtbot.mouseClick(card.body.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: '"GetWeatherArgs"' in inspector.request.toPlainText())
    assert '"tool_call_id"' not in inspector.request.toPlainText()
    assert "complete (tool_calls)" in inspector_text(inspector)
    last = window.chat.view.cards[path[-1].id]
    qtbot.mouseClick(last.body.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: '"tool_call_id"' in inspector.request.toPlainText())
    assert "complete (stop)" in inspector_text(inspector)


def test_calls_without_a_mock_wait_for_results_written_by_hand(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    stock_mock = (MockResult("get_stock_price", '{"price": 227.5}'),)
    ctx.bus.tools_chosen.emit(ToolSet("weather", (WEATHER, STOCK), mocks=stock_mock).to_json())
    server.script("chat", Stream(recording=PARALLEL_CALLS), Stream(text=FINAL))

    type_and_send(qtbot, window, "Weather in Edinburgh, and Apple's share price?")
    form = None

    def asked() -> bool:
        nonlocal form
        path = _path(window)
        card = window.chat.view.cards.get(path[-1].id) if path else None
        form = card.tool_calls.form if card is not None else None
        return form is not None and form.isVisible() and len(form.boxes()) == 2

    qtbot.waitUntil(asked, timeout=10_000)
    assert len(_chat_requests(server)) == 1  # nothing sent until the results are
    weather_box, stock_box = form.boxes()
    assert weather_box.toPlainText() == ""  # no mock for it: the user writes it
    assert stock_box.toPlainText() == '{"price": 227.5}'  # the saved mock, ready to send
    assert weather_box.hasFocus()

    qtbot.keyClick(weather_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Write what GetWeatherArgs returned first" in form.note.text()  # empty: refused
    assert len(_chat_requests(server)) == 1

    # Only the box's own Ctrl+Enter: the window keeps the composer's.
    contexts = {s.context() for s in form.findChildren(QShortcut)}
    assert contexts == {Qt.ShortcutContext.WidgetShortcut}
    qtbot.keyClicks(weather_box, "Rain, 7 degrees")
    qtbot.keyClick(weather_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _last_answer_is(window, FINAL), timeout=10_000)
    messages = _chat_requests(server)[1]["messages"]
    assert [m["content"] for m in messages if m["role"] == "tool"] == [
        "Rain, 7 degrees",
        '{"price": 227.5}',
    ]


def test_arguments_that_break_the_schema_are_said_and_not_answered_by_themselves(
    ctx, server, qtbot
) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    celsius = json.loads(WEATHER.parameters)
    celsius["properties"]["units"]["enum"] = ["celsius", "fahrenheit"]
    strict_units = FunctionTool(WEATHER.name, WEATHER.description, json.dumps(celsius))
    ctx.bus.tools_chosen.emit(ToolSet("weather", (strict_units, STOCK), mocks=MOCKS).to_json())
    server.script("chat", Stream(recording=PARALLEL_CALLS), Stream(text=FINAL))

    type_and_send(qtbot, window, "Weather in Edinburgh, and Apple's share price?")

    def card():
        path = _path(window)
        return window.chat.view.cards.get(path[-1].id) if path else None

    qtbot.waitUntil(lambda: card() is not None and card().tool_calls.form.isVisible())
    weather, stock = card().tool_calls.views()
    assert weather.problems.isVisible()
    assert "$.units: 'c' is not one of ['celsius', 'fahrenheit']" in weather.problems.text()
    assert stock.verdict.isVisible() and not stock.problems.isVisible()
    assert len(_chat_requests(server)) == 1  # the user decides whether to answer such a call


def test_the_conversation_stops_at_the_round_cap(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    places = json.dumps({"type": "object", "properties": {"city": {}, "state": {}}})
    weather = FunctionTool("get_weather", "", places, strict=False)
    mock = (MockResult("get_weather", '{"temperature": 4}'),)
    tools = ToolSet("loop", (weather,), choice="required", mocks=mock, max_rounds=2)
    ctx.bus.tools_chosen.emit(tools.to_json())
    # New York, then San Francisco: a new call each round, until the cap.
    server.script("chat", Stream(recording=ONE_CALL), Stream(recording=OTHER_CALL))

    type_and_send(qtbot, window, "Weather in New York?")
    qtbot.waitUntil(lambda: "Stopped after 2 rounds" in window.statusBar().currentMessage())
    bodies = _chat_requests(server)
    assert len(bodies) == 2
    # Forced only in the first round; then the model may answer in text.
    assert [b["tool_choice"] for b in bodies] == ["required", "auto"]
    path = _path(window)
    assert [m.role for m in path] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    form = window.chat.view.cards[path[-1].id].tool_calls.form
    assert form.isVisible() and "Stopped after 2 rounds" in form.note.text()
    assert form.boxes()[0].toPlainText() == '{"temperature": 4}'


def test_the_same_calls_again_stop_the_loop(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    weather = FunctionTool("get_weather", "", _object({"city": {"type": "string"}}))
    mock = (MockResult("get_weather", '{"temperature": 4}'),)
    ctx.bus.tools_chosen.emit(ToolSet("loop", (weather,), mocks=mock, max_rounds=9).to_json())
    server.script("chat", Stream(recording=ONE_CALL), Stream(recording=ONE_CALL))

    type_and_send(qtbot, window, "Weather in New York?")
    qtbot.waitUntil(lambda: "same calls" in window.statusBar().currentMessage())
    qtbot.wait(200)
    assert len(_chat_requests(server)) == 2  # the mock would only repeat itself
    path = _path(window)
    assert [m.role for m in path] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    form = window.chat.view.cards[path[-1].id].tool_calls.form
    assert form.isVisible() and "same calls" in form.note.text()

    # The user changes the result and sends it: the conversation goes on.
    server.script("chat", Stream(text="It is 5 degrees in New York."))
    box = form.boxes()[0]
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, '{"temperature": 5}')
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _last_answer_is(window, "It is 5 degrees in New York."))


def test_stop_ends_the_tool_loop(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    weather = FunctionTool("get_weather", "", _object({"city": {"type": "string"}}))
    mock = (MockResult("get_weather", '{"temperature": 4}'),)
    ctx.bus.tools_chosen.emit(ToolSet("loop", (weather,), mocks=mock, max_rounds=9).to_json())
    server.script(
        "chat", Stream(recording=ONE_CALL), Stream(recording=ONE_CALL, delay=0.3), Stream(text="x")
    )

    type_and_send(qtbot, window, "Weather in New York?")
    qtbot.waitUntil(lambda: len(_chat_requests(server)) == 2, timeout=10_000)
    qtbot.keyClick(window.chat.composer.editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.chat.streams.busy)
    qtbot.wait(300)
    assert len(_chat_requests(server)) == 2  # stopped: no further round
    assert _path(window)[-1].status is MessageStatus.STOPPED


def test_calls_appear_as_they_stream(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    ctx.bus.tools_chosen.emit(ToolSet("weather", (WEATHER, STOCK), mocks=MOCKS).to_json())
    server.script("chat", Stream(recording=PARALLEL_CALLS, delay=0.04), Stream(text=FINAL))
    editor = window.chat.composer.editor
    editor.setPlainText("Weather in Edinburgh, and Apple's share price?")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    seen: list[tuple[str, str]] = []

    def growing() -> bool:
        path = _path(window)
        card = window.chat.view.cards.get(path[-1].id) if path else None
        if card is None or not card.tool_calls.views():
            return False
        view = card.tool_calls.views()[0]
        seen.append((view.title.text(), view.arguments.text()))
        return len({arguments for _title, arguments in seen if arguments}) >= 3

    qtbot.waitUntil(growing, timeout=10_000)
    assert window.chat.streams.busy  # still streaming
    titles = {title for title, _arguments in seen}
    assert titles == {"Calls <code>GetWeatherArgs</code>"}  # the name came first
    arguments = [a for _t, a in seen if a]
    assert all(b.startswith(a) for a, b in pairwise(arguments))
    qtbot.waitUntil(lambda: _last_answer_is(window, FINAL), timeout=10_000)
