"""Images in the composer: dropped or pasted, made ready in a worker (upright, downscaled to what
the model uses), priced before sending, sent as image parts, kept in the store and shown again
when the session reopens; refused with a reason when they are not images or the model reads none."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QImage

from tests.support.driving import type_and_send
from tests.support.openapi import assert_valid
from tests.support.scripted_server import Stream
from workbench.app.panels import build_chat
from workbench.core.sessions import Role
from workbench.ui.panels.chat import ChatPanel


@pytest.fixture
def panel(scripted_chat) -> ChatPanel:
    return scripted_chat()


def _photo(tmp_path: Path, width: int = 4000, height: int = 3000, orientation: int = 6) -> Path:
    """A camera-style JPEG stored sideways, with the EXIF tag that says to turn it upright."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height))  # left half blue: shows the turn
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    image.save(path, "JPEG", exif=exif, quality=80)
    return path


def _drop(panel: ChatPanel, *paths: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    assert panel.composer.editor.canInsertFromMimeData(data)
    panel.composer.editor.insertFromMimeData(data)


def _attached(panel: ChatPanel, count: int):
    strip = panel.composer.attachments
    return lambda: len(strip.images()) == count and not strip.busy


def _sent_content(server) -> list:
    body = [r.body for r in server.requests if r.path.endswith("/chat/completions")][-1]
    assert_valid("CreateChatCompletionRequest", body)
    return body["messages"][-1]["content"]


def test_a_dropped_photo_is_upright_downscaled_priced_and_sent(
    panel, ctx, server, qtbot, tmp_path
) -> None:
    panel.params.model.setCurrentText("gpt-4o")
    _drop(panel, _photo(tmp_path))
    qtbot.waitUntil(_attached(panel, 1), timeout=10_000)
    strip = panel.composer.attachments
    # 4000 x 3000 turned upright is 3000 x 4000; gpt-4o uses 768 x 1024 of it: 4 tiles.
    [image] = strip.images()
    assert (image.width, image.height) == (768, 1024)
    assert "765 input tokens" in strip.summary.text() and "$" in strip.summary.text()
    detail = strip.findChild(type(panel.params.model), "attachment_detail")
    detail.setCurrentText("low")
    assert "85 input tokens" in strip.summary.text()

    server.script("chat", Stream(text="A red and blue picture."))
    record = type_and_send(qtbot, panel, "What is in this picture?")
    text, picture = _sent_content(server)
    assert text == {"type": "text", "text": "What is in this picture?"}
    assert picture["type"] == "image_url" and picture["image_url"]["detail"] == "low"
    header, encoded = picture["image_url"]["url"].split(",", 1)
    assert header == "data:image/jpeg;base64"
    sent = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert sent.size == (768, 1024)
    top_left = sent.getpixel((10, 10))
    assert top_left[2] > top_left[0]  # turned: the blue half is now on top
    assert not strip.isVisible() and strip.images() == []  # sent: the composer is clear

    # Kept once in the store, shown under the question, and sent again on regenerate.
    question = next(m for m in panel.path if m.role is Role.USER)
    assert [(i.width, i.height, i.detail) for i in question.images] == [(768, 1024, "low")]
    assert ctx.store.db.execute("SELECT count(*) FROM assets").fetchone()[0] == 1
    server.script("chat", Stream(text="Again: red and blue."))
    panel.regenerate(record.message_id)
    qtbot.waitUntil(lambda: not panel.streams.busy, timeout=10_000)
    assert _sent_content(server)[1]["image_url"]["url"] == picture["image_url"]["url"]

    reopened = build_chat(ctx)
    qtbot.addWidget(reopened)
    reopened.show()
    reopened.open_session(panel.session_id)
    card = reopened.view.cards[question.id]
    [label] = card.images.labels
    assert label.pixmap() is not None and label.pixmap().height() == 160


def test_a_pasted_screenshot_goes_in_as_png(panel, server, qtbot) -> None:
    panel.params.model.setCurrentText("gpt-4.1-mini")
    image = QImage(300, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("green"))
    data = QMimeData()
    data.setImageData(image)
    panel.composer.editor.insertFromMimeData(data)
    qtbot.waitUntil(_attached(panel, 1), timeout=10_000)
    # Patch rule: 10 x 7 patches of 32 px, times gpt-4.1-mini's 1.62.
    assert "114 input tokens" in panel.composer.attachments.summary.text()
    server.script("chat", Stream(text="Green."))
    type_and_send(qtbot, panel, "Colour?")
    assert _sent_content(server)[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_a_model_that_reads_no_images_is_said_before_sending(
    panel, server, qtbot, tmp_path
) -> None:
    panel.params.model.setCurrentText("gpt-3.5-turbo")
    _drop(panel, _photo(tmp_path, 800, 600, 1))
    qtbot.waitUntil(_attached(panel, 1), timeout=10_000)
    strip = panel.composer.attachments
    assert "gpt-3.5-turbo takes no images" in strip.refused.text()
    assert "tokens" not in strip.summary.text()  # no price for what it cannot read
    panel.composer.editor.setPlainText("Describe it")
    panel.composer.send_button.click()
    assert panel.composer.problem.text() == "Not sent."  # the reason stands under the images
    assert not server.requests or all(
        not r.path.endswith("/chat/completions") for r in server.requests
    )
    assert panel.composer.text() == "Describe it"  # the draft stays


def _huge_png_header(width: int, height: int) -> bytes:
    """A PNG that says it is `width` x `height` (an image bomb), with no pixels at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + end


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("notes.txt", b"just some words\n", "is not an image"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "is not an image"),
        ("broken.png", None, "is damaged"),
        ("bomb.png", _huge_png_header(60_000, 60_000), "too large to open safely"),
        ("huge.jpg", "sparse", "images may be at most 50 MB"),
    ],
)
def test_bad_files_are_refused_with_the_reason(panel, qtbot, tmp_path, name, content, said) -> None:
    path = tmp_path / name
    if content is None:  # a real PNG cut in half
        buffer = io.BytesIO()
        Image.new("RGB", (200, 200), "white").save(buffer, "PNG")
        content = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    if content == "sparse":  # 100 MB, without writing 100 MB
        with path.open("wb") as handle:
            handle.truncate(100 * 1024 * 1024)
    else:
        path.write_bytes(content)
    panel.params.model.setCurrentText("gpt-4o")
    _drop(panel, path)
    problem = panel.composer.problem
    qtbot.waitUntil(lambda: said in problem.text(), timeout=10_000)
    assert name in problem.text()
    assert panel.composer.attachments.images() == []


def test_a_bmp_is_sent_as_png(panel, qtbot, tmp_path) -> None:
    path = tmp_path / "scan.bmp"
    Image.new("RGB", (64, 48), "white").save(path, "BMP")
    panel.params.model.setCurrentText("gpt-4o")
    _drop(panel, path)
    qtbot.waitUntil(_attached(panel, 1), timeout=10_000)
    assert panel.composer.attachments.images()[0].mime == "image/png"


def test_exports_carry_the_images(panel, ctx, server, qtbot, tmp_path) -> None:
    import json

    _drop(panel, _photo(tmp_path, 900, 600, 1))
    qtbot.waitUntil(_attached(panel, 1), timeout=10_000)
    [image] = panel.composer.attachments.images()
    server.script("chat", Stream(text="A picture."))
    type_and_send(qtbot, panel, "Look")
    out = tmp_path / "out"
    out.mkdir()
    panel.export_to(out / "Look.md")
    assert "![Image 1](<Look_images/1.jpg>)" in (out / "Look.md").read_text()
    assert (out / "Look_images" / "1.jpg").read_bytes() == image.data
    panel.export_to(out / "Look.json")
    [shown] = json.loads((out / "Look.json").read_text())["messages"][0]["images"]
    assert shown["url"] == "data:image/jpeg;base64," + base64.b64encode(image.data).decode()
    assert (shown["width"], shown["height"]) == (900, 600)
