"""The SDK's resource modules are imported by the start-up preload (a worker thread), not on the
UI thread at the first send: the SDK imports them on first use (`client.chat`: 17-27 ms)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import openai
used = ("openai.resources.chat.completions", "openai.resources.audio.speech",
        "openai.resources.audio.transcriptions", "openai.resources.images")
print("before", sorted(m for m in used if m in sys.modules))
from workbench.services.connector import preload_sdk
preload_sdk()
print("after", sorted(m for m in used if m in sys.modules))
"""


def test_the_preload_imports_the_resources_a_first_send_would() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "before []", before  # the SDK alone leaves them for later
    assert after.count("openai.resources") == 4, after
