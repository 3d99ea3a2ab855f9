"""The message tree: edits and regenerations are siblings; the view shows one path through it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workbench.core.sessions import Message


@dataclass(frozen=True, slots=True)
class Position:
    """Where a message sits among its siblings, for the "2/3" control."""

    index: int  # 0-based
    count: int
    previous_id: int | None
    next_id: int | None


class MessageTree:
    def __init__(self, messages: Iterable[Message]) -> None:
        self.by_id: dict[int, Message] = {}
        self.children: dict[int | None, list[int]] = {}
        for message in sorted(messages, key=lambda m: m.id):
            self.by_id[message.id] = message
            self.children.setdefault(message.parent_id, []).append(message.id)

    def __len__(self) -> int:
        return len(self.by_id)

    def with_message(self, message: Message) -> MessageTree:
        """The same tree with `message` (already in it) as stored now: its text or status."""
        return MessageTree({**self.by_id, message.id: message}.values())

    def latest_leaf(self, start: int | None = None) -> int | None:
        """Follow the newest child from `start` (or the newest root) down to a leaf."""
        node = start
        if node is None:
            roots = self.children.get(None)
            if not roots:
                return None
            node = roots[-1]
        while self.children.get(node):
            node = self.children[node][-1]
        return node

    def path_to(self, leaf: int | None) -> list[Message]:
        """Root-to-leaf messages; an unknown leaf gives the newest path."""
        if leaf not in self.by_id:
            leaf = self.latest_leaf()
        path: list[Message] = []
        node = leaf
        while node is not None:
            message = self.by_id[node]
            path.append(message)
            node = message.parent_id
        path.reverse()
        return path

    def position(self, message_id: int) -> Position:
        siblings = self.children.get(self.by_id[message_id].parent_id, [message_id])
        i = siblings.index(message_id)
        return Position(
            index=i,
            count=len(siblings),
            previous_id=siblings[i - 1] if i > 0 else None,
            next_id=siblings[i + 1] if i + 1 < len(siblings) else None,
        )

    def subtree(self, message_id: int) -> list[int]:
        """The message and everything below it."""
        out, stack = [], [message_id]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(self.children.get(node, ()))
        return out


def history_before(path: Sequence[Message], message_id: int) -> list[Message]:
    """The messages above `message_id` on a path (what a regenerate sends)."""
    for i, message in enumerate(path):
        if message.id == message_id:
            return list(path[:i])
    raise KeyError(message_id)
