"""Renders the app's SVG icon as a square PNG (for the .deb, and for PyInstaller to turn into
the Windows .ico or the macOS .icns):

    QT_QPA_PLATFORM=offscreen python packaging/render_icon.py SVG PNG [SIZE]
"""

import sys

from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def main(svg: str, png: str, size: int = 256) -> None:
    app = QGuiApplication([])  # noqa: F841 (painting needs one)
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(svg).render(painter)
    painter.end()
    if not image.save(png):
        raise SystemExit(f"could not write the PNG icon {png}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 256)
