"""The HTTP surface: routes, bearer-token check, and OpenAI-shaped errors for everything else."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workbench.local_server.errors import ApiError, unsupported
from workbench.local_server.state import ServerState

log = logging.getLogger(__name__)
Handler = Callable[[Request, ServerState], Awaitable[Response]]


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def list_models(_request: Request, state: ServerState) -> Response:
    created = int(time.time())
    ids = [state.chat_model_id]
    if state.whisper_model_path is not None:
        from workbench.local_server.model_files import DEFAULT_WHISPER_MODEL_ID

        ids.append(DEFAULT_WHISPER_MODEL_ID)
    data = [{"id": i, "object": "model", "created": created, "owned_by": "workbench"} for i in ids]
    engine = state.chat_engine
    # Not in OpenAI's schema, but clients read it (as from vLLM's max_model_len) for their meters.
    data[0]["context_window"] = engine.n_ctx if engine is not None else state.context_size
    return JSONResponse({"object": "list", "data": data})


def _handlers() -> dict[tuple[str, str], Handler]:
    # Imported here so each feature module loads only what it needs.
    from workbench.local_server import embeddings
    from workbench.local_server.audio import routes as audio
    from workbench.local_server.chat import routes as chat

    return {
        ("GET", "/v1/models"): list_models,
        ("POST", "/v1/chat/completions"): chat.handle,
        ("POST", "/v1/embeddings"): embeddings.handle,
        ("POST", "/v1/audio/transcriptions"): audio.handle_transcription,
        ("POST", "/v1/audio/translations"): audio.handle_translation,
    }


def build_app(state: ServerState) -> Starlette:
    handlers = _handlers()

    async def dispatch(request: Request) -> Response:
        if not _authorised(request, state.token):
            return ApiError(
                401,
                "Missing or wrong bearer token for Workbench's built-in model server.",
                code="invalid_api_key",
            ).response()
        handler = handlers.get((request.method, request.url.path.rstrip("/")))
        try:
            if handler is None:
                raise _not_served(request)
            return await handler(request, state)
        except ApiError as error:
            return error.response()
        except Exception:  # never a traceback to the client, always the OpenAI shape
            log.exception("request to %s failed", request.url.path)
            return ApiError(
                500, "The built-in model server failed on this request.", type="server_error"
            ).response()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])


def _not_served(request: Request) -> ApiError:
    path = request.url.path
    if path.startswith("/v1/models/"):
        return ApiError(
            404, f"The model `{path.rsplit('/', 1)[-1]}` does not exist.", code="model_not_found"
        )
    known = {
        "/v1/models",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
    }
    if path in known:
        return ApiError(405, f"{request.method} is not allowed on {path}.")
    if path.startswith("/v1/"):
        return unsupported(f"The endpoint {request.method} {path}")
    return ApiError(404, f"Unknown path {path}.", code="not_found")
