"""Testing an endpoint: can we reach it, is the key accepted, which models does it serve."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.endpoints import Endpoint

if TYPE_CHECKING:
    import openai


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    message: str
    models: tuple[str, ...] = ()
    latency_ms: float | None = None


async def probe_endpoint(
    endpoint: Endpoint, key: str | None, *, base_url: str | None = None, timeout: float = 10.0
) -> ProbeResult:
    url = base_url or endpoint.base_url
    if not url:
        return ProbeResult(False, f"{endpoint.name} has no base URL yet.")
    import openai  # here, not at start-up: see services.connector

    from workbench.services.clients import make_client

    started = time.perf_counter()
    client = make_client(endpoint, key, base_url=url, max_retries=0, timeout=timeout)
    try:
        page = await client.models.list()
        models = tuple(sorted(m.id for m in page.data))
    except openai.AuthenticationError:
        hint = "No key is set for it." if not key else "Check the key in the field above."
        return ProbeResult(False, f"The server refused the key (401). {hint}")
    except openai.PermissionDeniedError as exc:
        return ProbeResult(False, f"The key has no access to this endpoint (403): {_said(exc)}")
    except openai.NotFoundError:
        return ProbeResult(
            False, f"Reached the server, but {url}/models does not exist (404): is the URL right?"
        )
    except openai.APITimeoutError:
        return ProbeResult(False, f"No answer from {url} within {timeout:g} seconds.")
    except openai.APIConnectionError:
        return ProbeResult(False, f"Could not connect to {url}: is the server running?")
    except openai.APIStatusError as exc:
        return ProbeResult(False, f"The server answered {exc.status_code}: {_said(exc)}")
    finally:
        await client.close()
    latency = (time.perf_counter() - started) * 1000
    count = f"{len(models)} model" + ("" if len(models) == 1 else "s")
    return ProbeResult(True, f"Connected in {latency:.0f} ms; {count} available.", models, latency)


def _said(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)
    return exc.message
