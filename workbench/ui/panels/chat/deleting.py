"""Deleting a message and everything under it, undoably (Edit ▸ Undo brings it back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from workbench.ui.panels.chat.texts import READ_ONLY_TEXT

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel


class DeleteMessages(QUndoCommand):
    def __init__(self, panel: ChatPanel, ids: list[int], leaf_after: int | None) -> None:
        super().__init__(f"Delete {len(ids)} message" + ("s" if len(ids) > 1 else ""))
        self.panel, self.ids, self.leaf_after = panel, ids, leaf_after
        self.session_id = panel.session_id
        self.leaf_before = panel.leaf_id

    def redo(self) -> None:
        self.panel.deps.store.conversation.hide(self.ids)
        self.panel.reopen(self.session_id, self.leaf_after)

    def undo(self) -> None:
        self.panel.deps.store.conversation.unhide(self.ids)
        self.panel.reopen(self.session_id, self.leaf_before)


def delete_subtree(panel: ChatPanel, message_id: int) -> None:
    """Hide `message_id` and its replies (answers being written stop, keeping what arrived);
    the chat then shows the next branch beside it, or the message above."""
    tree = panel.tree
    message = tree.by_id.get(message_id)
    if message is None:
        return
    if panel.deps.store.read_only:
        panel.status_message.emit(f"Not deleted. {READ_ONLY_TEXT}")
        return
    ids = tree.subtree(message_id)
    for doomed in ids:
        panel.streams.stop_message(doomed)
    siblings = [s for s in tree.children.get(message.parent_id, []) if s != message_id]
    after = tree.latest_leaf(siblings[-1]) if siblings else message.parent_id
    panel.deps.undo.push(DeleteMessages(panel, ids, after))
    panel.status_message.emit("Deleted. Edit ▸ Undo (Ctrl+Z) brings it back.")
