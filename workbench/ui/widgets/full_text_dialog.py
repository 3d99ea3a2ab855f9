"""The whole of a text too long to lay out in a chat card, read-only, in a plain-text editor.

QPlainTextEdit lays out only the lines on screen, but one line is laid out whole, and a 2 MB line
takes most of a second. So lines longer than `ROW` are shown cut into rows of `ROW` characters;
`text()` and "Copy all" give the text exactly as received.
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

ROW = 2_000  # characters per shown row of a longer line


def size_label(characters: int) -> str:
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:.1f} MB"
    return f"{characters // 1_000:,} KB"


def _rows(text: str) -> str:
    lines = text.split("\n")
    if all(len(line) <= ROW for line in lines):
        return text
    return "\n".join(
        "\n".join(line[i : i + ROW] for i in range(0, len(line), ROW)) if len(line) > ROW else line
        for line in lines
    )


class FullTextDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("full_text")
        self.setWindowTitle(f"Whole text ({size_label(len(text))})")
        self._text = text
        layout = QVBoxLayout(self)
        shown = _rows(text)
        if shown is not text:
            note = QLabel(f"Lines longer than {ROW:,} characters are shown cut into rows.", self)
            layout.addWidget(note)
        editor = QPlainTextEdit(self)
        editor.setReadOnly(True)
        editor.setUndoRedoEnabled(False)
        editor.setFont(QFont("monospace"))
        editor.setPlainText(shown)
        layout.addWidget(editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy all", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 650)

    def text(self) -> str:
        return self._text

    def copy_all(self) -> None:
        QApplication.clipboard().setText(self._text)
