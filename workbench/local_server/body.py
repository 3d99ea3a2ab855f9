"""Reading a JSON request body: capped in size, and parsed off the event loop when it is big.

One event loop answers every request; a body parsed on it stalls every other client meanwhile
(a 10 MB body held `GET /v1/models` for 12 s), so big bodies are parsed in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request

from workbench.local_server.errors import ApiError

# The default context is 4,096 tokens, about 16 KB of text; even a 128k-token GGUF holds ~512 KB
# of text (~3 MB in the worst JSON escaping, 6 bytes a character), and OpenAI's cap on one
# embeddings request, 300k tokens, is ~2 MB sent as token-id arrays. 4 MB fits all of that, the
# default context 250 times over, and still refuses a runaway body before it costs seconds of CPU.
MAX_JSON_BODY_BYTES = 4 * 1024 * 1024
# Below this a parse takes well under a millisecond: the hop to a thread would cost more.
INLINE_PARSE_BYTES = 64 * 1024


async def read_json(request: Request, limit: int = MAX_JSON_BODY_BYTES) -> dict[str, Any]:
    raw = await read_capped(request, limit)
    if len(raw) <= INLINE_PARSE_BYTES:
        return parse_object(raw)
    return await asyncio.to_thread(parse_object, raw)


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, refused with a 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)  # before a byte of it is read
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # chunked bodies announce no length: count as they come
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except RecursionError as exc:  # the parser recurses once per level of nesting
        raise ApiError(
            400, "The request body is not valid JSON: it is nested too deeply.", code="invalid_json"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this server's limit of {limit // 2**20} MB.",
        code="request_too_large",
    )
