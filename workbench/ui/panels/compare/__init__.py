"""The Compare panel: one prompt, 2-6 columns, answers side by side."""

from workbench.ui.panels.compare.panel import CompareDeps, ComparePanel

__all__ = ["CompareDeps", "ComparePanel"]
