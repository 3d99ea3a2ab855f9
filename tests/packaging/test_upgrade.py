"""Upgrading the installed package, through the installed app: an older package upgraded in place
keeps the user's sessions, a store from an older schema migrates, one from a newer schema is
refused with the reason in a dialog and left untouched. Then the package is purged.

It installs packages with dpkg, so it runs only as root, with a built .deb (`bash
packaging/build.sh`), and never when Workbench is installed on the machine already. The checks
live in packaging/upgrade_smoke.py, which `bash packaging/smoke_test.sh --dpkg` also runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.test_installed_smoke import ROOT, _built_deb

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


def test_upgrades_keep_data_migrate_old_stores_and_refuse_newer_ones() -> None:
    deb = _built_deb()
    if deb is None:
        pytest.skip("no built .deb in dist/: `bash packaging/build.sh` makes one (CI does not)")
    if os.geteuid() != 0:
        pytest.skip("installs the package with dpkg: needs root")
    if Path("/opt/workbench").exists():
        pytest.skip("Workbench is installed on this machine: the test would replace it")
    for tool in ("dpkg", "Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "upgrade_smoke.py"), "--deb", str(deb)],
        capture_output=True,
        text=True,
        timeout=850,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "UPGRADE PASSED" in result.stdout
    assert not Path("/opt/workbench").exists()  # purged again
