from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from workbench.app.context import AppContext
from workbench.services.paths import DataPaths
from workbench.services.store import Store


@pytest.fixture
def ctx(data_paths: DataPaths, aloop: asyncio.AbstractEventLoop) -> Iterator[AppContext]:
    store = Store.open(data_paths.database)
    context = AppContext.build(data_paths, store, aloop)
    yield context
    store.close()
