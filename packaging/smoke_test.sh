#!/usr/bin/env bash
# Smoke test of the built package (bash packaging/build.sh first):
#   bash packaging/smoke_test.sh [--dpkg] [--deb FILE]
# Unpacks dist/workbench_<version>_amd64.deb into a scratch root (or, with --dpkg and as root,
# installs it with dpkg -i and purges it afterwards), then: the frozen server speaks a sentence
# and transcribes it back; the app starts under Xvfb with a fresh HOME, shows its window, sends
# "Say hello" to the built-in model, streams the answer and quits; no process is left behind.
# Prints start-to-first-window and launch-to-first-token figures. See packaging/smoke.py.
# With --dpkg it then checks upgrades through the installed app (packaging/upgrade_smoke.py):
# an older package upgraded keeps the data, an old store migrates, a newer one is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || py=python3
deb_args=()
dpkg=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --dpkg) dpkg=1 ;;
    --deb) deb_args=(--deb "${args[i + 1]:-}") ;;
  esac
done
"$py" packaging/smoke.py "$@"
if ((dpkg)); then
  "$py" packaging/upgrade_smoke.py "${deb_args[@]}"
fi
