#!/usr/bin/env bash
# Installs Workbench for this checkout: the system libraries Qt needs (Debian/Ubuntu), a virtual
# environment in .venv with the app and its test tools. With --run, launches the app afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

run_after=0
for arg in "$@"; do
  case "$arg" in
    --run) run_after=1 ;;
    -h|--help) echo "usage: bash packaging/install.sh [--run]"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system libraries --------------------------------------------------------------------------
# Qt's xcb platform plugin, EGL/GL, PulseAudio client for QtMultimedia, Xvfb for screenshots.
apt_packages=(
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libpulse0
  xvfb xauth espeak-ng sox
)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
    if [ "$sudo" = none ]; then
      echo "Please install these system packages first, as root:" >&2
      echo "  apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    say "Installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "Not a Debian-like system: make sure Qt 6's xcb libraries (libxcb-cursor0 and friends) are installed." >&2
fi

# --- Python ------------------------------------------------------------------------------------
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate; break
  fi
done
[ -n "$python" ] || { echo "Workbench needs Python 3.11 or newer (apt-get install python3.11 python3.11-venv)." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
say "Installing Workbench and its dependencies into .venv"
.venv/bin/python -m pip install --quiet --upgrade pip
# A portable llama.cpp build: the native one takes an AMX path that crashes on some CPUs.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" .venv/bin/python -m pip install --quiet -e ".[dev]"
say "Installed: $(.venv/bin/workbench --version)"

# The lowest openai pyproject.toml allows, in a folder of its own beside .venv's newest one, for
# tests/services/test_retry_display_versions.py (it puts this folder first on PYTHONPATH).
# openai 3 sends through httpx2, 1.x and 2.x through httpx, so httpx and its pieces that .venv
# lacks go in the same folder, pinned to the versions that test was run with.
openai_lowest=$(.venv/bin/python -c '
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(next(m[1] for d in deps if (m := re.match(r"openai\s*>=\s*([\w.]+)", d))))')
compat=".venv/compat/openai-$openai_lowest"
say "Installing openai $openai_lowest into $compat for the compatibility test"
.venv/bin/python -m pip install --quiet --no-deps --upgrade --target "$compat" \
  "openai==$openai_lowest" httpx==0.28.1 httpcore==1.0.9 distro==1.9.0

if ((run_after)); then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec .venv/bin/workbench
  fi
  say "No display here: running Workbench on a virtual screen and saving its window to workbench-window.png"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/workbench --screenshot workbench-window.png
fi
