#!/usr/bin/env bash
# Smoke test of the built package (bash packaging/build.sh first):
#   bash packaging/smoke_test.sh [--dpkg] [--deb FILE]
# Unpacks dist/workbench_<version>_amd64.deb into a scratch root (or, with --dpkg and as root,
# installs it with dpkg -i and purges it afterwards), then: the frozen server speaks a sentence
# and transcribes it back; the app starts under Xvfb with a fresh HOME, shows its window, sends
# "Say hello" to the built-in model, streams the answer and quits; no process is left behind.
# Prints start-to-first-window and launch-to-first-token figures. See packaging/smoke.py.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || py=python3
exec "$py" packaging/smoke.py "$@"
