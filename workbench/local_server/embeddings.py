"""POST /v1/embeddings: mean-pooled, L2-normalised vectors from the chat model's own GGUF file.

The chat engine's llama.cpp context is built for generation, so embeddings use a second
`llama_cpp.Llama` on the same file (the weights are memory-mapped, so they are shared, not copied),
created on the first embeddings request: most sessions never ask for one.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workbench.local_server.body import read_json
from workbench.local_server.errors import ApiError, bad_field, unsupported
from workbench.local_server.state import ServerState

MAX_INPUTS = 2048  # OpenAI's limit on the number of inputs in one request
_CACHE_ATTR = "embedder"  # set on ServerState the first time embeddings are asked for

# One input after parsing: text still to tokenize, or token ids given by the caller.
Item = str | list[int]


class Embedder:
    """A llama.cpp context in embedding mode with mean pooling."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.size: int = llm.n_embd()
        self.context: int = llm.n_ctx()
        self.vocab: int = llm.n_vocab()

    @classmethod
    def load(cls, path: Path, *, threads: int, context: int) -> Embedder:
        import llama_cpp

        llm = llama_cpp.Llama(
            model_path=str(path),
            embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            # A pooled sequence must fit in one micro-batch, or llama.cpp pools each part apart.
            n_ctx=context,
            n_batch=context,
            n_ubatch=context,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        return cls(llm)

    def tokenize(self, text: str) -> list[int]:
        # add_bos follows the model's own metadata; special=False so that text which merely looks
        # like "<|im_start|>" is embedded as the characters it is.
        tokens: list[int] = self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        return tokens

    def embed(self, sequences: list[list[int]]) -> np.ndarray:
        """One unit-length float32 row per sequence, in order.

        Each sequence gets a decode of its own, on sequence 0 of an empty KV cache. Packing several
        into one decode (as `Llama.embed` does) is faster for short inputs, but ggml's matrix
        kernels then see a different batch shape per request, and the same input came back up to
        0.002 apart depending on what sat beside it. Alone, an input always meets the same shapes,
        so its vector is the same wherever it sits; repeated inputs are computed once.
        """
        done: dict[tuple[int, ...], np.ndarray] = {}
        rows = [self._embed_one(tokens, done) for tokens in sequences]
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0.0, 1.0, norms)

    def _embed_one(self, tokens: list[int], done: dict[tuple[int, ...], np.ndarray]) -> np.ndarray:
        import llama_cpp

        key = tuple(tokens)
        if key not in done:
            llm = self.llm
            llm._batch.reset()
            llm._ctx.kv_cache_clear()
            try:
                llm._batch.add_sequence(tokens, 0, True)
                llm._ctx.decode(llm._batch)
                pointer = llama_cpp.llama_get_embeddings_seq(llm._ctx.ctx, 0)
                done[key] = np.ctypeslib.as_array(pointer, shape=(self.size,)).copy()
            finally:
                llm._batch.reset()
                llm._ctx.kv_cache_clear()
        return done[key]


async def handle(request: Request, state: ServerState) -> Response:
    body = await read_json(request)
    model = _model(body, state)
    encoding = body.get("encoding_format", "float")
    if encoding is None:
        encoding = "float"
    if encoding not in ("float", "base64"):
        raise bad_field("encoding_format", "encoding_format must be 'float' or 'base64'.")
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1
    ):
        raise bad_field("dimensions", "dimensions must be a positive integer.")
    # Checking up to 2,048 inputs, and writing as many vectors as JSON, take long enough to stall
    # other clients: both in threads, so the loop stays free.
    items = await asyncio.to_thread(_parse_input, body)

    # llama.cpp contexts are not re-entrant, and on a small machine two models computing at once
    # only slow each other down: take turns with the chat model, in a worker thread.
    async with state.model_lock:
        vectors, token_count = await asyncio.to_thread(_compute, state, items, dimensions)
    return await asyncio.to_thread(_response, vectors, token_count, model, encoding)


