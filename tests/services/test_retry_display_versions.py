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


def test_the_run_pipeline_passes_its_tests_on_the_lowest_supported_openai() -> None:
    """Errors in plain words, a stream cut mid-way, stops and retries: the same tests, run with
    the lowest openai first on the path (openai 1.x lets a cut stream out as the HTTP library's
    own error, which must read as a broken stream, not as a bug)."""
    version = lowest_supported_openai()
    folder = Path(sys.prefix) / "compat" / f"openai-{version}"
    assert (folder / "openai").is_dir(), "Run the install step, `bash packaging/install.sh`."
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    imported = subprocess.run(
        [sys.executable, "-c", "import openai; print(openai.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.stdout.strip() == version, imported.stderr
    tests = ["tests/services/test_chat_run.py", "tests/services/test_run_service.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout[-2000:]
