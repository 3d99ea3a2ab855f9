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


def compat_folder(version: str) -> Path:
    folder = Path(sys.prefix) / "compat" / f"openai-{version}"
    assert (folder / "openai").is_dir(), (
        f"openai {version}, the lowest pyproject.toml allows, is not in {folder}. "
        "Run the install step, `bash packaging/install.sh`, which puts it there."
    )
    return folder


def run_with_openai(folder: Path, *arguments: str, timeout: float) -> subprocess.CompletedProcess:
    """`python *arguments` in the repository, with `folder`'s openai first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_probe(folder: Path) -> dict[str, Any]:
    done = run_with_openai(folder, "-m", "tests.support.retry_probe", timeout=90)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_retries_are_shown_on_the_lowest_supported_openai() -> None:
    version = lowest_supported_openai()
    folder = compat_folder(version)

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
    folder = compat_folder(version)
    imported = run_with_openai(folder, "-c", "import openai; print(openai.__version__)", timeout=60)
    assert imported.stdout.strip() == version, imported.stderr
    tests = ["tests/services/test_chat_run.py", "tests/services/test_run_service.py"]
    done = run_with_openai(
        folder, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout[-2000:]
