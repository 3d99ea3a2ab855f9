"""The lint's findings on a function's parameters, as the list under the editor shows them and
the editor marks them. Strict off, only what the API refuses in any mode is said: text that is
not JSON, JSON that is no schema, a root that is not an object."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from workbench.core.schema_lint import LintReport, SchemaDocumentError
from workbench.ui.widgets.json_editor import MAX_MARKS, Mark
from workbench.ui.widgets.schema_lint_runner import Result

FINDINGS_LINES = 5  # the list's most height; it scrolls past that
ANY_MODE_RULES = frozenset({"root-object"})  # refused with strict off too
WRAPPED = (
    "This is a whole {form}, not its parameters: write only the parameters' JSON Schema here "
    "(the name, description and strict flag have their own fields)."
)


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" | "warning"
    path: str
    message: str
    line: int | None = None
    start: int | None = None
    end: int | None = None

    def text(self) -> str:
        return f"{self.path or '$'}: {self.message}"

    def mark(self) -> Mark | None:
        if self.line is None:
            return None
        severity = "warning" if self.severity == "warning" else "error"
        return Mark(self.line, severity, self.message, self.start, self.end)


def findings_for(result: Result, *, strict: bool) -> list[Finding]:
    if result is None:
        return []  # empty parameters are sent as {}: a function that takes nothing
    if isinstance(result, SchemaDocumentError):
        message = result.message[:1].upper() + result.message[1:]
        return [Finding("error", "", message, result.line)]
    return _report_findings(result, strict=strict)


def _report_findings(report: LintReport, *, strict: bool) -> list[Finding]:
    out = []
    if report.form != "schema":
        out.append(Finding("error", "", WRAPPED.format(form=report.form.replace("_", " ")), 1))
    for f in report.findings:
        if strict or f.rule in ANY_MODE_RULES:
            message = f"{f.message} ({f.rule})"
            out.append(Finding(f.severity, f.path, message, f.line, f.offset, f.end))
    return out


class FindingsList(QListWidget):
    """One line per finding; a click goes to it in the editor (done by the owner)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tool_parameter_findings")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.findings: list[Finding] = []

    def show_findings(self, findings: list[Finding]) -> None:
        self.clear()
        self.findings = findings[:MAX_MARKS]
        for finding in self.findings:
            item = QListWidgetItem(finding.text())
            item.setToolTip(finding.text())
            item.setData(Qt.ItemDataRole.UserRole, finding)
            self.addItem(item)
        if not self.findings:
            none = QListWidgetItem("No problems found.")
            none.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(none)
        # As tall as its lines (up to FINDINGS_LINES): "No problems" takes one line, not five.
        shown = min(max(1, len(self.findings)), FINDINGS_LINES)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * shown + 2 * self.frameWidth() + 8)

    def texts(self) -> list[str]:
        return [f.text() for f in self.findings]
