#!/usr/bin/env bash
# One command from a checkout whose .venv exists (bash packaging/install.sh):
#   bash packaging/build.sh
# builds the PyInstaller one-folder bundle and packs it as
#   dist/workbench-<version>-linux-x86_64.tar.gz   (unpack anywhere, run workbench-<version>/workbench)
#   dist/workbench_<version>_amd64.deb             (installs under /opt/workbench, /usr/bin/workbench)
# then prints the sizes and what takes the space. Offline: PyInstaller comes from the package
# index pip is configured with, everything else from .venv and dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=.venv/bin/python
PYINSTALLER_VERSION=6.22.3

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
[ -x "$PY" ] || { echo "No .venv: run 'bash packaging/install.sh' first." >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "build.sh builds for Linux x86_64 only." >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb is needed (apt-get install dpkg)." >&2; exit 1; }

if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
  say "Installing PyInstaller $PYINSTALLER_VERSION into .venv"
  "$PY" -m pip install --quiet "pyinstaller==$PYINSTALLER_VERSION" pyinstaller-hooks-contrib
fi
# A native llama.cpp build crashes on other CPUs (ARCHITECTURE.md): refuse to ship one.
if grep -aq "GGML_NATIVE=ON\|-march=native" .venv/lib/python3*/site-packages/llama_cpp/lib/libggml-cpu.so 2>/dev/null; then
  echo "warning: llama_cpp looks like a native build; rebuild it with CMAKE_ARGS=-DGGML_NATIVE=OFF" >&2
fi

VERSION=$("$PY" -c 'import workbench; print(workbench.__version__)')
WORK=build/packaging
BUNDLE=$WORK/dist/workbench
mkdir -p dist "$WORK"

say "PyInstaller: one-folder bundle (several minutes on 2 cores; log in $WORK/pyinstaller.log)"
start=$(date +%s)
if ! "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$WORK/dist" --workpath "$WORK/work" packaging/workbench.spec \
    >"$WORK/pyinstaller.log" 2>&1; then
  tail -40 "$WORK/pyinstaller.log" >&2
  echo "PyInstaller failed; full log: $WORK/pyinstaller.log" >&2
  exit 1
fi
say "Bundle built in $(( $(date +%s) - start )) s: $BUNDLE"
"$BUNDLE/workbench" --version

# --- icon: the repository's SVG, and a 256 px PNG for desktops that want one -----------------------
ICON_SVG=resources/icons/workbench.svg
ICON_PNG=$WORK/workbench-256.png
QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icon.py "$ICON_SVG" "$ICON_PNG" 256

# --- tarball -------------------------------------------------------------------------------------
TARNAME=workbench-$VERSION-linux-x86_64
TARDIR=$WORK/tar/$TARNAME
rm -rf "$WORK/tar" && mkdir -p "$TARDIR"
cp -a "$BUNDLE/." "$TARDIR/"
cp packaging/workbench.desktop "$TARDIR/workbench.desktop"
cp "$ICON_SVG" "$TARDIR/workbench.svg"
cp packaging/README.md "$TARDIR/PACKAGING.md"
say "Packing dist/$TARNAME.tar.gz"
tar -C "$WORK/tar" --owner=0 --group=0 --numeric-owner -cf - "$TARNAME" | gzip -6 >"dist/$TARNAME.tar.gz.part"
mv "dist/$TARNAME.tar.gz.part" "dist/$TARNAME.tar.gz"

# --- .deb ----------------------------------------------------------------------------------------
DEBROOT=$WORK/deb/root
rm -rf "$WORK/deb" && mkdir -p "$DEBROOT/DEBIAN" "$DEBROOT/opt" "$DEBROOT/usr/bin" \
  "$DEBROOT/usr/share/applications" "$DEBROOT/usr/share/icons/hicolor/scalable/apps" \
  "$DEBROOT/usr/share/icons/hicolor/256x256/apps" "$DEBROOT/usr/share/doc/workbench"
cp -a "$BUNDLE" "$DEBROOT/opt/workbench"
# A wrapper rather than a symlink: sys.executable stays /opt/workbench/workbench, which the app
# re-invokes with --local-server for its built-in model server.
cat >"$DEBROOT/usr/bin/workbench" <<'SH'
#!/bin/sh
exec /opt/workbench/workbench "$@"
SH
cp packaging/workbench.desktop "$DEBROOT/usr/share/applications/workbench.desktop"
cp "$ICON_SVG" "$DEBROOT/usr/share/icons/hicolor/scalable/apps/workbench.svg"
cp "$ICON_PNG" "$DEBROOT/usr/share/icons/hicolor/256x256/apps/workbench.png"
cp packaging/deb/copyright "$DEBROOT/usr/share/doc/workbench/copyright"
for script in postinst prerm postrm; do
  cp "packaging/deb/$script" "$DEBROOT/DEBIAN/$script"
done
find "$DEBROOT" -type d -exec chmod 755 {} +
find "$DEBROOT" -type f -exec chmod go-w,a+r {} +
chmod 755 "$DEBROOT/usr/bin/workbench" "$DEBROOT/opt/workbench/workbench" \
  "$DEBROOT"/DEBIAN/postinst "$DEBROOT"/DEBIAN/prerm "$DEBROOT"/DEBIAN/postrm
installed_kb=$(du -sk --exclude=DEBIAN "$DEBROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
  packaging/deb/control.in >"$DEBROOT/DEBIAN/control"
DEB=dist/workbench_${VERSION}_amd64.deb
say "Packing $DEB"
# xz on all cores; most of the weight (models, Qt) compresses little, so level 6 is plenty.
# Written under another name and renamed: a half-written .deb must never look like a built one.
rm -f "$DEB"
dpkg-deb --root-owner-group -Zxz -z6 --threads-max="$(nproc)" --build "$DEBROOT" "$DEB.part" >/dev/null
mv "$DEB.part" "$DEB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p' | grep -E 'Package|Version|Installed-Size|Depends'

# --- sizes ---------------------------------------------------------------------------------------
set +o pipefail  # `head` closing its pipe early is not a failure of the report
say "Sizes"
du -sh "$BUNDLE" | sed 's/\t/  bundle folder  /'
ls -l --block-size=M "dist/$TARNAME.tar.gz" "$DEB" | awk '{print $5"  "$9}'
say "Biggest parts of the bundle (_internal/)"
du -sh "$BUNDLE"/_internal/* | sort -rh | head -15
say "Biggest parts of PySide6 in the bundle"
du -sh "$BUNDLE"/_internal/PySide6/* "$BUNDLE"/_internal/PySide6/Qt/* 2>/dev/null | sort -rh | head -10
say "Biggest single files"
find "$BUNDLE" -type f -printf '%s\t%P\n' | sort -rn | head -12 |
  awk -F'\t' '{printf "%6.1fM  %s\n", $1/1048576, $2}'
say "Done: dist/$TARNAME.tar.gz and $DEB (smoke test: bash packaging/smoke_test.sh)"
