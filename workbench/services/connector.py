"""Clients and model lists per endpoint, reused so each run skips the TCP/TLS set-up."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer, connection_for

if TYPE_CHECKING:
    import openai


# The SDK imports a resource's modules on first use (`client.chat.completions`: 17 ms,
# `client.audio.speech`: 12 ms...): on the UI thread, at the first send, unless done here.
SDK_RESOURCES = (
    "chat.completions",
    "audio.speech",
    "audio.transcriptions",
    "audio.translations",
    "images",
    "embeddings",
    "models",
    "files",
    "batches",
)


def preload_sdk() -> None:
    """Import the SDK, the resources the app uses and the app's client module; meant for a
    worker thread after start-up. Nothing is sent: a client is only made and closed."""
    import openai

    import workbench.services.clients  # noqa: F401  (imports openai and services.attempts)

    client = openai.OpenAI(api_key="preload", base_url="http://127.0.0.1:9/v1")
    try:
        for path in SDK_RESOURCES:
            with contextlib.suppress(AttributeError):  # not in this SDK version: used as is
                functools.reduce(getattr, path.split("."), client)
    finally:
        client.close()


class Connector:
    def __init__(
        self, endpoints: EndpointRegistry, keys: KeyVault, local: LocalServer, max_retries: int = 2
    ) -> None:
        self.endpoints = endpoints
        self.keys = keys
        self.local = local
        self.max_retries = max_retries
        self._clients: dict[tuple[Endpoint, str, str | None], openai.AsyncOpenAI] = {}
        self._models: dict[tuple[Endpoint, str], list[dict[str, Any]]] = {}

    def endpoint(self, endpoint_id: str | None) -> Endpoint:
        return (endpoint_id and self.endpoints.get(endpoint_id)) or self.endpoints.active

    async def client(self, endpoint_id: str | None) -> openai.AsyncOpenAI:
        """Raises LocalServerError when the built-in model cannot start."""
        endpoint = self.endpoint(endpoint_id)
        url, key = await connection_for(endpoint, self.keys.get(endpoint), self.local)
        cache_key = (endpoint, url, key)
        client = self._clients.get(cache_key)
        if client is None:
            # Imported on the first request, not at start-up: the SDK costs ~0.45 s and 34 MB.
            from workbench.services.clients import make_client

            # Clients whose endpoint, URL or key changed are replaced, not reused.
            for stale in [k for k in self._clients if k[0].id == endpoint.id]:
                await self._clients.pop(stale).close()
            client = make_client(endpoint, key, base_url=url, max_retries=self.max_retries)
            self._clients[cache_key] = client
        return client

    async def models(self, endpoint_id: str | None, refresh: bool = False) -> list[dict[str, Any]]:
        """The endpoint's /models entries as plain dicts (extra fields such as a context
        window are kept); raises the SDK's errors for the caller to show."""
        endpoint = self.endpoint(endpoint_id)
        cache_key = (endpoint, endpoint.base_url)
        if refresh or cache_key not in self._models:
            client = await self.client(endpoint.id)
            page = await client.models.list()
            self._models[cache_key] = sorted(
                (m.model_dump() for m in page.data), key=lambda m: str(m.get("id"))
            )
        return self._models[cache_key]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
