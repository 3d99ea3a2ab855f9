"""The streaming chat panel."""

from workbench.ui.panels.chat.panel import ChatDeps, ChatPanel

__all__ = ["ChatDeps", "ChatPanel"]
