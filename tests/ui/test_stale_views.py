"""What the window shows follows what the user opened: the title, the sessions list, Token
Confidence, and the session that is deleted or brought back (issue 14, item 10)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.app.main_window import MainWindow
from workbench.core.runs import RunParams
from workbench.core.sessions import MessageStatus, Role
from workbench.ui.panels.sessions import SEARCH_DELAY_MS


def _session(ctx: AppContext, title: str, question: str, answer: str) -> tuple[int, int]:
    conversation = ctx.store.conversation
    session = ctx.store.sessions.create(title)
    asked = conversation.add(session, Role.USER, question, None)
    answered = conversation.add(session, Role.ASSISTANT, answer, asked, MessageStatus.COMPLETE)
    return session, answered


def _heatmap_shows(window: MainWindow) -> int | None:
    return window.panel("heatmap").message_id


def test_a_search_hit_in_another_session_retitles_reselects_and_moves_token_confidence(
    ctx, qtbot
) -> None:
    trip, trip_answer = _session(ctx, "Trip", "Where to?", "Go to Lyon by train.")
    poems, poems_answer = _session(ctx, "Poems", "A haiku?", "Old pond, a frog.")
    window = open_window(ctx, qtbot)
    window.docks["heatmap"].show()
    ctx.bus.session_opened.emit(poems)
    ctx.bus.answer_selected.emit(poems_answer)  # the user clicked the haiku
    assert window.windowTitle() == "Poems — Workbench"
    assert _heatmap_shows(window) == poems_answer

    sessions = window.panel("sessions")
    sessions.search.setFocus()
    qtbot.keyClicks(sessions.search, "Lyon")
    qtbot.wait(SEARCH_DELAY_MS + 50)
    qtbot.keyClick(sessions.search, Qt.Key.Key_Return)  # opens the first hit

    assert window.chat.session_id == trip
    assert window.windowTitle() == "Trip — Workbench"
    assert _heatmap_shows(window) == trip_answer  # not the haiku of the other session
    sessions.search.clear()
    qtbot.wait(SEARCH_DELAY_MS + 50)
    assert sessions.current_session_id() == trip


def test_switching_branch_moves_token_confidence_to_the_branch_shown(ctx, qtbot) -> None:
    session, first = _session(ctx, "Sky", "Colour of the sky?", "Blue.")
    question = ctx.store.conversation.get(first).parent_id
    second = ctx.store.conversation.add(
        session, Role.ASSISTANT, "Grey.", question, MessageStatus.COMPLETE
    )
    window = open_window(ctx, qtbot)
    window.docks["heatmap"].show()
    ctx.bus.session_opened.emit(session)
    ctx.bus.answer_selected.emit(second)
    window.chat.show_sibling(first)  # the ‹ arrow on the answer card
    assert window.chat.path[-1].id == first
    assert _heatmap_shows(window) == first


def test_deleting_the_open_session_opens_its_neighbour_and_undo_reopens_it(ctx, qtbot) -> None:
    keep, _ = _session(ctx, "Keep", "One?", "One.")
    doomed, _ = _session(ctx, "Doomed", "Two?", "Two.")
    window = open_window(ctx, qtbot)
    ctx.bus.session_opened.emit(doomed)
    sessions = window.panel("sessions")
    window.activateWindow()
    qtbot.waitActive(window)
    sessions.list.setFocus()
    qtbot.waitUntil(sessions.list.hasFocus)
    qtbot.keyClick(sessions.list, Qt.Key.Key_Delete)

    assert ctx.store.sessions.get(doomed) is None
    assert window.chat.session_id == keep and window.chat.path  # not a blank chat
    assert window.windowTitle() == "Keep — Workbench"
    assert sessions.current_session_id() == keep

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit ▸ Undo
    assert window.chat.session_id == doomed
    assert [m.content for m in window.chat.path] == ["Two?", "Two."]
    assert window.windowTitle() == "Doomed — Workbench"
    assert sessions.current_session_id() == doomed
    assert window.statusBar().currentMessage() == "“Doomed” is back."
    row = sessions.list.currentRow()
    here = sessions.list.visualItemRect(sessions.list.item(row))
    below = sessions.list.visualItemRect(sessions.list.item(row + 1))
    assert not here.intersects(below)  # the restored row's highlight stays in its row


def test_send_to_chat_from_compare_retitles_and_reselects(ctx, server, qtbot) -> None:
    from tests.support.fixtures import use_scripted_endpoint
    from tests.support.scripted_server import Stream

    endpoint = use_scripted_endpoint(ctx, server)
    other, _ = _session(ctx, "Other", "Hi?", "Hi.")
    window = open_window(ctx, qtbot)
    ctx.bus.session_opened.emit(other)
    window.docks["compare"].show()
    compare = window.panel("compare")
    compare.with_history.setChecked(False)  # a fresh comparison: sending starts a session
    for column in compare.columns:
        column.endpoint.setCurrentIndex(column.endpoint.findData(endpoint.id))
        column.set_parameters(RunParams(model="gpt-4o"), "")
    server.script("chat", Stream(text="Hello."), Stream(text="Hello there."))
    compare.prompt.setPlainText("Greet me")
    qtbot.mouseClick(compare.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: compare.comparison is not None and not compare.running, timeout=15_000)
    before = {s.id for s in ctx.store.sessions.list()}
    compare.columns[1].send_button.click()

    (new,) = [s for s in ctx.store.sessions.list() if s.id not in before]
    assert window.chat.session_id == new.id
    assert window.windowTitle() == f"{new.title} — Workbench"
    assert window.panel("sessions").current_session_id() == new.id


def test_session_rows_are_as_tall_as_their_wrapped_titles(ctx, qtbot) -> None:
    from PySide6.QtGui import QTextDocument

    from workbench.ui.widgets.html_delegate import HTML_ROLE

    long_title = "Planning a week-long cycling trip through the Loire valley with kids"
    _session(ctx, long_title, "Where?", "Tours.")
    _session(ctx, "Haiku", "A haiku?", "Old pond.")
    window = open_window(ctx, qtbot)
    rows = window.panel("sessions").list

    def gaps() -> list[float]:
        found = []
        for i in range(rows.count()):
            shown = rows.visualItemRect(rows.item(i))
            # The row's text laid out at the width it is painted at: no gap, nothing cut.
            doc = QTextDocument()
            doc.setDefaultFont(rows.font())
            doc.setDocumentMargin(4)
            doc.setHtml(rows.item(i).data(HTML_ROLE))
            doc.setTextWidth(shown.width())
            found.append(abs(shown.height() - doc.size().height()))
        return found

    qtbot.waitUntil(lambda: max(gaps()) <= 1, timeout=2000)  # once the dock has its width


def test_the_sessions_list_counts_a_question_while_its_answer_streams(ctx, server, qtbot) -> None:
    from tests.support.driving import start_sending
    from tests.support.fixtures import use_scripted_endpoint
    from tests.support.scripted_server import Stream

    use_scripted_endpoint(ctx, server)
    window = open_window(ctx, qtbot)
    window.chat.params.model.setCurrentText("gpt-4o")
    server.script("chat", Stream(text="word " * 400, delay=0.01))  # a few seconds long
    start_sending(qtbot, window, "Tell me a long story.")
    sessions = window.panel("sessions")
    qtbot.waitUntil(lambda: window.chat.streams.busy, timeout=5_000)
    row = sessions.list.item(0)
    assert "2 messages" in row.toolTip(), row.toolTip()  # was "0 messages" until the end
    assert window.chat.streams.busy
