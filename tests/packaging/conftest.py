"""The tests that run the built package (marker `packaging`) run only when asked for with
`-m packaging`: they take minutes, and the upgrade test installs and purges the package with
dpkg, which must not happen inside anyone's everyday `pytest -m "not e2e"` just because a .deb
lies in dist/."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "packaging" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="runs the built package: ask for it with `-m packaging`")
    for item in items:
        if item.get_closest_marker("packaging") is not None:
            item.add_marker(skip)
