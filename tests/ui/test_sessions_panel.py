"""Sessions panel: new, rename, delete with undo, and search that lands on messages."""

from __future__ import annotations

from PySide6.QtCore import Qt

from workbench.app.context import AppContext
from workbench.core.sessions import Role
from workbench.ui.panels.sessions import MESSAGE_ROLE, SEARCH_DELAY_MS, SessionsPanel
from workbench.ui.widgets.html_delegate import HTML_ROLE


def _panel(ctx: AppContext, qtbot) -> SessionsPanel:
    panel = SessionsPanel(ctx.store.sessions, ctx.bus, ctx.undo)
    qtbot.addWidget(panel)
    panel.show()
    panel.activateWindow()
    qtbot.waitActive(panel)  # shortcuts only fire in the active window
    return panel


def _titles(panel: SessionsPanel) -> list[str]:
    return [panel.list.item(i).text() for i in range(panel.list.count())]


def test_empty_state_then_new_session_is_listed_and_opened(ctx: AppContext, qtbot) -> None:
    panel = _panel(ctx, qtbot)
    assert panel.empty_hint.isVisible() and "Ctrl+N" in panel.empty_hint.text()
    with qtbot.waitSignal(ctx.bus.session_opened):
        qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    assert _titles(panel) == ["New session"]
    assert not panel.empty_hint.isVisible()


def test_rename_inline_then_undo_and_redo(ctx: AppContext, qtbot) -> None:
    session = ctx.store.sessions.create("Draft")
    panel = _panel(ctx, qtbot)
    panel.select_session(session)
    panel.list.currentItem().setText("Poems about tea")  # what the inline editor commits
    assert ctx.store.sessions.get(session).title == "Poems about tea"
    assert _titles(panel) == ["Poems about tea"]
    ctx.undo.undo()
    assert ctx.store.sessions.get(session).title == "Draft"
    ctx.undo.redo()
    assert _titles(panel) == ["Poems about tea"]


def test_delete_key_removes_and_undo_brings_it_back_with_messages(ctx: AppContext, qtbot) -> None:
    keep = ctx.store.sessions.create("Keep")
    doomed = ctx.store.sessions.create("Doomed")
    ctx.store.conversation.add(doomed, Role.USER, "precious words", None)
    panel = _panel(ctx, qtbot)
    panel.select_session(doomed)
    panel.list.setFocus()
    qtbot.waitUntil(panel.list.hasFocus)
    with qtbot.waitSignal(panel.status_message) as said:
        qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert "Undo" in said.args[0]
    assert _titles(panel) == ["Keep"]
    ctx.undo.undo()
    assert set(_titles(panel)) == {"Keep", "Doomed"}
    assert panel.current_session_id() == doomed
    assert [m.content for m in ctx.store.conversation.visible(doomed)] == ["precious words"]
    assert keep in {s.id for s in ctx.store.sessions.list()}


def test_search_shows_matching_messages_with_the_words_marked(ctx: AppContext, qtbot) -> None:
    tea = ctx.store.sessions.create("Tea")
    ctx.store.conversation.add(tea, Role.USER, "How long should green tea steep?", None)
    reply = ctx.store.conversation.add(tea, Role.ASSISTANT, "About two minutes for sencha.", None)
    ctx.store.sessions.create("Coffee")
    panel = _panel(ctx, qtbot)
    qtbot.keyClicks(panel.search, "sench")
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=SEARCH_DELAY_MS * 20)
    hit = panel.list.item(0)
    assert hit.data(MESSAGE_ROLE) == reply
    assert "<b>sencha</b>" in hit.data(HTML_ROLE)
    with qtbot.waitSignal(ctx.bus.message_requested) as opened:
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert opened.args == [tea, reply]  # the chat opens the session at that message
    panel.search.clear()
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=SEARCH_DELAY_MS * 20)


def test_search_with_no_match_says_so(ctx: AppContext, qtbot) -> None:
    ctx.store.sessions.create("Tea")
    panel = _panel(ctx, qtbot)
    panel.search.setText("xylophone")
    qtbot.waitUntil(lambda: "xylophone" in panel.empty_hint.text(), timeout=2000)
    assert panel.list.count() == 0
