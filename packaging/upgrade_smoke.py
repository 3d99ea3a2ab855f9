"""Upgrades, through the installed app: run as root after `bash packaging/build.sh`.

    python packaging/upgrade_smoke.py [--deb dist/workbench_X_amd64.deb]

1. An older package (the same build repacked with a lower Version and a file only it has) is
   installed with dpkg and the app starts a session in a fresh HOME; the built package installed
   over it replaces the files, and the upgraded app opens the same store with the session kept.
2. A store written at an older schema version (made with the repository's own migrations,
   `migrate(db, upto=1)`) is migrated when the installed app opens it: a backup of the old file
   is kept, the old messages stay and are found by search.
3. A store from a newer schema (user_version above the app's latest) is refused: its dialog comes
   up (found by its title; the log gets the reason it shows), Quit (Escape) ends the app with exit
   status 1, and the file is byte for byte what it was.
The package is purged at the end. It refuses to run when Workbench is already installed here
(it would replace that installation). Standard library, plus the repository's .venv to write a
store at an old schema version with the store's own migrations.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from smoke import (
    PROMPT,
    ROOT,
    _installed,
    assert_nothing_left,
    check,
    deb_to_test,
    fresh_user,
    run_app,
    run_main,
    virtual_screen,
)

BUNDLE = Path("/opt/workbench")
EXE = Path("/usr/bin/workbench")
OLDER_ONLY = "OLDER-PACKAGE-ONLY"
OLD_SCHEMA = 1  # the oldest: every migration runs over data it did not create
REFUSED_TITLE = "can't open its database"
DIALOG_WAIT_S = 60

MAKE_OLD_STORE = """
import sys, sqlite_utils
from workbench.core.clock import utc_now_iso
from workbench.services.store.migrations import migrate
db = sqlite_utils.Database(sys.argv[1])
migrate(db, upto=int(sys.argv[2]))
now = utc_now_iso()
db["sessions"].insert({"id": 1, "title": "Kept from an older version", "created_at": now,
                       "last_used_at": now})
