"""The Prompt Lab panel (issue 19): prompt versions x dataset rows x models, as a grid."""

from workbench.ui.panels.prompt_lab.panel import LabDeps, PromptLabPanel

__all__ = ["LabDeps", "PromptLabPanel"]
