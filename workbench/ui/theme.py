"""Follow the OS light/dark scheme with Qt's Fusion style, which honours the palette everywhere."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


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
    app.setPalette(_dark_palette() if is_dark() else app.style().standardPalette())


def set_appearance(app: QApplication, appearance: Appearance) -> None:
    """The user's choice in View ▸ Appearance; SYSTEM follows the OS as it changes."""
    global _chosen
    _chosen = appearance
    apply_scheme(app)


def follow_system_scheme(app: QApplication) -> None:
    app.setStyle("Fusion")
    apply_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_scheme(app))
