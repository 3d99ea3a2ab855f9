"""The built-in server needs the token the app gave it on every route, and listens on loopback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest

from tests.e2e.conftest import RunningServer


@pytest.mark.parametrize("key", ["wrong-token-0123456789", ""])
def test_chat_without_the_token_is_a_401_in_openai_shape(
    local_server: RunningServer, key: str
) -> None:
    client = openai.OpenAI(base_url=local_server.base_url, api_key=key or "x", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        client.chat.completions.create(
            model="smollm2-135m-instruct", messages=[{"role": "user", "content": "hi"}]
        )
    assert refused.value.status_code == 401
    assert refused.value.body["code"] == "invalid_api_key"


def test_no_authorization_header_at_all_is_refused(local_server: RunningServer) -> None:
    for path in ("/models", "/embeddings", "/audio/transcriptions"):
        request = urllib.request.Request(local_server.base_url + path, method="GET")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
        assert json.loads(refused.value.read())["error"]["type"] == "invalid_request_error"


def test_listens_on_loopback_only(local_server: RunningServer) -> None:
    port = int(local_server.base_url.split(":")[2].split("/")[0])
    listening = [  # /proc/net/tcp: local address as hex ip:port, state 0A is LISTEN
        line.split()[1]
        for line in open("/proc/net/tcp").read().splitlines()[1:]  # noqa: SIM115
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    ]
    assert listening == [f"0100007F:{port:04X}"], "bound to something other than 127.0.0.1"
