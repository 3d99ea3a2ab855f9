"""Everything a panel may be handed, built once at start-up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack

from workbench.app.local_model import local_threads
from workbench.services.chat_service import ChatService
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.model_catalog import ModelCatalog
from workbench.services.paths import DataPaths
from workbench.services.run_service import RunService
from workbench.services.store import Store
from workbench.services.tokens import TokenCounter
from workbench.ui.budget_guard import BudgetGuard
from workbench.ui.bus import Bus
from workbench.ui.tasks import BackgroundTasks

if TYPE_CHECKING:
    from workbench.services.prompt_lab.batch import BatchRunner

LOCAL_MODEL_SETTING = "local/model_path"


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
    local: LocalServer
    connector: Connector
    tokens: TokenCounter
    budget: BudgetGuard
    catalog: ModelCatalog
    runs: RunService  # every run goes through it; it announces each on the bus
    chat: ChatService
    # The Prompt Lab's Batch API jobs, made when the lab is first built (its imports cost ~100 ms
    # at start); kept here so a rebuilt lab panel picks up the same batches.
    batches: BatchRunner | None = None

    @classmethod
    def build(cls, paths: DataPaths, store: Store, loop: asyncio.AbstractEventLoop) -> AppContext:
        settings = QSettings(str(paths.settings), QSettings.Format.IniFormat)
        endpoints = EndpointRegistry(paths.endpoints)
        keys = KeyVault()
        local = LocalServer(model_path=local_model_path(settings), threads=local_threads(settings))
        connector = Connector(endpoints, keys, local)
        bus = Bus()
        catalog = ModelCatalog(connector)
        runs = RunService(store, connector, catalog, announce=bus.run_finished.emit)
        bus.logprobs_wanted.connect(runs.want_logprobs)
        return cls(
            paths=paths,
            store=store,
            endpoints=endpoints,
            keys=keys,
            bus=bus,
            tasks=BackgroundTasks(loop),
            undo=QUndoStack(),
            settings=settings,
            local=local,
            connector=connector,
            tokens=TokenCounter(paths.cache),
            budget=BudgetGuard(settings, store.costs),
            catalog=catalog,
            runs=runs,
            chat=ChatService(store, runs),
        )


def local_model_path(settings: QSettings) -> Path | None:
    """A GGUF file the user chose for the built-in server; None means the bundled model."""
    value = settings.value(LOCAL_MODEL_SETTING)
    return Path(str(value)).expanduser() if value else None
