"""The list of findings under the editor: severity, path, rule, message, and a Fix button where
the rule has a one-click fix. Clicking a row (or Enter on it) asks to go to the finding."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core import schema_fixes
from workbench.core.schema_lint import LintReport, SchemaDocumentError
from workbench.core.schema_rules import RULES_BY_ID
from workbench.ui.widgets.json_editor import MAX_MARKS, Mark

# Two columns, so the list reads in a narrow dock: the finding (severity icon; its path and rule
# on the first line, the message on the second) and its Fix button.
FIX_COLUMN = 1


@dataclass(frozen=True, slots=True)
class Row:
    """One finding as the list and the editor show it."""

    severity: str
    path: str
    rule: str
    message: str
    line: int | None
    column: int | None
    start: int | None = None
    end: int | None = None
    fix: str | None = None  # a key of schema_fixes.FIXES

    def mark(self) -> Mark | None:
        if self.line is None:
            return None
        severity = "warning" if self.severity == "warning" else "error"
        return Mark(self.line, severity, f"{self.rule}: {self.message}", self.start, self.end)


def rows_for(result: LintReport | SchemaDocumentError | None) -> list[Row]:
    if result is None:
        return []
    if isinstance(result, SchemaDocumentError):
        start = None  # the reader gives a line and column, not a range
        return [Row("error", "", result.kind, result.message, result.line, result.column, start)]
    rows = []
    for f in result.findings:
        rule = RULES_BY_ID.get(f.rule)
        fix = rule.fix if rule is not None and rule.fix in schema_fixes.FIXES else None
        rows.append(
            Row(f.severity, f.path, f.rule, f.message, f.line, f.column, f.offset, f.end, fix)
        )
    return rows


def fix_description(fix_id: str) -> str:
    doc = schema_fixes.FIXES[fix_id].__doc__ or fix_id
    return doc.strip().splitlines()[0]


class FindingsList(QTreeWidget):
    row_chosen = Signal(object)  # the Row clicked or activated
    fix_requested = Signal(str)  # a fix id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schema_findings")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FIX_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.rows: list[Row] = []
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)

    def show_rows(self, rows: list[Row], *, accepted: bool = False) -> None:
        self.clear()
        if accepted and not rows:  # said in the list too, so it is never an unexplained blank
            none = QTreeWidgetItem(["No problems found.", ""])
            none.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addTopLevelItem(none)
        self.rows = rows[:MAX_MARKS]
        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        for row in self.rows:
            where = f", line {row.line}" if row.line is not None else ""
            item = QTreeWidgetItem([f"{row.path or '$'}  ·  {row.rule}\n{row.message}", ""])
            item.setIcon(0, icons["warning" if row.severity == "warning" else "error"])
            item.setToolTip(0, f"{row.severity}{where}: {row.message}")
            item.setData(0, Qt.ItemDataRole.UserRole, row)
            self.addTopLevelItem(item)
            if row.fix is not None:
                self.setItemWidget(item, FIX_COLUMN, self._fix_button(row.fix))

    def _fix_button(self, fix_id: str) -> QWidget:
        holder = QWidget(self)  # centres a compact button in the two-line row
        button = QToolButton(holder, objectName=f"fix.{fix_id}", text="Fix")
        button.setToolTip(fix_description(fix_id) + " (Ctrl+Z undoes it)")
        button.clicked.connect(lambda: self.fix_requested.emit(fix_id))
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        return holder

    def fix_buttons(self) -> list[QToolButton]:
        out = []
        for i in range(self.topLevelItemCount()):
            holder = self.itemWidget(self.topLevelItem(i), FIX_COLUMN)
            widget = holder.findChild(QToolButton) if holder is not None else None
            if isinstance(widget, QToolButton):
                out.append(widget)
        return out

    def _chosen(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        row = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(row, Row):
            self.row_chosen.emit(row)
