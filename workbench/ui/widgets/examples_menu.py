"""What the Schema Editor and the Tools panel share about their files: the Examples menu built
from a folder of .json files, and the question asked before unsaved changes would be lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

Button = QMessageBox.StandardButton


def example_title(path: Path) -> str:
    return path.stem.replace("_", " ").capitalize()


def example_paths(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"))


def fill_examples_menu(
    menu: QMenu, folder: Path | None, prefix: str, load: Callable[[Path], object]
) -> None:
    """One item per example (object name `<prefix>.example.<stem>`), or a greyed note."""
    menu.clear()
    paths = example_paths(folder)
    for path in paths:
        item = menu.addAction(example_title(path))
        item.setObjectName(f"{prefix}.example.{path.stem}")
        item.triggered.connect(lambda _c=False, p=path: load(p))
    if not paths:
        menu.addAction("No examples found").setEnabled(False)


def may_discard(owner: QWidget, title: str, what: str, save: Callable[[], bool]) -> bool:
    """Asked before unsaved changes to `what` are replaced: True when they may go (saved first,
    if the user chose that); Save is the default, Cancel keeps them."""
    answer = QMessageBox.question(
        owner,
        title,
        f"Save the changes to {what} first?",
        Button.Save | Button.Discard | Button.Cancel,
        Button.Save,
    )
    if answer == Button.Save:
        return save()
    return answer == Button.Discard


def confirm(owner: QWidget, title: str, text: str) -> bool:
    """A yes/no question whose safe answer, No, is the default."""
    answer = QMessageBox.question(owner, title, text, Button.Yes | Button.No, Button.No)
    return answer == Button.Yes
