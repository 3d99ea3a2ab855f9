"""The models each endpoint offers and what each model takes, shared by every panel.

Listing is cached per endpoint and URL (in the Connector); the built-in model is never started
just to be listed: until it runs, its default model is all there is to show.
"""

from __future__ import annotations

from typing import Any

from workbench.core.model_traits import ModelTraits, traits_for
from workbench.services.connector import Connector


class CatalogError(Exception):
    """The endpoint could not list its models; the message says why, in plain words."""


class ModelCatalog:
    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self._listed: dict[str, dict[str, dict[str, Any]]] = {}  # endpoint id -> id -> entry

    def known(self, endpoint_id: str | None) -> list[str] | None:
        """The model names to offer now, or None when the endpoint must be asked (`fetch`)."""
        endpoint = self.connector.endpoint(endpoint_id)
        if endpoint.id in self._listed:
            return list(self._listed[endpoint.id])
        if endpoint.is_local and not self.connector.local.running:
            return [endpoint.default_model] if endpoint.default_model else []
        return None

    def listed(self, endpoint_id: str | None) -> bool:
        return self.connector.endpoint(endpoint_id).id in self._listed

    async def fetch(self, endpoint_id: str | None, refresh: bool = False) -> list[str]:
        """Ask the endpoint for its models; raises CatalogError when it cannot say."""
        import openai

        from workbench.services.local import LocalServerError

        endpoint = self.connector.endpoint(endpoint_id)
        try:
            entries = await self.connector.models(endpoint.id, refresh)
        except (openai.OpenAIError, OSError, LocalServerError) as exc:
            raise CatalogError(f"Could not list the endpoint's models: {exc}") from exc
        self._listed[endpoint.id] = {str(m.get("id")): m for m in entries}
        return list(self._listed[endpoint.id])

    def traits(self, endpoint_id: str | None, model: str) -> ModelTraits:
        """What `model` on the endpoint takes; the endpoint's default model when none is set."""
        endpoint = self.connector.endpoint(endpoint_id)
        name = model or endpoint.default_model
        entry = self._listed.get(endpoint.id, {}).get(name)
        return traits_for(name, str(endpoint.kind), entry)

    def forget(self) -> None:
        """Endpoints were edited: list them afresh when next asked."""
        self._listed.clear()
