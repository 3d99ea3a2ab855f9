"""What every request kind's adapter provides to the run pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.endpoints import Endpoint
from workbench.core.runs import RunEvent, RunKind, RunRequest

if TYPE_CHECKING:
    import openai

Emit = Callable[[RunEvent], None]


class RunAdapter(Protocol):
    kind: RunKind

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        """The SDK call's keyword arguments: what is stored and shown, so never a key."""
        ...

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        """Send `body` (with the request's binary parts, which the stored body only names),
        reporting everything through `emit`: failures of the request become RunFailed events
        (`failures.reported_failures`); cancellation goes through."""
        ...
