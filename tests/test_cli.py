"""The `workbench` command as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from workbench import __version__


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"Workbench {__version__}"


def test_screenshot_shows_the_window_and_uses_the_given_data_dir(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    data = tmp_path / "data"
    result = _run("--data-dir", str(data), "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    # The offscreen platform's screen is 800x800: the window fills most of it, never more.
    assert 600 <= image.width() <= 800 and 500 <= image.height() <= 800
    assert (
        len(
            {
                image.pixel(x, y)
                for x in range(0, image.width(), 5)
                for y in range(0, image.height(), 5)
            }
        )
        > 5
    ), "not a blank image"
    assert (data / "workbench.db").exists() and (data / "settings.ini").exists()
