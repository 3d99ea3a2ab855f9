"""The schema editor dock: write, lint, fix and preview a JSON Schema for strict mode."""

from workbench.ui.panels.schema_editor.panel import SchemaEditorPanel

__all__ = ["SchemaEditorPanel"]
