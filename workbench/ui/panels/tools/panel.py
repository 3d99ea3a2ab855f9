"""The Tools dock: a set of function tools (name, description, parameters linted for strict
mode), tool_choice, parallel calls, mock results the chat can answer calls with, saved sets in
the store, examples, and "Use in Chat"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.tools import (
    EMPTY_PARAMETERS,
    FunctionTool,
    MockResult,
    Problem,
    ToolSet,
)
from workbench.services.store import Store
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.tools.choice_combo import ChoiceCombo
from workbench.ui.panels.tools.function_editor import FunctionEditor
from workbench.ui.panels.tools.mocks_table import Mock, MocksTable
from workbench.ui.panels.tools.problems_check import ProblemsCheck
from workbench.ui.panels.tools.saved_sets import SavedSets
from workbench.ui.panels.tools.texts import (
    DONT_USE,
    NO_FUNCTION,
    STOPPED,
    UNNAMED,
    USE_ANYWAY,
    USED,
    problems_detail,
    problems_line,
    ready,
)
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel, QuietLabel
from workbench.ui.widgets.anyway_question import ask_anyway

MAX_ROUNDS_LIMIT = 20
NEW_NAME = "new_function"


def _button(text: str, name: str, parent: QWidget, tip: str = "") -> QPushButton:
    made = QPushButton(text, parent, objectName=name)
    made.setToolTip(tip)
    return made


def _tool_button(text: str, name: str, parent: QWidget, tip: str) -> QToolButton:
    """Compact, so the saved-sets row fits a narrow dock."""
    made = QToolButton(parent, objectName=name, text=text)
    made.setToolTip(tip)
    return made


def unused_name(names: list[str]) -> str:
    number = 1
    while (name := NEW_NAME if number == 1 else f"{NEW_NAME}_{number}") in names:
        number += 1
    return name


class ToolsPanel(Panel):
    def __init__(
        self,
        store: Store,
        bus: Bus,
        tasks: BackgroundTasks,
        parent: QWidget | None = None,
        examples: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel.tools")
        self.bus, self.tasks = bus, tasks
        # The set as edited: each function with the mocks for its calls, kept by its place in
        # the list so a rename keeps them; mocks naming no function are kept as they came.
        self._functions: list[FunctionTool] = []
        self._mocks: list[list[Mock]] = []
        self._stray_mocks: tuple[MockResult, ...] = ()
        self._showing = False  # True while a set or a function is being shown, not edited
        self.sets = SavedSets(
            store, examples, self, self.current_toolset, self._show_set, self.status_message.emit
        )
        self.functions = QListWidget(self, objectName="tool_functions")
        self.editor = FunctionEditor(tasks, self)
        self.mocks = MocksTable(self)
        self.choice = ChoiceCombo(self)
        self.parallel = QCheckBox("Parallel calls", self, objectName="parallel_calls")
        self.parallel.setToolTip("parallel_tool_calls: the model may call several at once")
        self.auto_answer = QCheckBox("Answer with mocks", self, objectName="auto_answer")
        self.auto_answer.setToolTip(
            "A call with a matching mock is answered with it and the chat goes on by itself"
        )
        self.max_rounds = QSpinBox(self, objectName="max_rounds")
        self.max_rounds.setRange(1, MAX_ROUNDS_LIMIT)
        self.max_rounds.setToolTip("Calls answered automatically, in a row, before the chat stops")
        self.check = ProblemsCheck(tasks, self)
        self._build_layout()
        self.functions.currentRowChanged.connect(self._function_selected)
        self.editor.edited.connect(self._function_edited)
        self.mocks.edited.connect(self._mocks_edited)
        for changed in (
            self.choice.edited,
            self.parallel.toggled,
            self.auto_answer.toggled,
            self.max_rounds.valueChanged,
        ):
            changed.connect(self._edited)
        self.check.checked.connect(self._checked)
        self.check.started.connect(lambda: self.status.setText("Checking…"))
        self.sets.changed.connect(self._show_title)
        self.load_toolset(ToolSet())

    def _build_layout(self) -> None:
        self.new_button = _tool_button("New", "tool_set_new", self, "Start a new tool set")
        self.new_button.clicked.connect(self.sets.new)
        save_tip = self.sets.save_action.toolTip()
        self.save_button = _tool_button("Save", "tool_set_save", self, save_tip)
        self.save_button.clicked.connect(self.sets.save)
        self.delete_button = _tool_button("Delete", "tool_set_delete", self, "Delete the saved set")
        self.delete_button.clicked.connect(self.sets.delete)
        self.examples_menu = QMenu(self, objectName="tool_examples_menu")
        self.sets.fill_examples_menu(self.examples_menu)
        self.examples_button = QToolButton(self, objectName="tool_examples", text="Examples")
        self.examples_button.setMenu(self.examples_menu)
        self.examples_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.title = QuietLabel("", self, objectName="tool_set_title")
        # The set's name on a line of its own, its buttons under it: the dock may be narrow.
        bar = QVBoxLayout()
        bar.setSpacing(4)
        chooser = QHBoxLayout()
        chooser.setSpacing(4)
        chooser.addWidget(self.sets.combo, 1)
        chooser.addWidget(self.examples_button)
        bar.addLayout(chooser)
        set_buttons = QHBoxLayout()
        set_buttons.setSpacing(4)
        for widget in (self.new_button, self.save_button, self.delete_button):
            set_buttons.addWidget(widget)
        set_buttons.addStretch(1)
        bar.addLayout(set_buttons)

        self.add_button = _button("Add", "tool_function_add", self, "Add a function")
        self.add_button.clicked.connect(self.add_function)
        self.remove_button = _button("Remove", "tool_function_remove", self)
        self.remove_button.setToolTip("Remove the selected function and its mocks")
        self.remove_button.clicked.connect(self.remove_function)
        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(QLabel("Functions", list_box))
        list_layout.addWidget(self.functions, 1)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        list_buttons.addStretch(1)
        list_layout.addLayout(list_buttons)

        function_box = QWidget(self)
        function_layout = QVBoxLayout(function_box)
        function_layout.setContentsMargins(0, 0, 0, 0)
        function_layout.addWidget(self.editor, 3)
        mocks_label = QLabel("Mock results for this function's calls", function_box)
        mocks_label.setWordWrap(True)  # a narrow dock wraps it instead of widening
        function_layout.addWidget(mocks_label)
        function_layout.addWidget(self.mocks, 1)
        self.no_function = QuietLabel(NO_FUNCTION, self, objectName="tool_no_function")
        self.no_function.setWordWrap(True)
        self.no_function.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.function_stack = QStackedWidget(self)
        self.function_stack.addWidget(self.no_function)
        self.function_stack.addWidget(function_box)

        split = QSplitter(Qt.Orientation.Vertical, self, objectName="tool_split")
        split.addWidget(list_box)
        split.addWidget(self.function_stack)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([120, 520])
        split.setMinimumHeight(560)  # below that the dock scrolls rather than squeezing it
        scroll = QScrollArea(self, objectName="tool_scroll")
        scroll.setWidgetResizable(True)
        # Narrow dock: the editors narrow with it (they scroll sideways themselves).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(split)

        options = QFormLayout()
        options.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        options.addRow("Tool choice", self.choice)
        options.addRow(self.parallel)  # the whole row: a narrow dock keeps its text
        options.addRow(self.auto_answer)
        options.addRow("Rounds at most", self.max_rounds)

        self.status = QLabel("", self, objectName="tool_status", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = _button("Use in Chat", "use_tools", self)
        self.use_button.setToolTip("The chat offers these functions from its next message on")
        self.use_button.clicked.connect(self.use_in_chat)
        self.clear_button = _button("Stop Using", "clear_tools", self)
        self.clear_button.setToolTip("The chat offers no tools from its next message on")
        self.clear_button.clicked.connect(self.stop_using)
        self.refused = ErrorLabel("", self, objectName="tool_refused", wordWrap=True)
        self.refused.hide()
        use_row = QHBoxLayout()
        use_row.addStretch(1)
        use_row.addWidget(self.use_button)
        use_row.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(options)
        layout.addWidget(self.status)
        layout.addLayout(use_row)
        layout.addWidget(self.refused)

    # --- the set -------------------------------------------------------------------------------
    def current_toolset(self) -> ToolSet:
        mocks = [
            MockResult(function.name, result, when)
            for function, own in zip(self._functions, self._mocks, strict=True)
            for when, result in own
        ]
        return ToolSet(
            name=self.sets.name,
            functions=tuple(self._functions),
            choice=self.choice.choice(),
            parallel=self.parallel.isChecked(),
            mocks=(*mocks, *self._stray_mocks),
            auto_answer=self.auto_answer.isChecked(),
            max_rounds=self.max_rounds.value(),
        )

    def load_toolset(self, tools: ToolSet) -> None:
        """Shows `tools` as a new, unsaved set (nothing is asked: the caller decided)."""
        self.sets.load(tools, None)

    def _show_set(self, tools: ToolSet) -> None:
        self._showing = True
        try:
            self._functions = list(tools.functions)
            names = [f.name for f in tools.functions]
            self._mocks = [
                [(m.when, m.result) for m in tools.mocks if m.tool == name]
                if names.index(name) == i
                else []  # a repeated name's mocks go to its first function
                for i, name in enumerate(names)
            ]
            self._stray_mocks = tuple(m for m in tools.mocks if m.tool not in names)
            self.choice.set_choice(tools.choice, self._names())
            self.parallel.setChecked(tools.parallel)
            self.auto_answer.setChecked(tools.auto_answer)
            self.max_rounds.setValue(min(MAX_ROUNDS_LIMIT, max(1, tools.max_rounds)))
            self.functions.clear()
            self.functions.addItems([f.name or UNNAMED for f in tools.functions])
        finally:
            self._showing = False
        self.functions.setCurrentRow(0 if tools.functions else -1)
        self._function_selected(self.functions.currentRow())
        self.refused.hide()
        self.check.changed(self.current_toolset())
        self.check.run_now()

    def _names(self) -> list[str]:
        return [f.name for f in self._functions]

    # --- functions -----------------------------------------------------------------------------
    def add_function(self) -> None:
        function = FunctionTool(name=unused_name(self._names()), parameters=EMPTY_PARAMETERS)
        self._functions.append(function)
        self._mocks.append([])
        self.functions.addItem(function.name)
        self.choice.set_functions(self._names())
        self.functions.setCurrentRow(len(self._functions) - 1)
        self.editor.name.setFocus(Qt.FocusReason.OtherFocusReason)
        self.editor.name.selectAll()  # typing names it
        self._edited()

    def remove_function(self) -> None:
        row = self.functions.currentRow()
        if not 0 <= row < len(self._functions):
            return
        removed = self._functions.pop(row)
        del self._mocks[row]
        self.functions.takeItem(row)  # selects a neighbour, which shows it
        self.choice.function_removed(row, self._names())
        self._function_selected(self.functions.currentRow())
        self.status_message.emit(f"Removed {removed.name or 'the function'} and its mocks")
        self._edited()

    def _function_selected(self, row: int) -> None:
        if not 0 <= row < len(self._functions):
            self.function_stack.setCurrentIndex(0)
            self.remove_button.setEnabled(False)
            return
        self.function_stack.setCurrentIndex(1)
        self.remove_button.setEnabled(True)
        self.editor.set_function(self._functions[row])
        self.mocks.set_mocks(self._mocks[row])

    def _function_edited(self) -> None:
        row = self.functions.currentRow()
        if not 0 <= row < len(self._functions):
            return
        function = self.editor.function()
        renamed = function.name != self._functions[row].name
        self._functions[row] = function
        if renamed:
            self.functions.item(row).setText(function.name or UNNAMED)
            self.choice.set_functions(self._names())
        self._edited()

    def _mocks_edited(self) -> None:
        row = self.functions.currentRow()
        if 0 <= row < len(self._mocks):
            self._mocks[row] = self.mocks.mocks()
            self._edited()

    def _edited(self, *_args: object) -> None:
        if self._showing:
            return
        self.refused.hide()
        self.check.changed(self.current_toolset())
        self._show_title()

    # --- status --------------------------------------------------------------------------------
    def _show_title(self) -> None:
        self.title.setText(self.sets.title())
        self.delete_button.setEnabled(self.sets.saved_name is not None)

    def _checked(self, tools: ToolSet, problems: list[Problem]) -> None:
        if tools != self.current_toolset():
            return  # edited meanwhile: the newer set's check is on its way
        self.status.setText(problems_line(problems) if problems else ready(len(tools.functions)))
        self.status.setToolTip(problems_detail(problems))
        self._show_title()

    # --- use in chat ---------------------------------------------------------------------------
    def use_in_chat(self) -> bool:
        tools = self.current_toolset()
        if not tools.functions:
            self._refuse("There are no functions to offer: add one first.")
            return False
        problems = self.check.problems_now(tools)
        if problems is None:
            self.status_message.emit("Still checking the tool set; try again in a moment.")
            return False
        if problems:
            self._refuse(problems_line(problems))
            if not self._use_anyway(problems):
                return False
        self.refused.hide()
        self.bus.tools_chosen.emit(tools.to_json())
        self.status_message.emit(f"{USED} ({tools.summary()})")
        return True

    def _refuse(self, reason: str) -> None:
        self.refused.setText(f"Not used in the chat: {reason}")
        self.refused.show()

    def _use_anyway(self, problems: list[Problem]) -> bool:
        return ask_anyway(
            self,
            name="tools.question",
            title="Use these tools?",
            text="The API would refuse this tool set as it is.",
            detail=f"{problems_detail(problems)}\nThe request will likely fail. Use it anyway?",
            go=USE_ANYWAY,
            stop=DONT_USE,
        )

    def stop_using(self) -> None:
        self.bus.tools_chosen.emit("")
        self.status_message.emit(STOPPED)

    # --- the panel contract ---------------------------------------------------------------------
    def shutdown(self) -> None:
        """Nothing to keep: saving is the user's choice, and the app does not ask on exit."""
