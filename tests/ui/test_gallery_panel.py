"""The Image Gallery as a user meets it: the built-in model says it makes no images and which
endpoints can; a model's own options only; the price before sending; images made, kept, found,
opened large, saved, deleted with undo, dragged into the chat, and edited with a mask."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from tests.support.fixtures import use_scripted_endpoint
from tests.support.scripted_server import Fault, Images, form_fields, png_bytes
from workbench.app.panels import PANELS
from workbench.core.endpoints import EndpointKind
from workbench.ui.panels.gallery import GalleryPanel
from workbench.ui.panels.gallery.viewer import ImageViewer

WAIT_MS = 10_000


def _panel(ctx, qtbot) -> GalleryPanel:
    spec = next(s for s in PANELS if s.key == "gallery")
    panel = spec.build(ctx)
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    return panel


@pytest.fixture
def panel(ctx, server, qtbot) -> GalleryPanel:
    use_scripted_endpoint(ctx, server, EndpointKind.OPENAI)
    return _panel(ctx, qtbot)


def _type_prompt(qtbot, panel: GalleryPanel, text: str) -> None:
    panel.prompt.setFocus()
    qtbot.keyClicks(panel.prompt, text)


def _wheel(widget, delta: int) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _make(qtbot, panel: GalleryPanel, prompt: str, count: int) -> None:
    before = len(panel.grid.items())
    panel.prompt.clear()
    _type_prompt(qtbot, panel, prompt)
    qtbot.keyClick(panel.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(panel.grid.items()) == before + count, timeout=WAIT_MS)


def test_the_built_in_model_says_it_makes_no_images_and_who_can(ctx, server, qtbot) -> None:
    use_scripted_endpoint(ctx, server, EndpointKind.OPENAI, name="My OpenAI")
    ctx.endpoints.set_active("local")
    panel = _panel(ctx, qtbot)
    assert panel.no_model.isVisible()
    assert "makes no images" in panel.no_model.text()
    assert "Endpoints that can: My OpenAI" in panel.no_model.text()
    _type_prompt(qtbot, panel, "A cat")
    assert not panel.go.isEnabled()


def test_each_model_shows_only_its_own_options_and_its_price(panel, qtbot) -> None:
    options = panel.options
    options.model_box.setCurrentText("dall-e-3")
    assert set(options.boxes) == {"size", "quality", "style"}
    assert not options.count.isEnabled()  # dall-e-3 makes one at a time
    assert "Unknown price" in panel.price.text()  # genai-prices has no DALL·E data
    options.model_box.setCurrentText("dall-e-2")
    assert set(options.boxes) == {"size"} and options.count.maximum() == 10
    options.model_box.setCurrentText("gpt-image-1")
    assert set(options.boxes) == {"size", "quality", "background", "output_format", "moderation"}
    options.boxes["quality"].setCurrentText("high")
    options.boxes["size"].setCurrentText("1024x1024")
    assert panel.price.text().startswith("About $0.166 for 1 image")
    options.model_box.setCurrentText("dall-e-2")
    _type_prompt(qtbot, panel, "x" * 1001)
    assert "takes at most 1,000" in panel.problem.text() and not panel.go.isEnabled()


def test_images_are_made_kept_found_and_deleted_with_undo(panel, ctx, server, qtbot) -> None:
    panel.options.model_box.setCurrentText("dall-e-2")
    panel.options.count.setValue(2)
    server.script("images", Images(count=2), Images(count=1))
    _make(qtbot, panel, "A red fox in the snow", 2)
    panel.options.count.setValue(1)
    _make(qtbot, panel, "A blue whale", 1)
    assert [i.caption for i in panel.grid.items()] == [
        "A blue whale",
        "A red fox in the snow",
        "A red fox in the snow",
    ]
    assert panel.count.text() == "3 images"
    qtbot.keyClicks(panel.search, "fox")
    assert [i.caption for i in panel.grid.items()] == ["A red fox in the snow"] * 2
    panel.search.clear()

    # Reopened, the gallery is all there.
    again = _panel(ctx, qtbot)
    assert len(again.grid.items()) == 3

    whale = panel.grid.items()[0].id
    panel.grid.setFocus()
    panel.grid.setCurrentIndex(panel.grid.model().index(0, 0))
    qtbot.keyClick(panel.grid, Qt.Key.Key_Delete)
    assert [i.id for i in panel.grid.items()].count(whale) == 0
    ctx.undo.undo()
    assert panel.grid.items()[0].id == whale


def test_a_refusal_and_a_rate_limit_are_said(panel, server, qtbot) -> None:
    panel.options.model_box.setCurrentText("dall-e-3")
    server.script("images", Fault(400, "Rejected by our safety system.",
                                  code="content_policy_violation"))  # fmt: skip
    _type_prompt(qtbot, panel, "Something")
    qtbot.keyClick(panel.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    failure = panel.failure
    qtbot.waitUntil(lambda: "Refused by the content policy" in failure.text(), timeout=WAIT_MS)
    assert panel.grid.items() == () and panel.go.isEnabled()
    server.script("images", Fault(429, "Rate limit reached for images.", retry_after=3))
    panel.generate()
    qtbot.waitUntil(lambda: "Rate limit reached" in failure.text(), timeout=WAIT_MS)
    assert failure.isVisible()


def test_opened_large_saved_in_three_formats_and_copied(panel, server, qtbot, tmp_path) -> None:
    server.script("images", Images(size=(96, 64), revised_prompt="A calm fox."))
    panel.options.model_box.setCurrentText("dall-e-3")
    _make(qtbot, panel, "A fox", 1)
    panel.open_large(panel.grid.items()[0].id)
    viewer = panel.findChild(ImageViewer)
    assert viewer is not None
    qtbot.waitExposed(viewer)
    assert viewer.findChild(type(panel.count), "image_revised").text() == (
        "Revised prompt: A calm fox."
    )
    start = viewer.view.zoom
    _wheel(viewer.view.viewport(), 120)  # the wheel zooms in
    assert viewer.view.zoom > start
    _wheel(viewer.view.viewport(), -120)
    assert viewer.view.zoom == pytest.approx(start)
    for name, fmt in (("a.png", "PNG"), ("b.webp", "WEBP"), ("c.jpg", "JPEG")):
        assert viewer.save_to(tmp_path / name)
        with Image.open(tmp_path / name) as saved:
            assert saved.format == fmt and saved.size == (96, 64)
    viewer.copy()
    assert QApplication.clipboard().image().size().width() == 96
    viewer.close()


def test_an_image_dragged_into_the_chat_joins_the_message(panel, ctx, server, qtbot) -> None:
    from workbench.app.panels import build_chat

    server.script("images", Images(size=(80, 80)))
    panel.options.model_box.setCurrentText("dall-e-2")
    _make(qtbot, panel, "A red square", 1)
    mime = panel.grid.model().mimeData([panel.grid.model().index(0, 0)])
    chat = build_chat(ctx)
    qtbot.addWidget(chat)
    chat.show()
    chat.params.model.setCurrentText("gpt-4o")
    assert chat.composer.editor.canInsertFromMimeData(mime)
    chat.composer.editor.insertFromMimeData(mime)
    strip = chat.composer.attachments
    qtbot.waitUntil(lambda: len(strip.images()) == 1 and not strip.busy, timeout=WAIT_MS)
    assert (strip.images()[0].width, strip.images()[0].height) == (80, 80)


def test_an_edit_with_a_painted_mask(panel, ctx, server, qtbot) -> None:
    from workbench.ui.panels.gallery.edit_dialog import EditDialog

    server.script("images", Images(size=(256, 256)), Images(size=(256, 256)))
    panel.options.model_box.setCurrentText("dall-e-2")
    _make(qtbot, panel, "A room", 1)
    source = panel.grid.items()[0].id
    panel.open_editor(source)
    dialog = panel.findChild(EditDialog)
    qtbot.waitExposed(dialog)
    dialog.submit()
    assert "Paint over the part to change first." in dialog.problem.text()
    editor = dialog.editor
    middle = editor.rect().center()
    qtbot.mousePress(editor, Qt.MouseButton.LeftButton, pos=middle - QPoint(40, 0))
    qtbot.mouseMove(editor, middle)
    qtbot.mouseMove(editor, middle + QPoint(40, 0))
    qtbot.mouseRelease(editor, Qt.MouseButton.LeftButton, pos=middle + QPoint(40, 0))
    assert not editor.is_empty()
    dialog.prompt.setPlainText("Add a window")
    dialog.submit()
    qtbot.waitUntil(lambda: len(panel.grid.items()) == 2, timeout=WAIT_MS)
    [edit] = [r for r in server.requests if r.path == "/v1/images/edits"]
    fields = form_fields(edit)
    mask = Image.open(io.BytesIO(fields["mask"]))
    assert mask.size == (256, 256) and mask.getpixel((128, 128))[3] == 0
    assert mask.getpixel((5, 5))[3] == 255
    assert fields["prompt"] == "Add a window" and fields["image"] == fields["image"]
    newest = ctx.store.gallery.get(panel.grid.items()[0].id)
    assert newest.source_id == source and newest.kind == "image.edit"
    assert png_bytes((256, 256)) == ctx.store.gallery.data(newest.id)


def test_a_non_square_image_is_refused_for_a_dall_e_2_edit(panel, ctx, server, qtbot) -> None:
    from workbench.ui.panels.gallery.edit_dialog import EditDialog

    server.script("images", Images(size=(200, 100)))
    panel.options.model_box.setCurrentText("dall-e-2")
    _make(qtbot, panel, "A wide room", 1)
    panel.open_editor(panel.grid.items()[0].id)
    dialog = panel.findChild(EditDialog)
    dialog.model.setCurrentText("dall-e-2")
    dialog.prompt.setPlainText("Anything")
    dialog.submit()
    assert "square" in dialog.problem.text()
    assert not [r for r in server.requests if r.path == "/v1/images/edits"]


def test_the_gallery_is_a_hidden_dock_on_ctrl_shift_g(tmp_path: Path) -> None:
    spec = next(s for s in PANELS if s.key == "gallery")
    assert (spec.title, spec.shortcut, spec.visible) == ("Image Gallery", "Ctrl+Shift+G", False)


def test_thumbnails_are_drawn_from_worker_threads(panel, server, qtbot) -> None:
    server.script("images", Images(count=3))
    panel.options.model_box.setCurrentText("dall-e-2")
    panel.options.count.setValue(3)
    _make(qtbot, panel, "Three squares", 3)
    failures: list[tuple[int, str]] = []
    panel.grid.thumbnail_failed.connect(lambda i, why: failures.append((i, why)))
    ids = [i.id for i in panel.grid.items()]
    qtbot.waitUntil(lambda: all(panel.grid.has_thumbnail(i) for i in ids), timeout=WAIT_MS)
    assert failures == []


def test_an_image_of_ones_own_is_edited_and_one_dropped_in_replaces_it(
    panel, ctx, server, qtbot
) -> None:
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent

    from workbench.ui.panels.gallery.edit_dialog import EditDialog

    panel.edit_bytes(b"not an image")
    assert panel.findChild(EditDialog) is None
    panel.edit_bytes(png_bytes((64, 64), 1))
    dialog = panel.findChild(EditDialog)
    qtbot.waitExposed(dialog)
    dropped = QMimeData()
    dropped.setData("image/png", png_bytes((128, 128), 2))
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        dropped,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(event)
    assert dialog.editor.image().width() == 128 and dialog.source is None
    server.script("images", Images(size=(128, 128)))
    middle = dialog.editor.rect().center()
    qtbot.mousePress(dialog.editor, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseMove(dialog.editor, middle + QPoint(20, 0))
    qtbot.mouseRelease(dialog.editor, Qt.MouseButton.LeftButton, pos=middle + QPoint(20, 0))
    dialog.model.setCurrentText("gpt-image-1")
    dialog.prompt.setPlainText("A door")
    dialog.submit()
    qtbot.waitUntil(lambda: len(panel.grid.items()) == 1, timeout=WAIT_MS)
    [edit] = [r for r in server.requests if r.path == "/v1/images/edits"]
    sent = Image.open(io.BytesIO(form_fields(edit)["image"]))
    assert sent.size == (128, 128)  # the dropped image, not the first one
    assert ctx.store.gallery.get(panel.grid.items()[0].id).source_id is None


def test_a_gpt_image_request_shows_its_rough_drafts(panel, ctx, server, qtbot) -> None:
    drafts: list[str] = []
    panel.status_message.connect(lambda line: drafts.append(line) if "draft" in line else None)
    server.script("images", Images(size=(64, 64)))
    panel.options.model_box.setCurrentText("gpt-image-1")
    _make(qtbot, panel, "A fox", 1)
    assert drafts == [
        "Rough draft 1: the image is coming…",
        "Rough draft 2: the image is coming…",
    ]
    [sent] = [r for r in server.requests if r.path == "/v1/images/generations"]
    assert sent.body["stream"] is True and sent.body["partial_images"] == 2
    assert not panel.preview.isVisible()  # gone once the image is in the gallery


def test_an_image_that_would_pass_the_budget_asks_first(panel, ctx, server, qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.support.driving import answer_question_box
    from workbench.ui.budget_guard import DONT_SEND

    ctx.budget.set_daily_budget(0.05)  # a high-quality gpt-image-1 image is about $0.17
    panel.options.model_box.setCurrentText("gpt-image-1")
    panel.options.boxes["quality"].setCurrentText("high")
    panel.options.boxes["size"].setCurrentText("1024x1024")
    seen: list[QMessageBox] = []
    answer_question_box(DONT_SEND, seen, expect_default=DONT_SEND)
    _type_prompt(qtbot, panel, "A very detailed fox")
    qtbot.keyClick(panel.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(seen) == 1 and "budget" in seen[0].text().lower()
    qtbot.wait(200)
    assert not [r for r in server.requests if r.path.startswith("/v1/images/")]
    assert panel.grid.items() == () and panel.prompt.toPlainText() == "A very detailed fox"
