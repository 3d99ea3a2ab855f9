"""The mask editor driven as a user would: strokes with the mouse, erase with the right button,
undo and redo with the keyboard, brush size with `[` and `]`. What is checked is what the images
API would receive: a PNG of the image's size, alpha 0 where the user painted, 255 elsewhere."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication, QMainWindow

from workbench.ui.widgets.mask_editor import MaskEditor

BLUE = QColor("#3070b0")
MIDDLE_Y = 150


def solid_image(width: int, height: int, colour: QColor = BLUE) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(colour)
    return image


@pytest.fixture
def editor(qtbot) -> MaskEditor:
    """A 400×300 image shown at its own size, so widget and image coordinates are the same."""
    widget = MaskEditor()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    widget.set_image(solid_image(400, 300))
    widget.set_brush(20)
    widget.setFocus()
    return widget


LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def stroke(qtbot, editor: MaskEditor, start: QPoint, end: QPoint, button=LEFT) -> None:
    """Press at `start`, drag in small steps to `end`, release."""
    qtbot.mousePress(editor, button, pos=start)
    steps = 12
    for i in range(1, steps + 1):
        t = i / steps
        point = QPoint(
            round(start.x() + (end.x() - start.x()) * t),
            round(start.y() + (end.y() - start.y()) * t),
        )
        qtbot.mouseMove(editor, point)
    qtbot.mouseRelease(editor, button, pos=end)


def alpha(editor: MaskEditor) -> Image.Image:
    with Image.open(io.BytesIO(editor.mask_png())) as mask:
        assert mask.format == "PNG"
        assert mask.mode == "RGBA"
        return mask.getchannel("A").copy()


def across_the_middle(qtbot, editor: MaskEditor) -> None:
    stroke(qtbot, editor, QPoint(50, MIDDLE_Y), QPoint(350, MIDDLE_Y))


def test_a_new_image_has_an_empty_mask_of_its_own_size(editor: MaskEditor) -> None:
    mask = alpha(editor)
    assert mask.size == (400, 300)
    assert mask.getextrema() == (255, 255)
    assert editor.is_empty()


def test_a_stroke_marks_its_path_for_editing_and_nothing_else(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)

    mask = alpha(editor)
    assert mask.size == (400, 300)
    for x in (50, 120, 200, 280, 350):
        assert mask.getpixel((x, MIDDLE_Y)) == 0, x
    assert mask.getpixel((200, MIDDLE_Y - 8)) == 0  # inside the 20 px brush
    assert mask.getpixel((200, 50)) == 255
    assert mask.getpixel((200, MIDDLE_Y + 14)) == 255  # just outside the brush
    assert mask.getpixel((20, MIDDLE_Y)) == 255  # before the stroke began
    assert mask.getextrema() == (0, 255)  # hard edges: only "edit" or "keep"
    assert not editor.is_empty()


def test_the_painted_part_is_shown_tinted(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)
    shown = editor.grab().toImage()
    assert shown.pixelColor(200, MIDDLE_Y) != BLUE
    assert shown.pixelColor(200, 50) == BLUE


def test_the_right_button_erases(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)
    stroke(qtbot, editor, QPoint(200, 100), QPoint(200, 200), RIGHT)

    mask = alpha(editor)
    assert mask.getpixel((200, MIDDLE_Y)) == 255
    assert mask.getpixel((100, MIDDLE_Y)) == 0
    assert mask.getpixel((300, MIDDLE_Y)) == 0


def test_erase_mode_makes_the_left_button_erase(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)
    editor.set_erasing(True)
    editor.set_brush(400)
    across_the_middle(qtbot, editor)

    assert alpha(editor).getextrema() == (255, 255)
    assert editor.is_empty()


def test_ctrl_z_undoes_a_whole_stroke_and_ctrl_shift_z_redoes_it(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)
    stroke(qtbot, editor, QPoint(200, 40), QPoint(200, 260))

    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    mask = alpha(editor)
    assert mask.getpixel((200, 60)) == 255  # the second stroke is gone…
    assert mask.getpixel((100, MIDDLE_Y)) == 0  # …the first is still there

    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.is_empty()
    assert alpha(editor).getextrema() == (255, 255)

    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(editor, Qt.Key.Key_Z, shift_ctrl)
    assert not editor.is_empty()
    assert alpha(editor).getpixel((100, MIDDLE_Y)) == 0
    qtbot.keyClick(editor, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert alpha(editor).getpixel((200, 60)) == 0


def test_undo_keys_work_even_where_the_window_has_its_own_ctrl_z(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window_undo = QAction("Window undo", window)
    window_undo.setShortcut(QKeySequence("Ctrl+Z"))
    window.addAction(window_undo)
    editor = MaskEditor()
    window.setCentralWidget(editor)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    editor.set_image(solid_image(400, 300))
    window.activateWindow()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    stroke(qtbot, editor, QPoint(50, 150), QPoint(350, 150))

    with qtbot.assertNotEmitted(window_undo.triggered):
        qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.is_empty()


def test_clear_is_one_undoable_step(qtbot, editor) -> None:
    across_the_middle(qtbot, editor)
    stroke(qtbot, editor, QPoint(200, 40), QPoint(200, 260))
    editor.clear()
    assert editor.is_empty()

    editor.undo_stack.undo()
    mask = alpha(editor)
    assert mask.getpixel((100, MIDDLE_Y)) == 0
    assert mask.getpixel((200, 60)) == 0


def painted_height(mask: Image.Image, x: int) -> int:
    return sum(1 for y in range(mask.height) if mask.getpixel((x, y)) == 0)


def test_bracket_keys_change_how_wide_a_stroke_paints(qtbot, editor) -> None:
    for _ in range(3):
        qtbot.keyClick(editor, Qt.Key.Key_BracketRight)
    grown = editor.brush()
    assert grown > 20
    stroke(qtbot, editor, QPoint(50, 80), QPoint(350, 80))
    for _ in range(6):
        qtbot.keyClick(editor, Qt.Key.Key_BracketLeft)
    shrunk = editor.brush()
    assert shrunk < 20
    stroke(qtbot, editor, QPoint(50, 220), QPoint(350, 220))

    mask = alpha(editor)
    top, bottom = mask.crop((0, 0, 400, MIDDLE_Y)), mask.crop((0, MIDDLE_Y, 400, 300))
    assert abs(painted_height(top, 200) - grown) <= 2
    assert abs(painted_height(bottom, 200) - shrunk) <= 2


def test_ctrl_wheel_changes_the_brush(qtbot, editor) -> None:
    def wheel(notches: int, modifiers: Qt.KeyboardModifier) -> None:
        event = QWheelEvent(
            QPointF(200, 150),
            editor.mapToGlobal(QPointF(200, 150)),
            QPoint(),
            QPoint(0, 120 * notches),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(editor, event)

    wheel(1, Qt.KeyboardModifier.ControlModifier)
    assert editor.brush() > 20
    wheel(-2, Qt.KeyboardModifier.ControlModifier)
    assert editor.brush() < 20
    before = editor.brush()
    wheel(1, Qt.KeyboardModifier.NoModifier)
    assert editor.brush() == before


def test_a_large_image_in_a_small_widget_is_painted_where_it_is_shown(qtbot) -> None:
    editor = MaskEditor()
    qtbot.addWidget(editor)
    editor.resize(400, 300)
    editor.show()
    editor.set_image(solid_image(2048, 1024))  # shown 400×200, with 50 px above and below
    editor.set_brush(40)

    stroke(qtbot, editor, QPoint(10, 20), QPoint(390, 20))  # in the margin above the image
    assert editor.is_empty()

    stroke(qtbot, editor, QPoint(20, 150), QPoint(380, 150))  # across the middle
    mask = alpha(editor)
    assert mask.size == (2048, 1024)
    for x in (200, 1024, 1800):
        assert mask.getpixel((x, 512)) == 0, x
    assert mask.getpixel((1024, 512 - 18)) == 0  # the brush is 40 image pixels…
    assert mask.getpixel((1024, 512 + 24)) == 255  # …not 40 screen pixels
    assert mask.getpixel((1024, 100)) == 255
    assert mask.getpixel((1024, 900)) == 255
    assert mask.getpixel((40, 512)) == 255  # the stroke began at x ≈ 102


def test_changed_is_announced_once_per_stroke_and_per_undo(qtbot, editor) -> None:
    seen: list[bool] = []
    editor.changed.connect(lambda: seen.append(True))
    across_the_middle(qtbot, editor)
    assert len(seen) == 1
    editor.undo_stack.undo()
    assert len(seen) == 2


def test_the_image_is_sent_as_an_rgba_png_of_its_own_size(editor: MaskEditor) -> None:
    with Image.open(io.BytesIO(editor.image_png())) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.size == (400, 300)
        assert image.getpixel((10, 10)) == (BLUE.red(), BLUE.green(), BLUE.blue(), 255)


def test_no_image_means_nothing_to_send(qtbot) -> None:
    editor = MaskEditor()
    qtbot.addWidget(editor)
    assert editor.is_empty()
    with pytest.raises(ValueError, match="no image"):
        editor.mask_png()