db["messages"].insert_all([
    {"id": 1, "session_id": 1, "role": "user", "content": "What is a marmot?", "created_at": now},
    {"id": 2, "session_id": 1, "parent_id": 1, "role": "assistant",
     "content": "A marmot is a large ground squirrel.", "created_at": now},
])
db.conn.close()
"""


def repo_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


# --- packages ------------------------------------------------------------------------------------
def field(deb: Path, name: str) -> str:
    out = subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True)
    return out.stdout.decode().strip()


def repack_older(deb: Path, scratch: Path) -> tuple[Path, str]:
    """The same package with a lower Version ("~" sorts first) and one file only it has."""
    tree = scratch / "older-tree"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    version = field(deb, "Version") + "~older1"
    control = tree / "DEBIAN" / "control"
    lines = control.read_text().splitlines()
    control.write_text(
        "\n".join(f"Version: {version}" if ln.startswith("Version:") else ln for ln in lines) + "\n"
    )
    (tree / "opt" / "workbench" / OLDER_ONLY).write_text("gone after the upgrade\n")
    older = scratch / f"workbench_{version}_amd64.deb"
    # Uncompressed: it is built and thrown away here, never shipped.
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Znone", "--build", str(tree), str(older)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(tree)
    return older, version


def dpkg_install(deb: Path) -> str:
    subprocess.run(["dpkg", "-i", str(deb)], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "workbench"], check=True, capture_output=True
    )
    return out.stdout.decode()


def purge() -> None:
    subprocess.run(["dpkg", "--purge", "workbench"], check=True, stdout=subprocess.DEVNULL)
    check(not _installed("workbench"), "dpkg --purge removes the package")
    for path in (BUNDLE, EXE, Path("/usr/share/applications/workbench.desktop")):
        check(not path.exists(), f"and {path}")


# --- the store -----------------------------------------------------------------------------------
def rows(db_path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return db.execute(sql).fetchall()


def user_version(db_path: Path) -> int:
    return int(rows(db_path, "PRAGMA user_version")[0][0])


def messages(db_path: Path) -> list[tuple]:
    return rows(db_path, "SELECT id, session_id, role, content FROM messages ORDER BY id")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the three checks ----------------------------------------------------------------------------
def upgrade_keeps_data(deb: Path, scratch: Path, env: dict[str, str]) -> Path:
    """Returns the store the app made (at its latest schema)."""
    print("An upgrade over an older package keeps the user's data")
    older, older_version = repack_older(deb, scratch)
    check(dpkg_install(older) == older_version, f"dpkg -i installs the older {older_version}")
    older.unlink()
    store = Path(env["HOME"]) / ".local" / "share" / "Workbench" / "workbench.db"
    run_app(EXE, env, ["--prompt", PROMPT, "--screenshot", str(scratch / "a.png")], scratch / "r1")
    before = messages(store)
    sessions = rows(store, "SELECT count(*) FROM sessions")[0][0]
    check(len(before) >= 2, f"the older app kept a session in {store} ({len(before)} messages)")

    version = dpkg_install(deb)
    check(version == field(deb, "Version"), f"dpkg -i upgrades it to {version}")
    check(not (BUNDLE / OLDER_ONLY).exists(), "the older package's own file is gone")
    run_app(
        EXE, env, ["--prompt", "Say hi", "--screenshot", str(scratch / "b.png")], scratch / "r2"
    )
    after = messages(store)
    check(after[: len(before)] == before, "the upgraded app kept every message of the older one")
    now = rows(store, "SELECT count(*) FROM sessions")[0][0]
    check(now == sessions + 1 and len(after) > len(before), f"and added its own ({now} sessions)")
    return store


def older_schema_migrates(scratch: Path, env: dict[str, str], latest: int) -> None:
    print(f"A store at schema version {OLD_SCHEMA} is migrated by the installed app")
    data = scratch / "older-schema"
    data.mkdir()
    store = data / "workbench.db"
    subprocess.run(
        [repo_python(), "-c", MAKE_OLD_STORE, str(store), str(OLD_SCHEMA)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    before = messages(store)
    check(user_version(store) == OLD_SCHEMA, f"made an old store ({len(before)} messages)")
    shot = scratch / "migrated.png"
    run_app(EXE, env, ["--data-dir", str(data), "--screenshot", str(shot)], scratch / "r3")
    check(user_version(store) == latest, f"the app migrated it to version {latest}")
    backup = data / f"workbench.v{OLD_SCHEMA}-backup.db"
    check(backup.exists() and user_version(backup) == OLD_SCHEMA, f"and kept {backup.name}")
    check(messages(store) == before, "the old messages are all there")
    found = rows(store, "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'marmot'")
    check(len(found) == 2, "and the search index finds them")


def newer_schema_refused(scratch: Path, env: dict[str, str], made: Path, latest: int) -> None:
    print("A store from a newer version is refused, with the reason, and left untouched")
    data = scratch / "newer-schema"
    data.mkdir()
    store = data / "workbench.db"
    shutil.copyfile(made, store)
    newer = latest + 1
    with contextlib.closing(sqlite3.connect(store)) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = digest(store)
    app = subprocess.Popen(
        [str(EXE), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        windows = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", REFUSED_TITLE],
            env=env,
            capture_output=True,
            text=True,
            timeout=DIALOG_WAIT_S,
        ).stdout.split()
        check(windows, f"a dialog titled “Workbench {REFUSED_TITLE}” comes up")
        # The dialog's text is not readable from outside (Qt's Ctrl+C copy of a message box is
        # Windows-only); the log gets the same words as it opens, and a picture is kept.
        subprocess.run(["import", "-window", "root", str(scratch / "refused.png")], env=env)
        subprocess.run(["xdotool", "windowfocus", "--sync", windows[0]], env=env, check=True)
        subprocess.run(["xdotool", "key", "Escape"], env=env, check=True)
        app.wait(30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    check(app.returncode == 1, f"Quit ends the app with exit status 1 ({app.returncode})")
    check("Traceback" not in (app.stderr.read() if app.stderr else ""), "with no traceback")
    check(digest(store) == before, "the newer store is byte for byte what it was")
    # Only the data folder's lock file (single instance) may be new beside it.
    left = sorted(p.name for p in data.glob("workbench*.db*") if p.name != "workbench.db.lock")
    check(left == ["workbench.db"], f"nothing set aside or left beside it ({left})")
    logged = (data / "logs" / "workbench.log").read_text()
    reason = f"written by a newer Workbench (schema version {newer}"
    check(reason in logged, f"the reason, as the dialog showed it, is in the log: {reason}…")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", help="the .deb to test (default: the newest in dist/)")
    args = parser.parse_args(argv)
    deb = deb_to_test(args.deb, ("dpkg", "Xvfb", "xdotool", "import"), "upgrade test")
    if deb is None:
        return 2
    if os.geteuid() != 0:
        print("The upgrade test installs packages with dpkg: run it as root.", file=sys.stderr)
        return 2
    if _installed("workbench") or BUNDLE.exists():
        print("Workbench is installed here already: this test would replace it.", file=sys.stderr)
        return 2
    print(f"Upgrade test of {deb}")
    with tempfile.TemporaryDirectory(prefix="workbench-upgrade-") as tmp:
        scratch = Path(tmp)
        env = fresh_user(scratch)
        try:
            with virtual_screen() as display:
                env["DISPLAY"] = display
                made = upgrade_keeps_data(deb, scratch, env)
                latest = user_version(made)
                older_schema_migrates(scratch, env, latest)
                newer_schema_refused(scratch, env, made, latest)
            assert_nothing_left(BUNDLE, "the upgrade checks")
        finally:
            if _installed("workbench") or BUNDLE.exists():
                purge()
    print("UPGRADE PASSED")
    return 0


if __name__ == "__main__":
    run_main(main, "UPGRADE")
