"""One place that turns an Endpoint into an `openai.AsyncOpenAI` client."""

from __future__ import annotations

import openai

from workbench.core.endpoints import Endpoint, EndpointKind
from workbench.services.attempts import observed_http_client

# Servers that need no key still get a non-empty one: the SDK refuses to start without it.
NO_KEY = "not-needed"


def make_client(
    endpoint: Endpoint,
    key: str | None,
    *,
    base_url: str | None = None,
    max_retries: int = 2,
    timeout: float | None = None,
) -> openai.AsyncOpenAI:
    """`timeout` overrides the endpoint's own (a connection test waits less)."""
    headers = dict(endpoint.headers)
    if endpoint.kind is EndpointKind.AZURE and key:
        headers["api-key"] = key  # Azure's v1 API takes the key in this header
    url = base_url or endpoint.base_url
    return openai.AsyncOpenAI(
        api_key=key or NO_KEY,
        base_url=url,
        default_headers=headers or None,
        max_retries=max_retries,
        timeout=timeout if timeout is not None else endpoint.timeout_s,
        # The SDK's retries stay its own; this client only lets the app see them as they wait.
        http_client=observed_http_client(url),
    )
