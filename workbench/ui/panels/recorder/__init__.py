"""The Whisper recorder dock: record or pick audio, transcribe or translate it, hear its parts."""

from workbench.ui.panels.recorder.panel import RecorderPanel

__all__ = ["RecorderPanel"]
