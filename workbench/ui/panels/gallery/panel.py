"""The Image Gallery dock: a prompt and the chosen model's own options, the price before
sending, and a grid of every image made (newest first), searchable by prompt. Double-click (or
Enter) opens an image large; Delete hides it (Edit ▸ Undo brings it back); drag one into the
chat's message box to ask about it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.endpoints import EndpointKind
from workbench.core.gallery import GalleryImage
from workbench.core.image_models import problems
from workbench.core.runs import PartialImage, RunKind
from workbench.services.image_maker import ImageAsk, ImageMaker, ImagesFailed
from workbench.services.run_service import RunService
from workbench.services.store import Store, StoreError
from workbench.services.store.gallery import GalleryReader
from workbench.ui.budget_guard import BudgetGuard
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.panels.gallery.options_form import ImageOptionsForm
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel, QuietLabel
from workbench.ui.widgets.image_grid import GridItem, ImageGrid

# Endpoint kinds that serve OpenAI's image models.
IMAGE_KINDS = (EndpointKind.OPENAI, EndpointKind.AZURE, EndpointKind.CUSTOM)
CAPTION_CHARS = 60
PARTIAL_IMAGES = 2  # rough drafts asked for where the model streams them
PREVIEW_PX = 160
MAX_EDIT_BYTES = 50 * 1024 * 1024  # the API's limit for an edit's image


def grid_item(image: GalleryImage) -> GridItem:
    caption = image.prompt if len(image.prompt) <= CAPTION_CHARS else image.prompt[:59] + "…"
    made = image.created_at[:16].replace("T", " ")
    cost = f"${image.cost_usd:.3f}" if image.cost_usd is not None else "unknown price"
    tip = f"{image.prompt}\n{image.model} · {image.width}×{image.height} · {cost} · {made}"
    if image.revised_prompt:
        tip += f"\nRevised: {image.revised_prompt}"
    return GridItem(image.id, caption or "(no prompt)", tip)


class HideImages(QUndoCommand):
    def __init__(self, panel: GalleryPanel, ids: list[int]) -> None:
        count = len(ids)
        super().__init__(f"Delete {count} image" + ("s" if count > 1 else ""))
        self.panel, self.ids = panel, ids

    def redo(self) -> None:
        self.panel.store.gallery.hide(self.ids)
        self.panel.grid.remove_ids(self.ids)

    def undo(self) -> None:
        self.panel.store.gallery.unhide(self.ids)
        self.panel.reload()


class GalleryPanel(Panel):
    def __init__(
        self,
        store: Store,
        bus: Bus,
        tasks: BackgroundTasks,
        runs: RunService,
        undo: QUndoStack,
        budget: BudgetGuard | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("panel.gallery")
        self.store, self.bus, self.tasks, self.runs = store, bus, tasks, runs
        self.undo, self.budget = undo, budget
        self.maker = ImageMaker(store, runs)
        self._task: asyncio.Task[Any] | None = None

        self.prompt = QPlainTextEdit(self, objectName="image_prompt")
        self.prompt.setPlaceholderText("Describe the image…  Ctrl+Enter makes it · Esc stops")
        self.prompt.setTabChangesFocus(True)
        self.prompt.setMaximumHeight(90)
        self.options = ImageOptionsForm(self)
        self.price = QuietLabel(self, objectName="image_price", wordWrap=True)
        self.problem = ErrorLabel(self, objectName="image_problem", wordWrap=True)
        self.problem.hide()
        # Why the last request made no image (a refusal, a rate limit): until the next one.
        self.failure = ErrorLabel(self, objectName="image_failure", wordWrap=True)
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure.hide()
        self.no_model = QuietLabel(self, objectName="image_no_model", wordWrap=True)
        self.no_model.hide()
        self.go = QPushButton("Generate", self, objectName="image_generate")
        self.go.setToolTip("Make the image (Ctrl+Enter in the prompt)")
        self.go.clicked.connect(self.generate)
        self.edit_file = QPushButton("Edit a file…", self, objectName="image_edit_file")
        self.edit_file.setToolTip("Open an image of your own to edit with a mask")
        self.edit_file.clicked.connect(self.open_file_to_edit)
        self.cancel = QPushButton("Stop", self, objectName="image_stop")
        self.cancel.clicked.connect(self.stop)
        self.cancel.hide()
        # A streamed image's rough draft, while the finished one is on its way.
        self.preview = QLabel(self, objectName="image_partial")
        self.preview.setToolTip("A rough draft: the finished image follows")
        self.preview.hide()
        self.progress = QProgressBar(self, objectName="image_progress", maximum=0)
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.search = QLineEdit(self, objectName="gallery_search", clearButtonEnabled=True)
        self.search.setPlaceholderText("Search prompts…")
        self.search.textChanged.connect(lambda _t: self.reload())
        # Thumbnails are read by worker threads, each with its own connection.
        self.grid = ImageGrid(GalleryReader(store.path).data, parent=self)
        self.grid.activated_id.connect(self.open_large)
        self.grid.delete_requested.connect(self.delete)
        self.count = QuietLabel(self, objectName="gallery_count")
        self._layout()

        # Local to the prompt and the panel: window-wide, they would take the composer's keys.
        for key, owner, slot, context in (
            ("Ctrl+Return", self.prompt, self.generate, Qt.ShortcutContext.WidgetShortcut),
            ("Ctrl+Enter", self.prompt, self.generate, Qt.ShortcutContext.WidgetShortcut),
            ("Esc", self, self.stop, Qt.ShortcutContext.WidgetWithChildrenShortcut),
        ):
            shortcut = QShortcut(QKeySequence(key), owner)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)
        self.prompt.textChanged.connect(self._check)
        self.options.changed.connect(self._check)
        bus.active_endpoint_changed.connect(lambda _id: self._check())
        bus.endpoints_changed.connect(self._check)
        self.reload()
        self._check()

    def sizeHint(self) -> QSize:
        # Room for two rows of thumbnails beside the prompt: the dock opens this tall when it can.
        return QSize(900, 440)

    def _layout(self) -> None:
        maker = QWidget(self)
        column = QVBoxLayout(maker)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(self.no_model)  # first: why nothing can be made here
        column.addWidget(self.prompt)
        column.addWidget(self.options)
        column.addWidget(self.problem)
        column.addWidget(self.failure)
        column.addWidget(self.price)
        column.addWidget(self.preview)
        row = QHBoxLayout()
        row.addWidget(self.edit_file)
        row.addWidget(self.progress, 1)
        row.addStretch(0)
        row.addWidget(self.cancel)
        row.addWidget(self.go)
        column.addLayout(row)
        column.addStretch(1)
        shelf = QWidget(self)
        right = QVBoxLayout(shelf)
        right.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        right.addLayout(top)
        right.addWidget(self.grid, 1)
        # A short dock scrolls the prompt and options rather than cutting them off.
        scroller = QScrollArea(self, objectName="gallery_maker")
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setWidget(maker)
        split = QSplitter(Qt.Orientation.Horizontal, self, objectName="gallery_split")
        split.addWidget(scroller)
        split.addWidget(shelf)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    # --- the grid ------------------------------------------------------------------------------
    def reload(self) -> None:
        images = self.store.gallery.newest(self.search.text())
        self.grid.set_items([grid_item(i) for i in images])
        noun = "image" if len(images) == 1 else "images"
        self.count.setText(f"{len(images):,} {noun}")

    def delete(self, ids: list[int]) -> None:
        if ids and not self.store.read_only:
            self.undo.push(HideImages(self, list(ids)))
            self.status_message.emit("Deleted. Edit ▸ Undo (Ctrl+Z) brings it back.")

    def open_large(self, image_id: int) -> None:
        from workbench.ui.panels.gallery.viewer import ImageViewer

        image = self.store.gallery.get(image_id)
        data = self.store.gallery.data(image_id)
        if image is None or data is None:
            return
        viewer = ImageViewer(image, data, self)
        viewer.edit_requested.connect(self.open_editor)
        viewer.variation_requested.connect(self.vary)
        viewer.show()

    # --- making --------------------------------------------------------------------------------
    def _endpoint_problem(self) -> str | None:
        endpoint = self.runs.endpoint(None)
        if endpoint.kind in IMAGE_KINDS:
            return None
        able = [e.name for e in self.runs.endpoints if e.kind in IMAGE_KINDS]
        where = (
            f"Endpoints that can: {', '.join(able)} (Settings ▸ Endpoints, make one active)."
            if able
            else "Add an OpenAI (or Azure) endpoint in Settings ▸ Endpoints to make images."
        )
        return f"“{endpoint.name}” makes no images (the built-in model writes text only). {where}"

    def ask(self) -> ImageAsk:
        return ImageAsk(self.options.model, self.prompt.toPlainText(), self.options.options())

    def _check(self) -> None:
        if not Shiboken.isValid(self):
            return
        blocked = self._endpoint_problem()
        self.no_model.setText(blocked or "")
        self.no_model.setVisible(bool(blocked))
        ask = self.ask()
        said = problems(ask.model, ask.prompt, ask.options) if ask.prompt.strip() else []
        self.problem.setText("\n".join(said))
        self.problem.setVisible(bool(said))
        price = self.maker.price(ask)
        self.price.setText(
            f"About ${price.usd:.3f} for {ask.options.n} image" + ("s" if ask.options.n > 1 else "")
            if price.usd is not None
            else "Unknown price (genai-prices has none for this model): it is not guessed."
        )
        self.go.setEnabled(not blocked and not said and self._task is None)

    def generate(self) -> None:
        self._check()
        if not self.go.isEnabled():
            if not self.prompt.toPlainText().strip():
                self.problem.setText("Write a prompt first.")
                self.problem.show()
            return
        ask = self.ask()
        drafts = PARTIAL_IMAGES if ask.model.partial_images else 0
        self._start(replace(ask, partials=drafts), "Making the image")

    def vary(self, image_id: int) -> None:
        data = self.store.gallery.data(image_id)
        if data is None:
            return
        from workbench.core.image_models import MODELS, ImageOptions

        ask = ImageAsk(MODELS["dall-e-2"], "", ImageOptions(size="1024x1024"),
                       RunKind.IMAGE_VARIATION, image=data, source_id=image_id)  # fmt: skip
        self._start(ask, "Making a variation")

    def open_editor(self, image_id: int) -> None:
        from workbench.ui.panels.gallery.edit_dialog import EditDialog

        image, data = self.store.gallery.get(image_id), self.store.gallery.data(image_id)
        if image is None or data is None:
            return
        dialog = EditDialog(image, data, self)
        dialog.edit_requested.connect(lambda ask: self._start(ask, "Editing the image"))
        dialog.show()

    def open_file_to_edit(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Edit an image", str(Path.home()), "Images (*.png *.jpg *.jpeg *.webp)"
        )
        if name:
            self.edit_bytes(
                Path(name).read_bytes() if Path(name).stat().st_size <= 50 << 20 else b""
            )

    def edit_bytes(self, data: bytes) -> None:
        """An image of the user's own, to edit (it joins the gallery as the edit's result)."""
        from workbench.ui.panels.gallery.edit_dialog import EditDialog

        if QImage.fromData(data).isNull():
            self.status_message.emit("Not edited: that is not an image (or it is over 50 MB).")
            return
        dialog = EditDialog(None, data, self)
        dialog.edit_requested.connect(lambda ask: self._start(ask, "Editing the image"))
        dialog.show()

    def _start(self, ask: ImageAsk, label: str) -> None:
        if self._task is not None or self.store.read_only:
            return
        blocked = self._endpoint_problem()
        if blocked:
            self.status_message.emit(blocked)
            return
        if self.budget is not None and not self.budget.allows(
            self, lambda: [self.maker.estimate(ask)], say=self.status_message.emit
        ):
            return
        self.failure.hide()
        self._busy(True)
        self._task = self.tasks.start(label, self._make(ask))

    async def _make(self, ask: ImageAsk) -> None:
        try:
            ids = await self.maker.make(ask, on_partial=self._show_partial)
        except ImagesFailed as failed:
            if Shiboken.isValid(self):
                self.failure.setText(str(failed))
                self.failure.show()
                self.status_message.emit(f"No image: {failed}")
            return
        except StoreError as problem:
            if Shiboken.isValid(self):
                self.status_message.emit(f"The image could not be kept: {problem}")
            return
        finally:
            if Shiboken.isValid(self):
                self._task = None
                self._busy(False)
        if Shiboken.isValid(self):
            self.search.clear()
            self.reload()
            noun = "image" if len(ids) == 1 else "images"
            self.status_message.emit(f"{len(ids)} new {noun} in the gallery.")

    def _show_partial(self, partial: PartialImage) -> None:
        if not Shiboken.isValid(self):
            return
        picture = QPixmap()
        if picture.loadFromData(partial.data):
            side = PREVIEW_PX
            self.preview.setPixmap(picture.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
            self.preview.show()
            self.status_message.emit(f"Rough draft {partial.index + 1}: the image is coming…")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.status_message.emit("Stopped: nothing was kept.")

    def _busy(self, busy: bool) -> None:
        if not busy:
            self.preview.hide()
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        self._check()
