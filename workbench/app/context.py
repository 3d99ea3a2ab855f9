"""Everything a panel may be handed, built once at start-up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack

from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.paths import DataPaths
from workbench.services.store import Store
from workbench.ui.bus import Bus
from workbench.ui.tasks import BackgroundTasks


@dataclass(slots=True)
class AppContext:
    paths: DataPaths
    store: Store
    endpoints: EndpointRegistry
    keys: KeyVault
    bus: Bus
    tasks: BackgroundTasks
    undo: QUndoStack
    settings: QSettings

    @classmethod
    def build(cls, paths: DataPaths, store: Store, loop: asyncio.AbstractEventLoop) -> AppContext:
        return cls(
            paths=paths,
            store=store,
            endpoints=EndpointRegistry(paths.endpoints),
            keys=KeyVault(),
            bus=Bus(),
            tasks=BackgroundTasks(loop),
            undo=QUndoStack(),
            settings=QSettings(str(paths.settings), QSettings.Format.IniFormat),
        )
