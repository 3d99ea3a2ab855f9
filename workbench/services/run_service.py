"""Every run goes through here: built for its endpoint, sent, and announced once when it ends.

Panels ask this service for a `Run` and await `execute`; whoever started a run, the one
`announce` callback (the app wires it to the bus's `run_finished`) hears about it, so the cost
meter, heatmap and inspector never depend on which panel sent it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from workbench.core.budget import Estimate, estimate_request
from workbench.core.endpoints import Endpoint
from workbench.core.model_traits import with_wanted_logprobs
from workbench.core.runs import RunEvent, RunRecord, RunRequest
from workbench.services.connector import Connector
from workbench.services.model_catalog import ModelCatalog
from workbench.services.run_pipeline import AnswerSink, Run, RunOrigin
from workbench.services.store import Store

Announce = Callable[[RunRecord], None]


class RunService:
    def __init__(
        self,
        store: Store,
        connector: Connector,
        catalog: ModelCatalog | None = None,
        announce: Announce = lambda _record: None,
    ) -> None:
        self.store = store
        self.connector = connector
        self.catalog = catalog or ModelCatalog(connector)
        self.announce = announce
        # True while a panel shows logprobs (the heatmap): runs then ask for them.
        self.logprobs_wanted = False
        self._live: set[Run] = set()
        self._closed = False

    def want_logprobs(self, wanted: bool) -> None:
        self.logprobs_wanted = wanted

    def endpoint(self, endpoint_id: str | None) -> Endpoint:
        """The endpoint with this id; the active one for None or an id that is gone."""
        return self.connector.endpoint(endpoint_id)

    def find_endpoint(self, endpoint_id: str) -> Endpoint | None:
        return self.connector.endpoints.get(endpoint_id)

    @property
    def endpoints(self) -> list[Endpoint]:
        return list(self.connector.endpoints.endpoints)

    def prepared(self, request: RunRequest) -> RunRequest:
        """The request as it will go out: with logprobs while a panel wants them."""
        traits = self.catalog.traits(request.endpoint_id, request.model)
        params = with_wanted_logprobs(request.params, self.logprobs_wanted, traits)
        return request if params is request.params else replace(request, params=params)

    def estimate(self, request: RunRequest, prompt_tokens: int) -> Estimate:
        """What the run would cost at most, for the budget question, before it is sent."""
        endpoint = self.endpoint(request.endpoint_id)
        return estimate_request(request, endpoint.kind, endpoint.base_url, prompt_tokens)

    def start(
        self,
        request: RunRequest,
        origin: RunOrigin,
        on_event: Callable[[RunEvent], None] = lambda _e: None,
        *,
        sink: AnswerSink | None = None,
        prefix: str = "",
    ) -> Run:
        """A run with its row stored, ready for `execute`."""
        endpoint = self.endpoint(request.endpoint_id)
        return Run(self.store, request, endpoint, origin, on_event, sink=sink, prefix=prefix)

    async def execute(
        self, run: Run, settled: Callable[[RunRecord], None] | None = None
    ) -> RunRecord:
        """Send the run; `settled` sees its record before anyone else is told of it. A stopped
        run is announced too, then the cancellation goes on."""
        self._live.add(run)
        try:
            record = await run.execute(lambda: self.connector.client(run.endpoint.id))
        except asyncio.CancelledError:
            if run.result is not None:
                self._finish(run.result, settled)
            raise
        finally:
            self._live.discard(run)
        self._finish(record, settled)
        return record

    def abandon_all(self) -> None:
        """The app is closing: answers still streaming are kept, marked interrupted, and no one
        is told (the panels are going)."""
        self._closed = True
        for run in list(self._live):
            run.abandon()

    def _finish(self, record: RunRecord, settled: Callable[[RunRecord], None] | None) -> None:
        if self._closed:
            return
        if settled is not None:
            settled(record)
        self.announce(record)
