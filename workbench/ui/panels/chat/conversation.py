"""The scrolling list of message cards for one path through the session's tree.

Only the newest messages get widgets at first; older ones are built when the user scrolls up,
so a 400-message session paints as fast as a short one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from workbench.core.sessions import Message
from workbench.core.tree import Position
from workbench.ui.panels.chat.message_card import MessageCard

FIRST_PAGE = 30  # cards built when a session opens
PAGE = 30  # more cards each time the user reaches the top


class ConversationView(QScrollArea):
    card_created = Signal(object)  # MessageCard, so the panel can connect its signals

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setWidgetResizable(True)
        # Cards wrap to the width; a sideways scrollbar would hide their buttons.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget(self)
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self._layout.setSpacing(8)
        self._earlier = QPushButton("Show earlier messages", self._content)
        self._earlier.setObjectName("show_earlier")
        self._earlier.setFlat(True)
        self._earlier.clicked.connect(self.show_earlier)
        self._layout.addWidget(self._earlier)
        self._empty = QLabel(self._content, objectName="empty_hint")
        self._empty.setWordWrap(True)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self.cards: dict[int, MessageCard] = {}
        self._pending: list[tuple[Message, Position]] = []  # older messages without widgets
        self._follow = True  # keep the newest text in view while it streams
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

    # --- content -------------------------------------------------------------------------------
    def show_path(
        self, messages: Sequence[Message], position: Callable[[int], Position], empty_text: str
    ) -> None:
        self.clear()
        self._empty.setText(empty_text)
        self._empty.setVisible(not messages)
        items = [(m, position(m.id)) for m in messages]
        self._pending = items[:-FIRST_PAGE] if len(items) > FIRST_PAGE else []
        for message, pos in items[len(self._pending) :]:
            self._insert(message, pos, at_end=True)
        self._update_earlier()
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)

    def clear(self) -> None:
        for card in self.cards.values():
            card.setParent(None)
            card.deleteLater()
        self.cards.clear()
        self._pending = []
        self._empty.hide()

    def append(self, message: Message, position: Position) -> MessageCard:
        self._empty.hide()
        self._follow = True
        return self._insert(message, position, at_end=True)

    def show_earlier(self) -> None:
        if not self._pending:
            return
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        batch, self._pending = self._pending[-PAGE:], self._pending[:-PAGE]
        for message, pos in reversed(batch):
            self._insert(message, pos, at_end=False)
        self._update_earlier()
        # Keep what the user was looking at in place while older cards appear above it.
        self._content.adjustSize()
        bar.setValue(bar.maximum() - from_bottom)

    def ensure_built(self, message_id: int) -> MessageCard | None:
        while message_id not in self.cards and self._pending:
            self.show_earlier()
        return self.cards.get(message_id)

    def scroll_to(self, message_id: int) -> None:
        card = self.ensure_built(message_id)
        if card is not None:
            self._follow = False
            card.setStyleSheet(
                f"QFrame#{card.objectName()} {{ border: 2px solid palette(highlight); }}"
            )
            QTimer.singleShot(0, card, lambda: self.ensureWidgetVisible(card, 0, 40))
            QTimer.singleShot(2500, card, lambda: card.setStyleSheet(""))

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _insert(self, message: Message, pos: Position, at_end: bool) -> MessageCard:
        card = MessageCard(message, pos, self._content)
        # The layout is [earlier button, empty hint, cards…, stretch].
        index = self._layout.count() - 1 if at_end else 2
        self._layout.insertWidget(index, card)
        self.cards[message.id] = card
        card.body.updated.connect(self._content_grew)
        self.card_created.emit(card)
        return card

    def _update_earlier(self) -> None:
        count = len(self._pending)
        self._earlier.setVisible(count > 0)
        self._earlier.setText(f"Show {min(count, PAGE)} earlier messages ({count} hidden)")

    # --- following the stream ------------------------------------------------------------------
    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4
        if value == bar.minimum() and self._pending and bar.maximum() > 0:
            QTimer.singleShot(0, self.show_earlier)

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def _content_grew(self) -> None:
        if self._follow:
            self.scroll_to_bottom()
