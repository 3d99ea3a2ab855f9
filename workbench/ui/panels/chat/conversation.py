"""The scrolling list of message cards for one path through the session's tree.

Only the newest messages get widgets at first; older ones are built when the user scrolls up,
so a 400-message session paints as fast as a short one. They are built a few at a time, between
frames, while the user nears the top, and the card on top of the screen stays where it is while
they appear above it, so the scroll neither stalls nor jumps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from workbench.core.sessions import Message
from workbench.core.tree import Position
from workbench.ui.panels.chat.message_card import MessageCard

FIRST_PAGE = 30  # cards built when a session opens
PAGE = 30  # cards built at once by "Show earlier messages"
PREFETCH_SCREENS = 2  # older cards are built while the top is less than this many screens away
BUILD_BUDGET_S = 0.006  # building per event-loop turn: a card costs ~3 ms, a frame is 16 ms
REVEAL_MARGIN = 40  # px above a message scrolled to (a search hit)


# Below this width the cards' actions show as symbols: their words need about 400 px.
COMPACT_BELOW_PX = 480
# The narrowest a card's actions fit as symbols (about 256 px), with the margins and scrollbar:
# the chat may be this narrow, no narrower (its composer's context line is cut first).
NARROWEST_PX = 300


class ConversationView(QScrollArea):
    card_created = Signal(object)  # MessageCard, so the panel can connect its signals

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        # Where a message's images are read from (the store's assets), set by the chat.
        self.image_data: Callable[[str], bytes | None] = lambda _digest: None
        self.setWidgetResizable(True)
        # Cards wrap to the width; a sideways scrollbar would hide their buttons.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(NARROWEST_PX)
        self._content = QWidget(self)
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self._layout.setSpacing(8)
        self._earlier = QPushButton("Show earlier messages", self._content)
        self._earlier.setObjectName("show_earlier")
        self._earlier.setFlat(True)
        self._earlier.clicked.connect(self.show_earlier)
        self._layout.addWidget(self._earlier)
        # What shows while there is no message: the hint, or the first-run welcome instead.
        self._empty_state = QWidget(self._content, objectName="empty_state")
        empty_layout = QVBoxLayout(self._empty_state)
        empty_layout.setContentsMargins(0, 0, 0, 0)
        self._empty = QLabel(self._empty_state, objectName="empty_hint")
        self._empty.setWordWrap(True)
        empty_layout.addWidget(self._empty)
        self._welcome: QWidget | None = None
        self._layout.addWidget(self._empty_state)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self.cards: dict[int, MessageCard] = {}
        self._pending: list[tuple[Message, Position]] = []  # older messages without widgets
        self._follow = True  # keep the newest text in view while it streams
        # The card on top of the screen keeps its place there while cards above it are built or
        # change height: (card, scroll value minus its y). Each scroll by the user picks anew.
        self._anchor: tuple[MessageCard, int] | None = None
        self._anchoring = False
        self._build_queued = False
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

    # --- content -------------------------------------------------------------------------------
    def show_path(
        self, messages: Sequence[Message], position: Callable[[int], Position], empty_text: str
    ) -> None:
        self.clear()
        self._empty.setText(empty_text)
        self._empty_state.setVisible(not messages)
        items = [(m, position(m.id)) for m in messages]
        self._pending = items[:-FIRST_PAGE] if len(items) > FIRST_PAGE else []
        for message, pos in items[len(self._pending) :]:
            self._insert(message, pos, at_end=True)
        self._update_earlier()
        self._follow = True
        QTimer.singleShot(0, self, self._to_bottom_if_following)

    def set_welcome(self, welcome: QWidget) -> None:
        """A widget the empty state shows in place of its hint while `show_welcome` says so."""
        self._welcome = welcome
        welcome.setParent(self._empty_state)
        self._empty_state.layout().addWidget(welcome)

    def show_welcome(self, shown: bool) -> None:
        if self._welcome is not None:
            self._welcome.setVisible(shown)
            self._empty.setVisible(not shown)

    def clear(self) -> None:
        self._pin(None)
        for card in self.cards.values():
            card.setParent(None)
            card.deleteLater()
        self.cards.clear()
        self._pending = []
        self._empty_state.hide()

    def append(self, message: Message, position: Position) -> MessageCard:
        self._empty_state.hide()
        self._follow = True
        return self._insert(message, position, at_end=True)

    def show_earlier(self) -> None:
        if not self._pending:
            return
        self._build_older(count=PAGE)

    def _build_older(self, count: int = 0, budget_s: float = 0.0) -> None:
        """Builds `count` older cards, or as many as fit in `budget_s`, above the others."""
        # Keep what the user is looking at in place while older cards appear above it. They
        # reach their height over a few layout passes, so it is re-applied as the card moves.
        if not self._follow and self._anchor is None:
            self._pin(self._top_card())
        started, built = time.perf_counter(), 0
        while self._pending and (
            built < count if count else time.perf_counter() - started < budget_s
        ):
            message, pos = self._pending.pop()
            self._insert(message, pos, at_end=False)
            built += 1
        self._update_earlier()

    def _prefetch(self) -> None:
        """One slice of older cards per event-loop turn while the top is near."""
        self._build_queued = False
        if self._pending and self._near_top():
            self._build_older(budget_s=BUILD_BUDGET_S)
            self._schedule_prefetch()

    def _schedule_prefetch(self) -> None:
        if self._pending and not self._build_queued and self._near_top():
            self._build_queued = True
            QTimer.singleShot(0, self, self._prefetch)

    def _near_top(self) -> bool:
        bar = self.verticalScrollBar()
        if bar.maximum() <= 0:  # nothing to scroll (yet): the button is there if wanted
            return False
        return bar.value() - bar.minimum() < PREFETCH_SCREENS * self.viewport().height()

    def ensure_built(self, message_id: int) -> MessageCard | None:
        while message_id not in self.cards and self._pending:
            self.show_earlier()
        return self.cards.get(message_id)

    def scroll_to(self, message_id: int) -> None:
        """Shows the message near the top of the screen, and keeps it there while the cards
        around it are laid out (a session just opened has no geometry yet), until the user
        scrolls."""
        card = self.ensure_built(message_id)
        if card is not None:
            self._follow = False
            card.setStyleSheet(
                f"QFrame#{card.objectName()} {{ border: 2px solid palette(highlight); }}"
            )
            self._pin(card, offset=-REVEAL_MARGIN)
            self._keep_anchor()
            QTimer.singleShot(2500, card, lambda: card.setStyleSheet(""))

    def _to_bottom_if_following(self) -> None:
        if self._follow:  # not when a search hit was scrolled to meanwhile
            self.scroll_to_bottom()

    def _compact(self) -> bool:
        return self.viewport().width() < COMPACT_BELOW_PX

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        compact = self._compact()
        for card in self.cards.values():
            card.set_compact(compact)

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _insert(self, message: Message, pos: Position, at_end: bool) -> MessageCard:
        card = MessageCard(message, pos, self._content)
        if message.images:
            card.show_images(message.images, self.image_data)
        # The layout is [earlier button, empty hint, cards…, stretch].
        index = self._layout.count() - 1 if at_end else 2
        self._layout.insertWidget(index, card)
        self.cards[message.id] = card
        card.set_compact(self._compact())
        card.body.updated.connect(self._content_grew)
        self.card_created.emit(card)
        return card

    def _update_earlier(self) -> None:
        count = len(self._pending)
        self._earlier.setVisible(count > 0)
        self._earlier.setText(f"Show {min(count, PAGE)} earlier messages ({count} hidden)")

    def _top_card(self) -> MessageCard | None:
        """The first card that reaches into the screen (cards are in order of their y)."""
        value = self.verticalScrollBar().value()
        low, high = 2, self._layout.count() - 1  # [earlier button, empty hint, cards…, stretch]
        while low < high:
            middle = (low + high) // 2
            if self._layout.itemAt(middle).widget().geometry().bottom() < value:
                low = middle + 1
            else:
                high = middle
        card = self._layout.itemAt(low).widget()
        return card if isinstance(card, MessageCard) else None

    def _pin(self, card: MessageCard | None, offset: int | None = None) -> None:
        """Keeps `card` where it is on screen (or `offset` px below the top when given)."""
        if self._anchor is not None:
            self._anchor[0].removeEventFilter(self)
        self._anchor = None
        if card is not None:
            if offset is None:
                offset = self.verticalScrollBar().value() - card.y()
            self._anchor = (card, offset)
            card.installEventFilter(self)

    def _keep_anchor(self) -> None:
        if self._anchor is not None:
            card, offset = self._anchor
            self._anchoring = True
            try:
                self.verticalScrollBar().setValue(card.y() + offset)
            finally:
                self._anchoring = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        moved = event.type() == QEvent.Type.Move
        if moved and not self._follow and self._anchor and watched is self._anchor[0]:
            self._keep_anchor()
        return super().eventFilter(watched, event)

    # --- following the stream ------------------------------------------------------------------
    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        if not self._anchoring:  # the user scrolled: what is on top of the screen now stays
            self._follow = value >= bar.maximum() - 4
            self._pin(None if self._follow else self._top_card())
        self._schedule_prefetch()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
        else:
            self._keep_anchor()

    def _content_grew(self) -> None:
        if self._follow:
            self.scroll_to_bottom()
