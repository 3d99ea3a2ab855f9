"""The frozen built-in server starts and answers: `workbench --local-server` prints READY, then
lists its models to a request with its token. For the Windows and macOS jobs, where the Linux
smoke test (Xvfb, dpkg) does not run. Standard library only.

    python packaging/check_frozen_server.py PATH/TO/workbench[.exe]
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.request

READY_WITHIN_S = 300  # a cold first start on a hosted runner (antivirus scans every DLL)


def main(exe: str) -> int:
    token = secrets.token_urlsafe(24)
    started = time.monotonic()
    server = subprocess.Popen(
        [exe, "--local-server", "--port", "0", "--parent-pid", str(os.getpid())],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "WORKBENCH_LOCAL_TOKEN": token},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in server.stdout], daemon=True).start()
    try:
        url = None
        while url is None and time.monotonic() - started < READY_WITHIN_S:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if server.poll() is not None:
                    break
                continue
            if line.startswith("READY "):
                url = line.split(maxsplit=1)[1].strip()
        if url is None:
            print(f"the server never printed READY (exit {server.poll()})", file=sys.stderr)
            return 1
        print(f"READY {url} after {time.monotonic() - started:.1f} s")
        request = urllib.request.Request(
            f"{url}/models", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            models = [m["id"] for m in json.load(response)["data"]]
        print(f"models: {models}")
        return 0 if models else 1
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
