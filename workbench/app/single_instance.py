"""One window per data folder: a second launch asks the running one to come forward, then quits.

Two processes on one store would each take the other's live answers for crash leftovers. The
store's folder lock keeps recovery safe whatever happens; this spares the user a second window
that writes the same conversations beside the first. The channel is a QLocalServer named after
the user and the data folder's real path, so two folders (or two users) never meet.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from workbench.services.instance_lock import FolderLock, lock_path

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
ASK = b"ask "  # then the prompt as a JSON string and a newline: come forward and send it
ACTIVATED = b"ok\n"
ANSWER_MS = 2000  # a running app answers within a frame or two; a frozen one is not waited for
RETRY_S = 0.2


def channel_name(data_dir: Path) -> str:
    key = f"{getpass.getuser()}\0{data_dir.resolve()}".encode()
    return "workbench-" + hashlib.sha256(key).hexdigest()[:24]


def ask_running_to_activate(
    data_dir: Path, prompt: str | None = None, timeout_ms: int = ANSWER_MS
) -> bool:
    """True if a Workbench running on `data_dir` answered that it brought its window forward
    (and took `prompt`, `--prompt`'s text, to send in a new session there).

    Blocking, and meant for before the event loop starts: nothing else is on screen yet."""
    socket = QLocalSocket()
    socket.connectToServer(channel_name(data_dir))
    if not socket.waitForConnected(timeout_ms):  # nobody listening (or a stale socket file)
        return False
    socket.write(ACTIVATE if prompt is None else ASK + json.dumps(prompt).encode() + b"\n")
    socket.waitForBytesWritten(timeout_ms)
    answered = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()) == ACTIVATED
    socket.abort()
    return answered


def listen_for_launches(
    data_dir: Path, activate: Callable[[str | None], None], parent: QObject
) -> QLocalServer | None:
    """Answer later launches on `data_dir` by calling `activate` with the prompt they were given
    (or None). Call only while holding the data folder's lock: any socket left under this name
    is then a dead process's, and removed."""
    name = channel_name(data_dir)
    server = QLocalServer(parent)  # parented: deleted on Qt's thread, with the window
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    QLocalServer.removeServer(name)
    if not server.listen(name):
        log.warning("not listening for other launches: %s", server.errorString())
        server.deleteLater()
        return None

    def on_connection() -> None:
        while server.hasPendingConnections():
            _serve(server.nextPendingConnection(), activate)

    server.newConnection.connect(on_connection)
    log.info("listening for other launches on %s", data_dir)
    return server


def _serve(socket: QLocalSocket, activate: Callable[[str | None], None]) -> None:
    socket.disconnected.connect(socket.deleteLater)

    def on_ready() -> None:
        if not socket.canReadLine():
            return
        line = bytes(socket.readLine().data())
        request = _request(line)
        if request is not False:
            activate(request)
            socket.write(ACTIVATED)
            socket.flush()
        socket.disconnectFromServer()

    socket.readyRead.connect(on_ready)
    on_ready()  # the request may have arrived with the connection


def _request(line: bytes) -> str | Literal[False] | None:
    """None to come forward, a prompt to also send, False for anything else."""
    if line == ACTIVATE:
        return None
    if line.startswith(ASK) and line.endswith(b"\n"):
        try:
            prompt = json.loads(line[len(ASK) :])
        except ValueError:
            return False
        return prompt if isinstance(prompt, str) else False
    return False


class OwnerAnswer(Enum):
    ANSWERED = "answered"  # it brought its window forward: this launch is done
    GONE = "gone"  # it released the folder (it was quitting): this launch may take over
    SILENT = "silent"  # it holds the folder but never answered (frozen)


def wait_for_owner(
    data_dir: Path, database: Path, patience_s: float, prompt: str | None = None
) -> OwnerAnswer:
    """The folder is locked but nobody answered: its owner may still be starting (it listens
    once its window exists) or be quitting (it stops listening first). Ask again, and watch
    the lock, for a while before opening beside it."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        if ask_running_to_activate(data_dir, prompt):
            return OwnerAnswer.ANSWERED
        if _folder_free(database):
            return OwnerAnswer.GONE
        time.sleep(RETRY_S)
    return OwnerAnswer.SILENT


def _folder_free(database: Path) -> bool:
    try:
        lock = FolderLock.acquire(lock_path(database))
    except OSError:
        return False
    if lock is None:
        return False
    lock.release()
    return True


def bring_to_front(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
    log.info("brought to the front by another launch")
