"""Status-bar indicator of background work: a busy bar and what is running."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from workbench.ui.tasks import BackgroundTasks


class WorkIndicator(QWidget):
    def __init__(self, tasks: BackgroundTasks) -> None:
        super().__init__()
        self.setObjectName("status.work")
        self._tasks = tasks
        self.bar = QProgressBar(maximumWidth=90, maximumHeight=14, textVisible=False)
        self.bar.setRange(0, 0)  # busy: we rarely know how long network work takes
        self.label = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        tasks.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        labels = self._tasks.labels()
        self.setVisible(bool(labels))
        if labels:
            more = f" (+{len(labels) - 1})" if len(labels) > 1 else ""
            self.label.setText(labels[-1] + "…" + more)
            self.setToolTip("\n".join(labels))
