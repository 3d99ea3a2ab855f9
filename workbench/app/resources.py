"""Finding files under resources/, from a checkout or from an installed/frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks data files here
    if frozen:
        return Path(frozen) / "resources"
    bundled = Path(__file__).resolve().parents[1] / "resources"  # inside the installed package
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[2] / "resources"  # a source checkout


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / name
