"""Follow the OS light/dark scheme with Qt's Fusion style, which honours the palette everywhere.

Colours that are not plain palette roles (quiet secondary text, charts) are derived from the
current palette here, and re-derived when it changes (`QEvent.PaletteChange`): a colour fixed when
a widget was built would stay light-on-light after a switch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    import pyqtgraph as pg

BODY_CONTRAST = 4.5  # WCAG AA for body text
_QUIET_CONTRAST = 4.8  # a little above it: the window behind a label is not always exactly Window
FOCUS_FRAME_WIDTH = 2
PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(37, 37, 40), QColor(28, 28, 31), QColor(230, 230, 232)
    accent = QColor(77, 144, 254)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(44, 44, 48),
        QPalette.ColorRole.ToolTipBase: QColor(50, 50, 54),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 146),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(48, 48, 52),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: accent,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 168, 254),
        QPalette.ColorRole.Mid: QColor(60, 60, 64),
        QPalette.ColorRole.Dark: QColor(20, 20, 22),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 125))
    return p


class Appearance(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


_chosen = Appearance.SYSTEM


def is_dark() -> bool:
    if _chosen is Appearance.SYSTEM:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    return _chosen is Appearance.DARK


def apply_scheme(app: QApplication) -> None:
    _install_focus_frames(app)
    app.setPalette(_dark_palette() if is_dark() else app.style().standardPalette())


def set_appearance(app: QApplication, appearance: Appearance) -> None:
    """The user's choice in View ▸ Appearance; SYSTEM follows the OS as it changes."""
    global _chosen
    _chosen = appearance
    apply_scheme(app)


def follow_system_scheme(app: QApplication) -> None:
    apply_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_scheme(app))


# --- colours derived from the palette ----------------------------------------------------------
def relative_luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""
    rgb = (colour.redF(), colour.greenF(), colour.blueF())
    r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 to 21 (4.5 is the floor for body text)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` of the way to `b` (opaque)."""
    return QColor.fromRgbF(
        *(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True))
    )


def quiet_text(palette: QPalette) -> QColor:
    """Secondary text (figures, notes): as far towards the background as it can go while still
    reading at body-text contrast on it."""
    text = palette.color(QPalette.ColorRole.WindowText)
    window = palette.color(QPalette.ColorRole.Window)
    for step in range(10, -1, -1):
        colour = _mix(text, window, step * 0.05)
        if contrast_ratio(colour, window) >= _QUIET_CONTRAST:
            return colour
    return text


def axis_ink(palette: QPalette) -> QColor:
    """Axis lines and ticks: quieter than the tick labels, still plain to see (3:1, as WCAG asks
    of graphics)."""
    text = palette.color(QPalette.ColorRole.WindowText)
    window = palette.color(QPalette.ColorRole.Window)
    for step in range(12, -1, -1):
        colour = _mix(text, window, step * 0.05)
        if contrast_ratio(colour, window) >= 3.0:
            return colour
    return text


def accent(palette: QPalette) -> QColor:
    """The palette's highlight, as a line or text colour on the window."""
    return palette.color(QPalette.ColorRole.Highlight)


def error_text(palette: QPalette) -> QColor:
    """Red for a problem, readable on the palette's window (the light one's red is too dark on
    dark)."""
    return QColor("#f28b82") if palette_is_dark(palette) else QColor("#b3261e")


class _ToneLabel(QLabel):
    """A label in a colour derived from whichever palette is current."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recolour()

    @staticmethod
    def tone(palette: QPalette) -> QColor:
        return palette.color(QPalette.ColorRole.WindowText)

    def _recolour(self) -> None:
        # From the parent's palette: this label's own already holds the derived colour.
        parent = self.parentWidget()
        source = parent.palette() if parent is not None else QApplication.palette()
        colour = self.tone(source)
        if self.palette().color(QPalette.ColorRole.WindowText) != colour:
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            palette.setColor(QPalette.ColorRole.Text, colour)
            self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS or event.type() == QEvent.Type.ParentChange:
            self._recolour()


class QuietLabel(_ToneLabel):
    """Secondary text in the quiet colour of whichever palette is current."""

    tone = staticmethod(quiet_text)


class ErrorLabel(_ToneLabel):
    """A problem, in red readable on whichever palette is current."""

    tone = staticmethod(error_text)


def style_plot(plot: pg.PlotWidget, palette: QPalette) -> None:
    """A pyqtgraph plot in `palette`'s colours: background, axis lines, tick labels and titles
    (pyqtgraph's own defaults are grey on black whatever the app looks like)."""
    ink = palette.color(QPalette.ColorRole.WindowText)
    plot.setBackground(palette.color(QPalette.ColorRole.Window))
    line = axis_ink(palette)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(line)
        axis.setTextPen(ink)  # also the axis title's colour


# --- the keyboard focus frame -------------------------------------------------------------------
_TEXT_FIELDS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
_FRAMES = (QStyle.PrimitiveElement.PE_FrameLineEdit, QStyle.PrimitiveElement.PE_Frame)


def _wants_focus_frame(widget: QWidget | None) -> bool:
    if not isinstance(widget, _TEXT_FIELDS) or not widget.hasFocus():
        return False
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()  # a message being read is no field being typed into
    # A spin box's own line edit has no frame: its box draws the ring.
    inner = isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(), QAbstractSpinBox)
    return not inner


def _draw_focus_frame(option: QStyleOption, painter: QPainter) -> None:
    colour = option.palette.color(QPalette.ColorRole.Highlight)  # type: ignore[attr-defined]
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(colour, FOCUS_FRAME_WIDTH)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    inset = FOCUS_FRAME_WIDTH / 2
    rect = QRectF(option.rect).adjusted(inset, inset, -inset, -inset)  # type: ignore[attr-defined]
    painter.drawRoundedRect(rect, 2, 2)
    painter.restore()


class FocusFrameStyle(QProxyStyle):
    """Fusion, plus a 2 px frame in the highlight colour round the text box or spin box that has
    the keyboard focus: Fusion's own cue is a faint tint, and none at all on multi-line boxes."""

    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element in _FRAMES and _wants_focus_frame(widget):
            _draw_focus_frame(option, painter)

    def drawComplexControl(self, control, option, painter, widget=None) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control == QStyle.ComplexControl.CC_SpinBox and _wants_focus_frame(widget):
            _draw_focus_frame(option, painter)

    def pixelMetric(self, metric, option=None, widget=None) -> int:
        # Multi-line boxes get a frame wide enough for the ring (their text sits inside it).
        if (
            metric == QStyle.PixelMetric.PM_DefaultFrameWidth
            and isinstance(widget, QPlainTextEdit | QTextEdit)
            and not widget.isReadOnly()
        ):
            return max(FOCUS_FRAME_WIDTH, super().pixelMetric(metric, option, widget))
        return super().pixelMetric(metric, option, widget)


def _install_focus_frames(app: QApplication) -> None:
    if not isinstance(app.style(), FocusFrameStyle):
        app.setStyle(FocusFrameStyle("Fusion"))  # the app owns (and deletes) the style
