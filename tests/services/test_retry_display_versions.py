"""Retries are shown on the lowest openai the project allows, not only on the newest.

`bash packaging/install.sh` (the install step, also CI's) puts that openai, with the httpx it
sends through, in .venv/compat/openai-<version>; the retry scenarios then run in a subprocess
with that folder first on PYTHONPATH, against the scripted server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.support.retry_probe import ANSWER, EXPECTED_LINES

REPO = Path(__file__).resolve().parents[2]


def lowest_supported_openai() -> str:
    """The lower bound on openai in pyproject.toml, read as install.sh reads it."""
    with (REPO / "pyproject.toml").open("rb") as f:
        deps: list[str] = tomllib.load(f)["project"]["dependencies"]
    for dep in deps:
        if match := re.match(r"openai\s*>=\s*([\w.]+)", dep):
            return match[1]
    raise AssertionError("pyproject.toml gives openai no lower bound")


def run_probe(folder: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.retry_probe"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_retries_are_shown_on_the_lowest_supported_openai() -> None:
    version = lowest_supported_openai()
    folder = Path(sys.prefix) / "compat" / f"openai-{version}"
    assert (folder / "openai").is_dir(), (
        f"openai {version}, the lowest pyproject.toml allows, is not in {folder}. "
        "Run the install step, `bash packaging/install.sh`, which puts it there."
    )

    report = run_probe(folder)

    assert report["openai_version"] == version
    assert Path(report["openai_file"]).is_relative_to(folder)
    for name, lines in EXPECTED_LINES.items():
        assert report["scenarios"][name]["retry_lines"] == lines, name
    assert report["scenarios"]["dropped connection"]["answer"] == ANSWER
