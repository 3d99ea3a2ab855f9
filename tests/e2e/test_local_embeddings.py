"""Embeddings from the real built-in server, through the openai SDK as the app calls it."""

from __future__ import annotations

import math
import random

import numpy as np
import openai
import pytest

from tests.e2e.conftest import RunningServer
from tests.support.openapi import assert_valid
from workbench.local_server.model_files import DEFAULT_CHAT_MODEL_ID

pytestmark = pytest.mark.timeout(300)

MODEL = DEFAULT_CHAT_MODEL_ID
CAT = "a cat sat on the mat"
KITTEN = "a kitten rested on the rug"
TAXES = "quarterly tax filing deadline"


def _vectors(response: openai.types.CreateEmbeddingResponse) -> np.ndarray:
    return np.array([item.embedding for item in response.data], dtype=np.float64)


def test_one_string_gives_one_unit_vector_and_counts_tokens(local_server: RunningServer) -> None:
    raw = local_server.client().embeddings.with_raw_response.create(
        model=MODEL, input=CAT, encoding_format="float"
    )
    body = raw.http_response.json()
    assert_valid("CreateEmbeddingResponse", body)
    assert body["object"] == "list" and body["model"] == MODEL
    assert [(d["object"], d["index"]) for d in body["data"]] == [("embedding", 0)]
    vector = np.array(body["data"][0]["embedding"])
    assert vector.ndim == 1 and vector.size >= 64  # SmolLM2-135M: 576
    assert math.isclose(float(np.linalg.norm(vector)), 1.0, abs_tol=1e-4)
    usage = body["usage"]
    assert usage["prompt_tokens"] == usage["total_tokens"] and 3 <= usage["prompt_tokens"] <= 20


def test_a_batch_keeps_order_and_similar_meanings_are_closer(local_server: RunningServer) -> None:
    response = local_server.client().embeddings.create(
        model=MODEL, input=[CAT, KITTEN, TAXES], encoding_format="float"
    )
    assert [item.index for item in response.data] == [0, 1, 2]
    vectors = _vectors(response)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosine = vectors @ vectors.T  # unit vectors: the dot product is the cosine
    assert cosine[0, 1] > cosine[0, 2], f"cat~kitten {cosine[0, 1]:.3f}, cat~tax {cosine[0, 2]:.3f}"
    assert cosine[0, 1] > cosine[1, 2]
    # The same text alone gives the same vector as inside the batch.
    alone = _vectors(
        local_server.client().embeddings.create(model=MODEL, input=KITTEN, encoding_format="float")
    )
    assert np.allclose(alone[0], vectors[1], atol=1e-5)


def test_base64_decodes_to_the_same_vectors(local_server: RunningServer) -> None:
    client = local_server.client()
    floats = _vectors(
        client.embeddings.create(model=MODEL, input=[CAT, TAXES], encoding_format="float")
    )
    # Asking for base64 explicitly: the raw body holds little-endian float32 bytes.
    raw = client.embeddings.with_raw_response.create(
        model=MODEL, input=[CAT, TAXES], encoding_format="base64"
    ).http_response.json()
    assert all(isinstance(item["embedding"], str) for item in raw["data"])
    # Left unset, the SDK itself asks for base64 and decodes it (so this is the common path).
    by_default = _vectors(client.embeddings.create(model=MODEL, input=[CAT, TAXES]))
    assert by_default.shape == floats.shape
    assert np.array_equal(by_default, floats.astype(np.float32).astype(np.float64))


def test_token_id_inputs_are_embedded(local_server: RunningServer) -> None:
    client = local_server.client()
    one = client.embeddings.create(model=MODEL, input=[504, 2444, 3237], encoding_format="float")
    assert len(one.data) == 1
    two = client.embeddings.create(
        model=MODEL, input=[[504, 2444], [3237]], encoding_format="float"
    )
    vectors = _vectors(two)
    assert vectors.shape == (2, len(one.data[0].embedding))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert two.usage.prompt_tokens == 3


@pytest.mark.parametrize("bad_input", ["", ["fine", ""], []])
def test_empty_input_is_a_400_naming_input(local_server: RunningServer, bad_input: object) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        local_server.client().embeddings.create(model=MODEL, input=bad_input)  # type: ignore[arg-type]
    assert caught.value.param == "input"


def test_an_out_of_vocabulary_token_is_a_400(local_server: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        local_server.client().embeddings.create(model=MODEL, input=[10_000_000])
    assert caught.value.param == "input" and "vocabulary" in caught.value.message


def test_unknown_model_is_a_404(local_server: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        local_server.client().embeddings.create(model="text-embedding-3-small", input=CAT)
    assert caught.value.code == "model_not_found"
    assert "`text-embedding-3-small` does not exist" in caught.value.message


def test_dimensions_other_than_the_native_size_are_refused(local_server: RunningServer) -> None:
    client = local_server.client()
    native = len(
        client.embeddings.create(model=MODEL, input=CAT, encoding_format="float").data[0].embedding
    )
    same = client.embeddings.create(
        model=MODEL, input=CAT, dimensions=native, encoding_format="float"
    )
    assert len(same.data[0].embedding) == native
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=MODEL, input=CAT, dimensions=native // 2)
    assert caught.value.param == "dimensions"


def test_the_same_input_gives_the_same_vector_wherever_it_sits(
    local_server: RunningServer,
) -> None:
    client = local_server.client()
    # Inputs of many lengths around it: its vector used to depend on the batch's shape (these
    # seeds gave deltas up to 0.002 at positions 3 and 7 when inputs shared one decode).
    for seed in (2, 5, 6):
        rng = random.Random(seed)
        same = " ".join(rng.choice(WORDS) for _ in range(25))
        batch = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))) for _ in range(9)]
        for position in (0, 3, 7):
            batch.insert(position, same)
        vectors = _vectors(
            client.embeddings.create(model=MODEL, input=batch, encoding_format="float")
        )
        alone = _vectors(client.embeddings.create(model=MODEL, input=same, encoding_format="float"))
        for position in (0, 3, 7):
            delta = float(np.max(np.abs(vectors[position] - alone[0])))
            assert delta <= 1e-6, f"seed {seed}: position {position} differs from alone by {delta}"


WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "the",
    "a",
    "cat",
    "dog",
    "runs",
    "quickly",
    "over",
    "under",
    "bright",
    "sky",
    "sea",
]
