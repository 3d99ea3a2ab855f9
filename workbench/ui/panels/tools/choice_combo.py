"""tool_choice: auto, required, none, or one of the set's functions. A chosen function is
followed by its place in the list, so renaming it keeps it chosen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from workbench.core.tools import TOOL_CHOICES

CHOICE_TIPS = {
    "auto": "The model decides whether to call a function",
    "required": "The model must call at least one function",
    "none": "The model answers in text and calls nothing",
}
Selected = str | int  # a fixed choice (or a name no function has), or a function's index


class ChoiceCombo(QComboBox):
    edited = Signal()  # the user chose another entry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tool_choice")
        self.setToolTip("tool_choice: whether, and which, function the model must call")
        self._selected: Selected = "auto"
        self._names: list[str] = []
        self.activated.connect(self._chosen)
        self._rebuild()

    # --- the set's functions -------------------------------------------------------------------
    def set_functions(self, names: list[str]) -> None:
        """The functions' names, in order, after one was renamed or added."""
        self._names = list(names)
        if isinstance(self._selected, int) and self._selected >= len(names):
            self._selected = "auto"
        self._rebuild()

    def function_removed(self, index: int, names: list[str]) -> None:
        if isinstance(self._selected, int):
            if self._selected == index:
                self._selected = "auto"
            elif self._selected > index:
                self._selected -= 1
        self.set_functions(names)

    # --- the choice ----------------------------------------------------------------------------
    def set_choice(self, choice: str, names: list[str]) -> None:
        self._names = list(names)
        if choice in TOOL_CHOICES or choice not in names:
            self._selected = choice
        else:
            self._selected = names.index(choice)
        self._rebuild()

    def choice(self) -> str:
        if isinstance(self._selected, int):
            return self._names[self._selected]
        return self._selected

    def _chosen(self, row: int) -> None:
        key = self.itemData(row)
        if not isinstance(key, str):
            return
        kind, _, value = key.partition(":")
        chosen: Selected = int(value) if kind == "fn" else value
        if chosen != self._selected:
            self._selected = chosen
            self.edited.emit()

    def _rebuild(self) -> None:
        self.blockSignals(True)
        try:
            self.clear()
            for fixed in TOOL_CHOICES:
                self.addItem(fixed, f"is:{fixed}")
                self.setItemData(self.count() - 1, CHOICE_TIPS[fixed], Qt.ItemDataRole.ToolTipRole)
            for index, name in enumerate(self._names):
                self.addItem(name or "(unnamed)", f"fn:{index}")
            selected = self._selected
            if isinstance(selected, int):
                key = f"fn:{selected}"
            else:
                key = f"is:{selected}"
                if selected not in TOOL_CHOICES:
                    self.addItem(f"{selected} (not defined)", key)
            self.setCurrentIndex(max(0, self.findData(key)))
        finally:
            self.blockSignals(False)
