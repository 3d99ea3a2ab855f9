"""Below the columns: a word diff of two chosen columns' shown answers."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.core.consistency import Answer, consistency
from workbench.core.sessions import MessageStatus
from workbench.ui.panels.compare.column import ColumnAnswer
from workbench.ui.widgets.word_diff_view import WordDiffView


class CompareInsights(QWidget):
    diff_changed = Signal()  # another pair of columns was chosen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left = QComboBox(self, objectName="diff_left")
        self.right = QComboBox(self, objectName="diff_right")
        self.view = WordDiffView(self)
        self.view.setObjectName("compare_diff")
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Word diff</b>", self))
        row.addWidget(self.left, 1)
        row.addWidget(QLabel("against", self))
        row.addWidget(self.right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        self.left.currentIndexChanged.connect(lambda _i: self.diff_changed.emit())
        self.right.currentIndexChanged.connect(lambda _i: self.diff_changed.emit())

    def set_columns(self, labels: Sequence[str]) -> None:
        """Keep the chosen pair where it still exists; the first two columns otherwise."""
        wanted = (self.left.currentIndex(), self.right.currentIndex())
        if wanted == (-1, -1):
            wanted = (0, 1)
        for box, index in zip((self.left, self.right), wanted, strict=True):
            box.blockSignals(True)
            box.clear()
            box.addItems(list(labels))
            box.setCurrentIndex(index if 0 <= index < len(labels) else min(1, len(labels) - 1))
            box.blockSignals(False)
        if self.left.currentIndex() == self.right.currentIndex() and len(labels) > 1:
            self.right.setCurrentIndex(1 if self.left.currentIndex() == 0 else 0)

    def diff_pair(self) -> tuple[int, int]:
        return self.left.currentIndex(), self.right.currentIndex()

    def show_diff(self, label_a: str, text_a: str, label_b: str, text_b: str) -> None:
        self.view.show_diff(label_a, text_a, label_b, text_b)

    def clear_diff(self, message: str) -> None:
        self.view.clear(message)

    @staticmethod
    def consistency_text(answers: Sequence[ColumnAnswer]) -> str:
        """Only worth a line once a column has been asked more than once."""
        done = [a for a in answers if a.status != MessageStatus.STREAMING]
        if len(answers) < 2 or not done:
            return ""
        summary = consistency(
            [
                Answer(
                    a.content,
                    a.record.timings.first_token_s if a.record else None,
                    a.record.timings.total_s if a.record else None,
                    a.record.usage.completion_tokens if a.record else None,
                    failed=a.status != MessageStatus.COMPLETE,
                )
                for a in done
            ]
        )
        return summary.summary_text()
