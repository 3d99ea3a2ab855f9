"""The Prompt Lab's Batch API choice: a matrix sent as OpenAI batches (half price, results
within 24 h), its batches' states on a status line, their results merged into the grid, Cancel
for the shown matrix's batches, and batches left open by the last session followed again when
the panel is built.

The matrix itself is checked, estimated and stored by `MatrixControl` as any other; it hands a
stored matrix with `via_batch` set to `submit` here instead of running it cell by cell.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QLabel
from shiboken6 import Shiboken

from workbench.core.prompt_lab.model import Cell, Matrix
from workbench.services.prompt_lab.batch import BatchRefused, BatchRunner
from workbench.services.prompt_lab.batch_lines import BatchProgress

if TYPE_CHECKING:
    from workbench.ui.panels.prompt_lab.panel import PromptLabPanel

CHOICE = "Run through the Batch API (half price, results within 24 h)"
CHOICE_TIP = (
    "Send the matrix as OpenAI Batch API jobs: billed at half price, answered within 24 hours. "
    "The grid fills when a batch ends; a batch keeps going if the app is closed."
)


class BatchControls(QObject):
    def __init__(self, panel: PromptLabPanel, runner: BatchRunner) -> None:
        super().__init__(panel)
        self.panel = panel
        self.runner = runner
        # One runner for the app; the panel built last hears of its batches.
        runner.on_progress = self._on_progress
        runner.on_cells = self._on_cells
        self.seen: dict[str, BatchProgress] = {}  # batch id -> as last reported
        # Batches not yet ended, by id -> matrix id: kept here so the progress line, updated
        # for every arriving cell, never reads the store.
        self.open: dict[str, int] = {}
        self._missed: set[int] = set()  # matrices whose merged cells arrived while not shown
        self._follows: set[asyncio.Task[Any]] = set()
        self.choice = QCheckBox(CHOICE, panel, objectName="lab_via_batch")
        self.status = QLabel(panel, objectName="lab_batch_status")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        panel.models.changed.connect(self.update_choice)
        panel.cancel_button.clicked.connect(self.cancel)

    # --- the choice ----------------------------------------------------------------------------
    def refusal(self) -> str | None:
        """Why the model columns as they stand can't go through the Batch API, or None."""
        columns = self.panel.models.columns()
        if not columns:
            return "Add a model column first."
        return self.runner.refusal(Matrix(None, "", (), "", columns))

    def update_choice(self) -> None:
        problem = self.refusal()
        self.choice.setEnabled(problem is None)
        if problem is not None:
            self.choice.setChecked(False)
        self.choice.setToolTip(CHOICE_TIP if problem is None else f"Not available: {problem}")

    def chosen(self) -> bool:
        return self.choice.isEnabled() and self.choice.isChecked()

    # --- sending -------------------------------------------------------------------------------
    def submit(self, matrix: Matrix) -> asyncio.Task[Any]:
        """Sends a stored matrix's cells as batches and follows each one."""
        return self.panel.deps.tasks.start("Sending the matrix as a batch", self._submit(matrix))

    async def _submit(self, matrix: Matrix) -> None:
        matrix_id = matrix.id or 0
        self._show_line(f"Matrix #{matrix_id}: uploading the batch file…")
        try:
            sent = await self.runner.submit(matrix_id)
        except BatchRefused as refused:
            self._say(f"Not sent: {refused}")
            self._show_line(f"Not sent: {refused}")
            return
        except Exception as exc:  # the SDK's error: nothing was sent, the cells are as they were
            self._say(f"The batch could not be sent: {exc}")
            self._show_line(f"Not sent: {exc}")
            return
        finally:
            if Shiboken.isValid(self):
                self.panel.open_matrix(matrix_id)  # its cells now wait "in a batch…"
        for progress in sent:
            self.open[progress.batch_id] = progress.matrix_id
            self.follow(progress.batch_id)
        self._say(
            f"Matrix #{matrix_id} sent as {len(sent)} batch{'es' if len(sent) > 1 else ''}: "
            "the grid fills when each ends (within 24 h), even after a restart."
        )

    def follow(self, batch_id: str) -> None:
        # Quiet: a batch may take a day, and the window is not busy meanwhile.
        task = self.panel.deps.tasks.start("Following a batch", self._follow(batch_id), quiet=True)
        self._follows.add(task)
        task.add_done_callback(self._follows.discard)

    async def _follow(self, batch_id: str) -> None:
        try:
            ended = await self.runner.follow(batch_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the batch stays open in the store, to be followed next start
            if Shiboken.isValid(self):
                self._say(f"Lost track of batch {batch_id} for now ({exc}); resumed next start.")
            return
        if Shiboken.isValid(self):
            self._ended(ended)

    def resume(self) -> asyncio.Task[Any] | None:
        """Follows every batch the store still has open (left by the last session)."""
        if self.panel.deps.store.read_only:
            return None  # the Workbench that owns this data folder follows them
        open_ids = self.runner.open_batches()
        if not open_ids:
            return None
        rows = [r for r in map(self.panel.deps.store.lab.batch, open_ids) if r is not None]
        for row in rows:
            self.open[row["id"]] = int(row["matrix_id"])
            self.seen[row["id"]] = _as_stored(row)
        self._render()
        if rows and self.panel.matrix is None:
            newest = max(self.open.values())
            self.panel.open_matrix(newest)  # shown as running: its cells wait "in a batch…"
        task = self.panel.deps.tasks.start("Resuming batches", self._resume(), quiet=True)
        self._follows.add(task)
        task.add_done_callback(self._follows.discard)
        return task

    async def _resume(self) -> None:
        ended = await self.runner.resume_batches()
        if Shiboken.isValid(self):
            for progress in ended:
                self._ended(progress)

    # --- cancelling ----------------------------------------------------------------------------
    def open_here(self) -> list[str]:
        """The shown matrix's batches that have not ended."""
        matrix = self.panel.matrix
        if matrix is None or matrix.id is None:
            return []
        return [
            batch_id
            for batch_id, matrix_id in self.open.items()
            if matrix_id == matrix.id and not self._ended_already(batch_id)
        ]

    def _ended_already(self, batch_id: str) -> bool:
        seen = self.seen.get(batch_id)
        return seen is not None and seen.ended

    def cancel(self) -> None:
        """Cancel stops the shown matrix's batches, unless a matrix run is what is running."""
        if self.panel.running:
            return
        for batch_id in self.open_here():
            self.panel.deps.tasks.start("Cancelling a batch", self.runner.cancel(batch_id))
            self._say(f"Cancelling batch {batch_id}: what it finished is kept.")

    def abandon(self) -> None:
        """The panel is going: stop following (the batches go on, and are resumed next start)."""
        for task in list(self._follows):
            task.cancel()

    # --- what the runner reports (on the loop's thread) ----------------------------------------
    def _on_progress(self, progress: BatchProgress) -> None:
        if Shiboken.isValid(self):
            self.seen[progress.batch_id] = progress
            self._render()

    def _on_cells(self, matrix_id: int, cells: list[Cell]) -> None:
        if not Shiboken.isValid(self):
            return
        matrix = self.panel.matrix
        if matrix is not None and matrix.id == matrix_id and not self.panel.running:
            self.panel.results.grid.grid_model.update_cells(cells)
            self.panel.update_progress()
        else:
            self._missed.add(matrix_id)

    def _ended(self, progress: BatchProgress) -> None:
        self.seen[progress.batch_id] = progress
        if progress.ended:  # else it could not be checked on: still open, still cancellable
            self.open.pop(progress.batch_id, None)
        self._render()
        matrix = self.panel.matrix
        shown = matrix is not None and matrix.id == progress.matrix_id
        if shown and not self.panel.running:
            if progress.matrix_id in self._missed:  # the grid was not showing it all along
                self._missed.discard(progress.matrix_id)
                self.panel.open_matrix(progress.matrix_id)
            else:
                self.panel.refresh_saved(progress.matrix_id)
        self._say(f"Matrix #{progress.matrix_id}: {progress.text}.")

    def _render(self) -> None:
        lines = [f"Matrix #{p.matrix_id}: {p.text}" for p in self.seen.values()]
        self._show_line("\n".join(lines))
        self.panel.update_progress()

    def _show_line(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _say(self, line: str) -> None:
        if Shiboken.isValid(self.panel):
            self.panel.status_message.emit(line)


def _as_stored(row: dict[str, Any]) -> BatchProgress:
    """A batch as the store last saw it (before it is checked on again)."""
    counts = json.loads(row.get("counts_json") or "{}")
    return BatchProgress(
        row["id"],
        int(row["matrix_id"]),
        str(row["status"]),
        int(counts.get("total") or 0),
        int(counts.get("completed") or 0),
        int(counts.get("failed") or 0),
    )