def _response(vectors: np.ndarray, token_count: int, model: str, encoding: str) -> Response:
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(row, encoding)}
        for i, row in enumerate(vectors)
    ]
    usage = {"prompt_tokens": token_count, "total_tokens": token_count}
    return JSONResponse({"object": "list", "data": data, "model": model, "usage": usage})


def _model(body: dict[str, Any], state: ServerState) -> str:
    model = body.get("model")
    if model is None or model == "":
        raise bad_field("model", "You must provide a model parameter.")
    if not isinstance(model, str):
        raise bad_field("model", "model must be a string.")
    if model != state.chat_model_id:
        raise ApiError(
            404, f"The model `{model}` does not exist.", param="model", code="model_not_found"
        )
    return model


def _parse_input(body: dict[str, Any]) -> list[Item]:
    """The four shapes OpenAI accepts: a string, strings, token ids, or lists of token ids."""
    if "input" not in body or body["input"] is None:
        raise bad_field("input", "You must provide an input parameter.")
    raw = body["input"]
    if isinstance(raw, str):
        items: list[Item] = [raw]
    elif isinstance(raw, list) and raw and all(_is_token(t) for t in raw):
        items = [list(raw)]  # one input given as token ids
    elif isinstance(raw, list) and any(_is_token(t) for t in raw):
        raise bad_field("input", "input mixes token ids with other values.")
    elif isinstance(raw, list):
        items = raw
    else:
        raise bad_field(
            "input",
            "input must be a string, an array of strings, an array of "
            "token ids, or an array of arrays of token ids.",
        )
    if not items:
        raise bad_field("input", "input must not be an empty array.")
    if len(items) > MAX_INPUTS:
        raise bad_field("input", f"input may hold at most {MAX_INPUTS} items, got {len(items)}.")
    for i, item in enumerate(items):
        where = "input" if isinstance(raw, str) else f"input[{i}]"
        if isinstance(item, str):
            if item == "":
                raise bad_field("input", f"{where} is an empty string; it cannot be embedded.")
        elif isinstance(item, list) and all(_is_token(t) for t in item):
            if not item:
                raise bad_field("input", f"{where} is an empty array of token ids.")
        else:
            raise bad_field(
                "input",
                f"{where} must be a string or an array of token ids; arrays cannot mix the two.",
            )
    return items


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _compute(
    state: ServerState, items: list[Item], dimensions: int | None
) -> tuple[np.ndarray, int]:
    """Runs in the worker thread, holding the model lock."""
    embedder = _embedder(state)
    if dimensions is not None and dimensions != embedder.size:
        raise unsupported(
            f"dimensions={dimensions} (the model's vectors have {embedder.size} dimensions; "
            "shortening them)",
            param="dimensions",
        )
    sequences: list[list[int]] = []
    for i, item in enumerate(items):
        tokens = embedder.tokenize(item) if isinstance(item, str) else item
        bad = [t for t in tokens if not 0 <= t < embedder.vocab]
        if bad:
            raise bad_field(
                "input",
                f"input[{i}] holds token id {bad[0]}, outside this model's "
                f"vocabulary of {embedder.vocab} tokens.",
            )
        if len(tokens) > embedder.context:
            raise ApiError(
                400,
                f"This model's maximum context length is {embedder.context} tokens, however "
                f"input[{i}] has {len(tokens)} tokens. Please shorten the input.",
                param="input",
                code="context_length_exceeded",
            )
        sequences.append(tokens)
    return embedder.embed(sequences), sum(len(s) for s in sequences)


def _embedder(state: ServerState) -> Embedder:
    embedder: Embedder | None = getattr(state, _CACHE_ATTR, None)
    if embedder is None:
        embedder = Embedder.load(
            state.chat_model_path, threads=state.threads.batch, context=state.context_size
        )
        setattr(state, _CACHE_ATTR, embedder)
    return embedder


def _encode(row: np.ndarray, encoding: str) -> list[float] | str:
    if encoding == "base64":
        # OpenAI's base64 is the raw little-endian float32 array; the SDK decodes it that way.
        return base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")
    values: list[float] = row.astype(np.float64).tolist()
    return values
