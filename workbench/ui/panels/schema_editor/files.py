"""The editor's file: New, Open…, Save, Save As… and the Examples menu, with the question about
unsaved changes before any of them replaces the text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from workbench.ui.widgets.examples_menu import (
    example_paths,
    example_title,
    fill_examples_menu,
    may_discard,
)
from workbench.ui.widgets.json_editor import JsonEditor

FILTER = "JSON Schema (*.json);;All files (*)"
MAX_FILE_BYTES = 5_000_000  # a schema is kilobytes; a bigger file is the wrong file
Button = QMessageBox.StandardButton


class SchemaFiles(QObject):
    changed = Signal()  # the file's name or its saved state changed

    def __init__(
        self, editor: JsonEditor, examples: Path | None, owner: QWidget, say: Callable[[str], None]
    ) -> None:
        super().__init__(owner)
        self.editor, self.examples, self.owner, self.say = editor, examples, owner, say
        self.path: Path | None = None
        self.example: str | None = None  # the example's title while the text is one, unsaved

        def action(text: str, name: str, slot: Callable[[], object]) -> QAction:
            made = QAction(text, owner, objectName=f"schema.{name}")
            made.triggered.connect(slot)
            return made

        self.new_action = action("&New", "new", self.new)
        self.open_action = action("&Open…", "open", self.open)
        self.save_action = action("&Save", "save", self.save)
        self.save_action.setToolTip("Save (Ctrl+S while the editor has focus)")
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        # Only while the focus is in this panel: no window-wide key is taken.
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        owner.addAction(self.save_action)
        self.save_as_action = action("Save &As…", "save_as", self.save_as)
        editor.modificationChanged.connect(lambda _m: self.changed.emit())

    # --- names ---------------------------------------------------------------------------------
    def title(self) -> str:
        name = self.path.name if self.path else (self.example or "untitled")
        return name + ("*" if self.editor.document().isModified() else "")

    def example_paths(self) -> list[Path]:
        return example_paths(self.examples)

    def fill_examples_menu(self, menu: QMenu) -> None:
        fill_examples_menu(menu, self.examples, "schema", self.load_example)

    # --- replacing the text ----------------------------------------------------------------------
    def may_replace(self) -> bool:
        """True when nothing unsaved would be lost (after saving, if the user chose that)."""
        if not self.editor.document().isModified() or not self.editor.toPlainText().strip():
            return True
        return may_discard(self.owner, "Unsaved schema", self.title().rstrip("*"), self.save)

    def _show(self, text: str, path: Path | None, example: str | None = None) -> None:
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self.path, self.example = path, example
        self.changed.emit()

    def new(self) -> None:
        if self.may_replace():
            self._show("", None)
            self.editor.setFocus()

    def open(self) -> None:
        if not self.may_replace():
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self.owner, "Open a JSON Schema", self._folder(), FILTER
        )
        if chosen:
            self.open_path(Path(chosen))

    def open_path(self, path: Path) -> bool:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise OSError(f"it is {path.stat().st_size:,} bytes; a schema is far smaller")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            QMessageBox.warning(self.owner, "Not opened", f"Could not open {path}:\n{error}")
            return False
        self._show(text, path)
        self.say(f"Opened {path.name}")
        return True

    def load_example(self, path: Path) -> None:
        if not self.may_replace():
            return
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            self.say(f"Example not loaded: {error}")
            return
        self._show(text, None, example_title(path))

    # --- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        suggested = (
            self.path
            or Path(self._folder()) / f"{(self.example or 'schema').lower().replace(' ', '_')}.json"
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self.owner, "Save the JSON Schema", str(suggested), FILTER
        )
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            path.write_text(self.editor.toPlainText(), encoding="utf-8")
        except OSError as error:
            QMessageBox.warning(self.owner, "Not saved", f"Could not write {path}:\n{error}")
            return False
        self.path, self.example = path, None
        self.editor.document().setModified(False)
        self.changed.emit()
        self.say(f"Saved {path.name}")
        return True

    def _folder(self) -> str:
        return str(self.path.parent) if self.path else str(Path.home())
