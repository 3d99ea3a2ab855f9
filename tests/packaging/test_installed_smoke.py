"""The built .deb, installed: the app starts under Xvfb, streams an answer from its built-in model,
the frozen server speaks and transcribes, and nothing is left running afterwards.

This needs a package built by `bash packaging/build.sh` (several minutes; CI does not build one),
so it skips when dist/ holds no .deb. The checks themselves live in packaging/smoke.py, which
`bash packaging/smoke_test.sh` also runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


def _built_deb() -> Path | None:
    debs = sorted((ROOT / "dist").glob("workbench_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1] if debs else None


def test_the_installed_app_answers_transcribes_and_leaves_nothing_running(tmp_path: Path) -> None:
    deb = _built_deb()
    if deb is None:
        pytest.skip("no built .deb in dist/: `bash packaging/build.sh` makes one (CI does not)")
    for tool in ("dpkg-deb", "Xvfb"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    figures = tmp_path / "figures.json"
    smoke = ROOT / "packaging" / "smoke.py"
    result = subprocess.run(
        [sys.executable, str(smoke), "--deb", str(deb), "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=850,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    measured = json.loads(figures.read_text())
    assert measured["launch_to_first_token_s"] < 120
    assert measured["start_to_first_window_s"] < 60
