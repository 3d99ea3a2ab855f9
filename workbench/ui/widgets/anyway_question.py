"""The "do it anyway?" question asked before something the user may regret (spending past the
budget, a prompt over the context window, a schema the API would refuse). The safe answer is the
default: Enter and Esc both mean no."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_anyway(
    parent: QWidget | None, *, name: str, title: str, text: str, detail: str, go: str, stop: str
) -> bool:
    """True only if the user clicked `go`."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(detail)
    yes = box.addButton(go, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(stop, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes
