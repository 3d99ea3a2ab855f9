"""JSON colouring for a text document: keys, strings, numbers, literals and punctuation.

The colours come from the document's widget palette and are derived again when it changes, so
light and dark both read (see `JsonHighlighter.use_palette`).
"""

from __future__ import annotations

import re

from PySide6.QtGui import (
    QColor,
    QFont,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)

from workbench.ui.theme import contrast_ratio, palette_is_dark

# One scan per line: a string (a key when a colon follows), a number, a literal, punctuation.
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\b(?:true|false|null)\b)"
    r"|(?P<punct>[{}\[\],:])"
)

# Hues for light and dark backgrounds: chosen to stay apart from each other and from the red of
# a finding's underline; `_readable` darkens or lightens one that would not read on Base.
_LIGHT = {"key": "#0b5cad", "string": "#0a7a3e", "number": "#a24a00", "literal": "#7c3aad"}
_DARK = {"key": "#7cb8ff", "string": "#8fd694", "number": "#f2b36f", "literal": "#d2a8ff"}
_MIN_CONTRAST = 4.5


def _readable(colour: QColor, base: QColor) -> QColor:
    """`colour`, moved towards black or white until it reads on `base` at body-text contrast."""
    towards = 255 if base.lightness() < 128 else 0
    current = QColor(colour)
    for _ in range(20):
        if contrast_ratio(current, base) >= _MIN_CONTRAST:
            break
        current = QColor(
            *(
                round(v + (towards - v) * 0.15)
                for v in (current.red(), current.green(), current.blue())
            )
        )
    return current


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.use_palette(palette)

    def use_palette(self, palette: QPalette) -> None:
        """Colours for `palette` (its Base is what the text sits on); repaints the document."""
        base = palette.color(QPalette.ColorRole.Base)
        hues = _DARK if palette_is_dark(palette) else _LIGHT
        formats: dict[str, QTextCharFormat] = {}
        for kind, hue in hues.items():
            fmt = QTextCharFormat()
            fmt.setForeground(_readable(QColor(hue), base))
            if kind == "key":
                fmt.setFontWeight(QFont.Weight.DemiBold)
            formats[kind] = fmt
        punct = QTextCharFormat()
        text = palette.color(QPalette.ColorRole.Text)
        # Punctuation a step quieter than the text, still readable.
        punct.setForeground(_readable(QColor.fromRgbF(*_blend(text, base, 0.3)), base))
        formats["punct"] = punct
        if {k: f.foreground().color().name() for k, f in formats.items()} != {
            k: f.foreground().color().name() for k, f in self.formats.items()
        }:
            self.formats = formats
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind == "colon":  # a key's string, then its colon
                start, end = match.span("string")
                self.setFormat(start, end - start, self.formats["key"])
                colon = match.end("colon") - 1
                self.setFormat(colon, 1, self.formats["punct"])
                continue
            start, end = match.span()
            if kind in self.formats:
                self.setFormat(start, end - start, self.formats[kind])


def _blend(a: QColor, b: QColor, t: float) -> tuple[float, float, float]:
    return tuple(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True))  # type: ignore[return-value]
