"""A prompt by name with its versions: the system and user templates, their variables, the
checks. Every save is a new version; two versions can be diffed word by word, and an old one
restored into the editors (saving it then makes it the newest version)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core.prompt_lab.model import PromptVersion
from workbench.core.prompt_lab.templates import TemplateProblem, template_variables
from workbench.services.store.prompt_lab import PromptLabQueries
from workbench.ui.bus import Bus
from workbench.ui.panels.prompt_lab.assertions_editor import AssertionsEditor
from workbench.ui.panels.prompt_lab.variables_form import VariablesForm
from workbench.ui.widgets.word_diff_view import WordDiffView

VERSION_ROLE = Qt.ItemDataRole.UserRole + 1


def version_label(version: PromptVersion) -> str:
    return f"v{version.number}"


def version_text(version: PromptVersion) -> str:
    """A version as one text, for the word diff: system, user and checks."""
    from workbench.core.prompt_lab.assertions import describe

    checks = "\n".join(f"- {describe(a)}" for a in version.assertions)
    return f"[system]\n{version.system}\n\n[user]\n{version.user}\n\n[checks]\n{checks}"


class PromptEditor(QWidget):
    saved = Signal(object)  # the PromptVersion just saved
    status = Signal(str)

    def __init__(self, lab: PromptLabQueries, bus: Bus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lab = lab
        self._loaded: PromptVersion | None = None  # what the editors were last filled from
        self.name = QComboBox(self, objectName="lab_prompt_name", editable=True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.lineEdit().setPlaceholderText("A name for this prompt")
        self.versions = QListWidget(self, objectName="lab_versions")
        self.versions.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.versions.setToolTip(
            "Ticked versions run in the matrix; select two and press Diff to compare them"
        )
        self.save_button = QPushButton("Save version", self, objectName="lab_save")
        self.save_button.setToolTip("Save as a new version (Ctrl+S); earlier ones are kept")
        self.restore_button = QPushButton("Restore", self, objectName="lab_restore")
        self.restore_button.setToolTip("Put the selected version back in the editors")
        self.diff_button = QPushButton("Diff", self, objectName="lab_diff")
        self.diff_button.setToolTip("Compare the two selected versions word by word")
        self.system = QPlainTextEdit(self, objectName="lab_system")
        self.system.setPlaceholderText("System prompt (optional), with {{variables}}")
        self.user = QPlainTextEdit(self, objectName="lab_user")
        self.user.setPlaceholderText("User prompt, with {{variables}}: e.g. Summarise: {{text}}")
        self.variables = VariablesForm(self)
        self.checks = AssertionsEditor(bus, self)
        # The diff gets a window of its own: squeezed into a short dock it would show nothing.
        self.diff_window = QDialog(self)
        self.diff_window.setObjectName("lab_version_diff_window")
        self.diff_window.setWindowTitle("Prompt versions, word by word")
        self.diff = WordDiffView(self.diff_window)
        self.diff.setObjectName("lab_version_diff")
        QVBoxLayout(self.diff_window).addWidget(self.diff)
        self.diff_window.resize(760, 480)
        # Small minimums: in a short dock the parts shrink instead of the dock growing a scroll bar.
        for part in (self.system, self.user, self.versions, self.checks.table):
            part.setMinimumHeight(44)

        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("<b>Prompt</b>", left))
        column.addWidget(self.name)
        column.addWidget(QLabel("Versions (ticked ones run)", left))
        column.addWidget(self.versions, 1)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addWidget(self.diff_button)
        column.addLayout(row)
        column.addWidget(self.save_button)
        middle = QSplitter(Qt.Orientation.Vertical, self)
        middle.addWidget(self._titled("System", self.system))
        middle.addWidget(self._titled("User", self.user))
        middle.addWidget(self.checks)
        middle.setStretchFactor(1, 2)
        body = QSplitter(Qt.Orientation.Horizontal, self)
        body.addWidget(left)
        body.addWidget(middle)
        body.addWidget(self.variables)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 3)
        body.setStretchFactor(2, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body)

        self.save_button.clicked.connect(self.save)
        self.restore_button.clicked.connect(self.restore_selected)
        self.diff_button.clicked.connect(self.diff_selected)
        self.name.activated.connect(lambda _i: self.open_prompt(self.name.currentText()))
        self.versions.itemSelectionChanged.connect(self._selection_changed)
        for editor in (self.system, self.user):
            editor.textChanged.connect(self._templates_changed)
        self.variables.changed.connect(self._templates_changed)
        save = QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.refresh_names()
        names = lab.prompt_names()
        if names:  # pick up where the user was, rather than an empty form
            self.open_prompt(names[0])
        self._selection_changed()
        self._templates_changed()

    @staticmethod
    def _titled(title: str, editor: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"<b>{title}</b>", box))
        layout.addWidget(editor)
        return box

    # --- names and versions --------------------------------------------------------------------
    def refresh_names(self) -> None:
        current = self.name.currentText()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItems(self._lab.prompt_names())
        self.name.setCurrentText(current)
        self.name.blockSignals(False)

    def open_prompt(self, name: str, checked: tuple[int, ...] | None = None) -> None:
        """Lists the prompt's versions and puts the newest in the editors."""
        self.name.setCurrentText(name)
        versions = self._lab.versions(name.strip())
        self._list(versions, checked)
        if versions:
            self._fill(versions[-1])

    def _list(self, versions: list[PromptVersion], checked: tuple[int, ...] | None) -> None:
        self.versions.clear()
        for version in reversed(versions):  # newest on top
            when = version.created_at[:16].replace("T", " ")
            item = QListWidgetItem(f"{version_label(version)}  ·  {when}")
            item.setData(VERSION_ROLE, version)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = version.id in checked if checked is not None else version is versions[-1]
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.versions.addItem(item)

    def all_versions(self) -> list[PromptVersion]:
        """Oldest first."""
        items = [self.versions.item(i) for i in range(self.versions.count())]
        return [i.data(VERSION_ROLE) for i in reversed(items)]

    def checked_versions(self) -> list[PromptVersion]:
        items = [self.versions.item(i) for i in range(self.versions.count())]
        on = [i for i in items if i.checkState() == Qt.CheckState.Checked]
        return [i.data(VERSION_ROLE) for i in reversed(on)]

    def selected_versions(self) -> list[PromptVersion]:
        return [i.data(VERSION_ROLE) for i in self.versions.selectedItems()]

    def _selection_changed(self) -> None:
        chosen = self.selected_versions()
        self.restore_button.setEnabled(len(chosen) == 1)
        self.diff_button.setEnabled(len(chosen) == 2)

    # --- editing -------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """The editors differ from the newest saved version (or nothing is saved yet)."""
        latest = self._lab.latest(self.name.currentText().strip())
        if latest is None:
            return bool(self.user.toPlainText().strip() or self.system.toPlainText().strip())
        return (latest.system, latest.user, latest.assertions) != self._edited()

    def _edited(self) -> tuple[str, str, tuple]:
        return self.system.toPlainText(), self.user.toPlainText(), self.checks.assertions()

    def problem(self) -> str | None:
        if not self.name.currentText().strip():
            return "Give the prompt a name before saving it."
        if not self.user.toPlainText().strip():
            return "The user prompt is empty."
        for where, editor in (("system prompt", self.system), ("user prompt", self.user)):
            try:  # a value missing from the preview's form is no reason to refuse a save
                template_variables(editor.toPlainText())
            except TemplateProblem as exc:
                return f"the {where}: {exc}"
        return self.checks.problem()

    def save(self) -> PromptVersion | None:
        """A new version from the editors; the version list follows, the new one ticked."""
        problem = self.problem()
        if problem:
            self.status.emit(f"Not saved: {problem}")
            return None
        system, user, checks = self._edited()
        name = self.name.currentText().strip()
        checked = tuple(v.id for v in self.checked_versions() if v.id is not None)
        version = self._lab.save_version(name, system, user, checks)
        self.refresh_names()
        self.open_prompt(name, (*checked, version.id) if version.id is not None else checked)
        self.status.emit(f"Saved “{name}” {version_label(version)}.")
        self.saved.emit(version)
        return version

    def restore_selected(self) -> None:
        chosen = self.selected_versions()
        if len(chosen) == 1:
            self._fill(chosen[0])
            self.status.emit(
                f"{version_label(chosen[0])} is in the editors: Save makes it the newest version."
            )

    def diff_selected(self) -> None:
        chosen = sorted(self.selected_versions(), key=lambda v: v.number)
        if len(chosen) != 2:
            return
        a, b = chosen
        self.diff.show_diff(version_label(a), version_text(a), version_label(b), version_text(b))
        self.diff_window.setWindowTitle(
            f"“{a.prompt_name}” {version_label(a)} → {version_label(b)}, word by word"
        )
        self.diff_window.show()
        self.diff_window.raise_()

    def _fill(self, version: PromptVersion) -> None:
        self._loaded = version
        self.system.setPlainText(version.system)
        self.user.setPlainText(version.user)
        self.checks.set_assertions(version.assertions)

    def _templates_changed(self) -> None:
        self.variables.show_render(self.system.toPlainText(), self.user.toPlainText())
