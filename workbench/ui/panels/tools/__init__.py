"""The Tools dock: define function tools, save them as named sets, and offer them in the chat."""

from workbench.ui.panels.tools.panel import ToolsPanel

__all__ = ["ToolsPanel"]
