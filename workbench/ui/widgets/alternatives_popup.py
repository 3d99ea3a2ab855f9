"""A token's top-k alternatives as bars, shown on hover over the token-heat view.

Painted by hand rather than built from child widgets, because it is refilled on every hover and
must be on screen within a frame. Pinned (the user clicked the token), its rows can be clicked to
fork the answer from an alternative token.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import QApplication, QFrame, QWidget

from workbench.core.logprobs import TokenInfo

BAR_WIDTH = 120
MARGIN = 6
HINT_UNPINNED = "Click the token to pin; then click an alternative to continue from it."
HINT_PINNED = "Click an alternative to continue the answer from it. Esc closes."
FORK_TOOLTIP = "Continue the answer from this token instead"
_SHOWN_WHITESPACE = str.maketrans({" ": "·", "\n": "↵", "\t": "→", "\r": "␍"})


def shown_token(token: str) -> str:
    """The token with its whitespace made visible, as the popup and the heat view show it."""
    return token.translate(_SHOWN_WHITESPACE) if token else "∅"


class AlternativesPopup(QFrame):
    """Rows of (alternative, probability bar, percent), the sampled token marked with ✓."""

    alternative_chosen = Signal(int, str)  # token index, alternative token
    dismissed = Signal()  # pinned, and the user clicked somewhere else than it or its anchor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("heatmap.alternatives")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFrameShape(QFrame.Shape.Box)
        self.setMouseTracking(True)
        self.token_index = -1
        self.painted_index = -1  # the token the last paint showed: how benchmarks see an update
        self.pinned = False
        self.info: TokenInfo | None = None
        self._rows: list[tuple[str, float, bool]] = []
        self._fork_enabled = True
        self._fork_reason = ""
        self._hover_row = -1
        self._anchor: QWidget | None = None

    # --- what it shows ---------------------------------------------------------------------
    def show_token(self, index: int, info: TokenInfo) -> None:
        self.token_index, self.info = index, info
        rows = [(token, prob, token == info.token) for token, prob in info.alternatives]
        if not any(chosen for _, _, chosen in rows):
            rows.insert(0, (info.token, info.prob, True))
        self._rows, self._hover_row = rows, -1
        self.resize(self.sizeHint())
        self.update()

    def show_at(self, anchor: QRect) -> None:
        """Shows it under `anchor` (global coordinates), or above it near the screen's bottom."""
        size = self.size()
        screen = (self.screen() or QApplication.primaryScreen()).availableGeometry()
        x = max(screen.left(), min(anchor.left(), screen.right() - size.width()))
        y = anchor.bottom() + 4
        if y + size.height() > screen.bottom():
            y = anchor.top() - size.height() - 4
        self.move(x, y)
        self.show()

    def set_pinned(self, pinned: bool, anchor: QWidget | None = None) -> None:
        """Pinned, it stays until a click lands outside it and `anchor` (see `dismissed`)."""
        if pinned != self.pinned:
            if pinned:
                QApplication.instance().installEventFilter(self)
            else:
                QApplication.instance().removeEventFilter(self)
        self.pinned, self._anchor = pinned, anchor
        self._hover_row = -1
        self._refresh_tooltip()
        self.resize(self.sizeHint())
        self.update()

    def set_fork_enabled(self, enabled: bool, reason: str = "") -> None:
        """Endpoints that cannot continue a prefix disable the rows; `reason` says why."""
        self._fork_enabled, self._fork_reason = enabled, reason
        self._refresh_tooltip()
        self.resize(self.sizeHint())
        self.update()

    @property
    def fork_enabled(self) -> bool:
        return self._fork_enabled

    def rows(self) -> list[tuple[str, float, bool]]:
        """(token, probability, is the sampled one), as listed."""
        return list(self._rows)

    def hint_text(self) -> str:
        """The line under the rows: how to pin or fork, or why forking is unavailable."""
        if not self.pinned:
            return HINT_UNPINNED
        if not self._fork_enabled:
            return f"Can't fork here: {self._fork_reason}" if self._fork_reason else ""
        return HINT_PINNED

    def _refresh_tooltip(self) -> None:
        disabled = self.pinned and not self._fork_enabled
        self.setToolTip(self._fork_reason if disabled else "")

    # --- geometry --------------------------------------------------------------------------
    def _row_height(self) -> int:
        return QFontMetrics(self.font()).height() + 4

    def _token_column(self) -> int:
        fm = QFontMetrics(self.font())
        widest = max((fm.horizontalAdvance(shown_token(t)) for t, _, _ in self._rows), default=0)
        return min(widest, 220) + fm.horizontalAdvance("✓ ") + 8

    def _header(self) -> str:
        info = self.info
        if info is None:
            return ""
        return (
            f"#{self.token_index}  p {info.prob:.1%}  entropy {info.entropy:.2f}  "
            f"margin {info.margin:+.2f}"
        )

    def row_rect(self, row: int) -> QRect:
        """Where row `row` is, in the popup's coordinates."""
        h = self._row_height()
        return QRect(MARGIN, MARGIN + h * (row + 1), self.width() - 2 * MARGIN, h)

    def _row_at(self, pos: QPoint) -> int:
        for row in range(len(self._rows)):
            if self.row_rect(row).contains(pos):
                return row
        return -1

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        hint = self.hint_text()
        width = max(
            self._token_column() + BAR_WIDTH + fm.horizontalAdvance(" 100.0%") + 8,
            fm.horizontalAdvance(self._header()),
            min(fm.horizontalAdvance(hint), 360),
        )
        hint_lines = fm.boundingRect(QRect(0, 0, width, 1000), Qt.TextFlag.TextWordWrap, hint)
        height = self._row_height() * (len(self._rows) + 1) + hint_lines.height() + 4
        return QSize(width + 2 * MARGIN, height + 2 * MARGIN)

    # --- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.ToolTipText)
        faded = QColor(text)
        faded.setAlpha(140)
        fm = painter.fontMetrics()
        h, column = self._row_height(), self._token_column()
        painter.setPen(faded)
        painter.drawText(
            QRect(MARGIN, MARGIN, self.width() - 2 * MARGIN, h),
            Qt.AlignmentFlag.AlignVCenter,
            self._header(),
        )
        clickable = self.pinned and self._fork_enabled
        bar_colour = pal.color(QPalette.ColorRole.Highlight)
        for row, (token, prob, chosen) in enumerate(self._rows):
            rect = self.row_rect(row)
            if clickable and row == self._hover_row and not chosen:
                hover = QColor(bar_colour)
                hover.setAlpha(50)
                painter.fillRect(rect, hover)
            label = ("✓ " if chosen else "   ") + shown_token(token)
            painter.setPen(text if (clickable or chosen or not self.pinned) else faded)
            elided = fm.elidedText(label, Qt.TextElideMode.ElideRight, column - 4)
            painter.drawText(rect.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, elided)
            bar = QRectF(rect.left() + column, rect.top() + 3, BAR_WIDTH * prob, rect.height() - 6)
            colour = QColor(bar_colour)
            colour.setAlpha(255 if chosen else 150)
            painter.fillRect(bar, colour)
            painter.drawText(
                QRect(rect.left() + column + BAR_WIDTH + 4, rect.top(), 80, rect.height()),
                Qt.AlignmentFlag.AlignVCenter,
                f"{prob:.1%}",
            )
        hint_top = MARGIN + h * (len(self._rows) + 1) + 4
        painter.setPen(faded)
        painter.drawText(
            QRect(MARGIN, hint_top, self.width() - 2 * MARGIN, self.height() - hint_top),
            Qt.TextFlag.TextWordWrap,
            self.hint_text(),
        )
        painter.end()
        self.painted_index = self.token_index

    # --- input -------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        row = self._row_at(event.position().toPoint())
        if row != self._hover_row:
            self._hover_row = row
            chosen = 0 <= row < len(self._rows) and self._rows[row][2]
            enabled = self.pinned and self._fork_enabled and row >= 0 and not chosen
            self.setCursor(
                Qt.CursorShape.PointingHandCursor if enabled else Qt.CursorShape.ArrowCursor
            )
            if self.pinned and self._fork_enabled:
                self.setToolTip(FORK_TOOLTIP if enabled else "")
            self.update()
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = self._row_at(event.position().toPoint())
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self.pinned
            and self._fork_enabled
            and row >= 0
            and not self._rows[row][2]
        ):
            self.alternative_chosen.emit(self.token_index, self._rows[row][0])
            event.accept()
            return
        super().mousePressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(watched, QWidget):
            inside = (w is watched or w.isAncestorOf(watched) for w in (self, self._anchor) if w)
            if not any(inside):
                self.dismissed.emit()
        return False
