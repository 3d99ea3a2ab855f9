"""The set being edited as the store keeps it: the saved sets' names, New, Save, Delete and the
Examples menu, with the question about unsaved changes before any of them replaces the set."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QInputDialog, QMenu, QMessageBox, QWidget

from workbench.core.tools import ToolSet
from workbench.services.store import Store, StoreError
from workbench.ui.widgets.examples_menu import (
    confirm,
    example_paths,
    example_title,
    fill_examples_menu,
    may_discard,
)

Button = QMessageBox.StandardButton
MAX_EXAMPLE_BYTES = 1_000_000  # an example is a few kilobytes; a bigger file is the wrong file


class SavedSets(QObject):
    changed = Signal()  # the set's name, its saved state, or the list of saved sets changed

    def __init__(
        self,
        store: Store,
        examples: Path | None,
        owner: QWidget,
        current: Callable[[], ToolSet],
        show: Callable[[ToolSet], None],
        say: Callable[[str], None],
    ) -> None:
        super().__init__(owner)
        self.store, self.examples, self.owner = store, examples, owner
        self.current, self.show, self.say = current, show, say
        self.name = ""  # the set's name (a saved set's, or an example's until it is saved)
        self.saved_name: str | None = None  # the saved set this is, if it is one
        self.baseline = ToolSet()  # the set as last loaded or saved: what "unsaved" is against
        self.combo = QComboBox(owner, objectName="tool_sets")
        self.combo.setPlaceholderText("Unsaved set")
        self.combo.setToolTip("Saved tool sets: pick one to edit it")
        self.combo.setMinimumContentsLength(6)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.activated.connect(lambda row: self.open_saved(self.combo.itemText(row)))
        self.save_action = QAction("&Save", owner, objectName="tools.save")
        self.save_action.setToolTip("Save the tool set (Ctrl+S while the panel has focus)")
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        # Only while the focus is in this panel: no window-wide key is taken.
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.triggered.connect(self.save)
        owner.addAction(self.save_action)
        self.refresh_names()

    # --- what is shown -------------------------------------------------------------------------
    def is_modified(self) -> bool:
        return self.current() != self.baseline

    def title(self) -> str:
        return (self.name or "untitled") + ("*" if self.is_modified() else "")

    def refresh_names(self) -> None:
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            self.combo.addItems(self.store.tool_sets.names())
            found = self.combo.findText(self.saved_name) if self.saved_name is not None else -1
            self.combo.setCurrentIndex(found)
        finally:
            self.combo.blockSignals(False)
        self.changed.emit()

    def example_paths(self) -> list[Path]:
        return example_paths(self.examples)

    def fill_examples_menu(self, menu: QMenu) -> None:
        fill_examples_menu(menu, self.examples, "tools", self.load_example)

    # --- replacing the set ---------------------------------------------------------------------
    def may_replace(self) -> bool:
        """True when nothing unsaved would be lost (after saving, if the user chose that)."""
        if not self.is_modified():
            return True
        return may_discard(self.owner, "Unsaved tool set", self.name or "this tool set", self.save)

    def load(self, tools: ToolSet, saved_name: str | None) -> None:
        self.name, self.saved_name = tools.name, saved_name
        self.show(tools)
        self.baseline = self.current()  # as shown: mocks are kept grouped by function
        self.refresh_names()

    def new(self) -> None:
        if self.may_replace():
            self.load(ToolSet(), None)

    def open_saved(self, name: str) -> bool:
        if name == self.saved_name:
            return True
        tools = self.store.tool_sets.get(name) if self.may_replace() else None
        if tools is None:
            self.refresh_names()  # back to the set still shown
            return False
        self.load(replace(tools, name=name), name)
        self.say(f"Opened the tool set {name}")
        return True

    def load_example(self, path: Path) -> None:
        if not self.may_replace():
            return
        try:
            if path.stat().st_size > MAX_EXAMPLE_BYTES:
                raise OSError(f"it is {path.stat().st_size:,} bytes; an example is far smaller")
            tools = ToolSet.from_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            self.say(f"Example not loaded: {error}")
            return
        if tools is None:
            self.say(f"Example not loaded: {path.name} is not a tool set")
            return
        self.load(tools, None)
        self.say(f"Loaded the example {example_title(path)}")

    # --- saving and deleting -------------------------------------------------------------------
    def save(self) -> bool:
        name = self.saved_name or self._ask_name()
        if not name:
            return False
        tools = replace(self.current(), name=name)
        try:
            with self.store.failures():
                self.store.tool_sets.save(tools)
        except (StoreError, ValueError, sqlite3.Error) as error:
            QMessageBox.warning(self.owner, "Not saved", f"Could not save {name}:\n{error}")
            return False
        self.name, self.saved_name, self.baseline = name, name, tools
        self.refresh_names()
        self.say(f"Saved the tool set {name}")
        return True

    def _ask_name(self) -> str | None:
        name, ok = QInputDialog.getText(
            self.owner, "Save Tool Set", "Name of the tool set:", text=self.name
        )
        name = name.strip()
        if not ok or not name:
            return None
        if name in self.store.tool_sets.names() and not confirm(
            self.owner,
            "Replace tool set?",
            f"A tool set named {name} is saved already. Replace it?",
        ):
            return None
        return name

    def delete(self) -> bool:
        name = self.saved_name
        if name is None:
            return False
        if not confirm(
            self.owner,
            "Delete tool set?",
            f"Delete the saved tool set {name}? This cannot be undone.",
        ):
            return False
        try:
            with self.store.failures():
                self.store.tool_sets.delete(name)
        except (StoreError, sqlite3.Error) as error:
            QMessageBox.warning(self.owner, "Not deleted", f"Could not delete {name}:\n{error}")
            return False
        self.load(ToolSet(), None)
        self.say(f"Deleted the tool set {name}")
        return True
