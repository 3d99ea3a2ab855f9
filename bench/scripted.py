"""The scripted OpenAI-compatible server as its own process, for the Prompt Lab benches.

Its work (answers, batches going validating, in progress, finalizing, completed) is then not
the measured process's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.scripted_server import cli_command


@contextmanager
def scripted_process(api_key: str) -> Iterator[str]:
    """Yields the server's base URL; it answers "A short answer." at once, as gpt-4o-mini."""
    argv = cli_command(text="A short answer.", delay=0.0, api_key=api_key, model="gpt-4o-mini")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[1]
    finally:
        process.terminate()
        process.wait(10)
