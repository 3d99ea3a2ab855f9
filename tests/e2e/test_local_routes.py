"""The built-in server answers every path and method the way the OpenAI API does."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import openai
import pytest

from tests.e2e.conftest import RunningServer
from tests.support.openapi import assert_valid

pytestmark = pytest.mark.timeout(120)


def _call(
    server: RunningServer, method: str, path: str, body: bytes | None = None
) -> tuple[int, str, Any]:
    url = urllib.parse.urlsplit(server.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    try:
        connection.request(method, url.path + path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        return response.status, response.getheader("content-type") or "", json.loads(text)
    finally:
        connection.close()


def test_every_listed_model_can_be_retrieved(local_server: RunningServer) -> None:
    client = local_server.client()
    listed = client.models.list().data
    assert listed
    for model in listed:
        raw = client.models.with_raw_response.retrieve(model.id).http_response.json()
        assert_valid("Model", raw)
        assert raw == model.model_dump(exclude_unset=True)


def test_an_unknown_model_is_a_404(local_server: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        local_server.client().models.retrieve("gpt-9")
    assert_valid("ErrorResponse", caught.value.response.json())
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_route_is_a_404_not_retried(local_server: RunningServer, method: str) -> None:
    status, _, body = _call(local_server, method, "/fine_tuning/nonsense")
    assert status == 404
    assert_valid("ErrorResponse", body)
    assert "/v1/fine_tuning/nonsense" in body["error"]["message"]


def test_deeply_nested_json_is_a_400(local_server: RunningServer) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    status, _, body = _call(local_server, "POST", "/chat/completions", nested)
    assert status == 400
    assert_valid("ErrorResponse", body)
    assert "nested" in body["error"]["message"]


def test_options_is_an_openai_shaped_405(local_server: RunningServer) -> None:
    status, content_type, body = _call(local_server, "OPTIONS", "/models")
    assert status == 405
    assert content_type.startswith("application/json")
    assert_valid("ErrorResponse", body)
