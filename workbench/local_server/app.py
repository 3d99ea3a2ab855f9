"""The HTTP surface: routes, bearer-token check, and OpenAI-shaped errors for everything else."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workbench.local_server.errors import ApiError
from workbench.local_server.state import ServerState

log = logging.getLogger(__name__)
Handler = Callable[[Request, ServerState], Awaitable[Response]]
MODELS_PREFIX = "/v1/models/"
# Starlette answers methods outside its route's list itself, in plain text: list them all here so
# every answer is OpenAI-shaped JSON (HEAD comes with GET).
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def _models(state: ServerState) -> list[dict[str, Any]]:
    from workbench.local_server.model_files import (
        DEFAULT_WHISPER_MODEL_ID,
        SPEECH_MODEL_ID,
        speech_available,
    )

    ids = [state.chat_model_id]
    if state.whisper_model_path is not None:
        ids.append(DEFAULT_WHISPER_MODEL_ID)
    if speech_available():
        ids.append(SPEECH_MODEL_ID)
    # One `created` for the server's lifetime, so a listed model and the same one retrieved match.
    data = [
        {"id": i, "object": "model", "created": state.started, "owned_by": "workbench"} for i in ids
    ]
    engine = state.chat_engine
    # Not in OpenAI's schema, but clients read it (as from vLLM's max_model_len) for their meters.
    data[0]["context_window"] = engine.n_ctx if engine is not None else state.context_size
    # So a user (and a test) can see what the thread setting became.
    data[0]["threads"] = state.threads.generation
    data[0]["batch_threads"] = state.threads.batch
    return data


async def list_models(_request: Request, state: ServerState) -> Response:
    return JSONResponse({"object": "list", "data": _models(state)})


async def retrieve_model(request: Request, state: ServerState) -> Response:
    wanted = request.url.path.removeprefix(MODELS_PREFIX)
    for model in _models(state):
        if model["id"] == wanted:
            return JSONResponse(model)
    raise ApiError(404, f"The model `{wanted}` does not exist.", code="model_not_found")


def _handlers() -> dict[tuple[str, str], Handler]:
    # Imported here so each feature module loads only what it needs.
    from workbench.local_server import embeddings
    from workbench.local_server.audio import routes as audio
    from workbench.local_server.audio import speech_routes as speech
    from workbench.local_server.chat import routes as chat

    return {
        ("GET", "/v1/models"): list_models,
        ("POST", "/v1/chat/completions"): chat.handle,
        ("POST", "/v1/embeddings"): embeddings.handle,
        ("POST", "/v1/audio/transcriptions"): audio.handle_transcription,
        ("POST", "/v1/audio/translations"): audio.handle_translation,
        ("POST", "/v1/audio/speech"): speech.handle_speech,
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
        handler = _route(handlers, request)
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

    return Starlette(routes=[Route("/{path:path}", dispatch, methods=METHODS)])


def _route(handlers: dict[tuple[str, str], Handler], request: Request) -> Handler | None:
    path = request.url.path.rstrip("/")
    if request.method == "GET" and path.startswith(MODELS_PREFIX):
        return retrieve_model
    return handlers.get((request.method, path))


def _not_served(request: Request) -> ApiError:
    path = request.url.path
    known = {
        "/v1/models",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
        "/v1/audio/speech",
    }
    if path.rstrip("/") in known or path.startswith(MODELS_PREFIX):
        return ApiError(405, f"{request.method} is not allowed on {path}.")
    # OpenAI's own words and status for a path it does not serve. Not a 5xx: the SDK retries those.
    return ApiError(404, f"Invalid URL ({request.method} {path})")
