"""Shared fixtures live in tests/support/fixtures.py; this file registers them and marks the tests
that run the real model."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

pytest_plugins = ["tests.support.fixtures"]

# Everything here runs the built-in model (llama.cpp, faster-whisper) or drills the whole app:
# marked by folder, so `pytest -m "not e2e"` is the quick suite and no test can forget its mark.
E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
