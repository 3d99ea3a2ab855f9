"""The built-in server under big bodies: refused at once over the cap, others served meanwhile."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.e2e.conftest import RunningServer
from tests.support.openapi import assert_valid
from workbench.local_server.model_files import DEFAULT_CHAT_MODEL_ID

pytestmark = pytest.mark.timeout(300)

MB = 1024 * 1024


def _address(server: RunningServer) -> tuple[str, int, str]:
    url = urllib.parse.urlsplit(server.base_url)
    assert url.hostname is not None and url.port is not None
    return url.hostname, url.port, url.path


def _head(server: RunningServer, path: str, framing: str) -> bytes:
    host, port, prefix = _address(server)
    return (
        f"POST {prefix}{path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def _read_response(sock: socket.socket, deadline: float) -> tuple[int, dict[str, object]]:
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ]
        if length and len(body) >= length[0]:
            return int(head.split()[1]), json.loads(body[: length[0]])
    raise AssertionError(f"no complete response in time; got {data[:200]!r}")


def test_an_over_limit_content_length_is_refused_before_the_body_is_sent(
    local_server: RunningServer,
) -> None:
    host, port, _ = _address(local_server)
    with socket.create_connection((host, port), timeout=10) as sock:
        started = time.monotonic()
        # 20 MB announced, 1 KB sent: the answer must not wait for the rest.
        sock.sendall(_head(local_server, "/chat/completions", f"Content-Length: {20 * MB}"))
        sock.sendall(b'{"model": "x", "messages": [' + b" " * 1000)
        status, body = _read_response(sock, started + 5)
    assert status == 413
    assert_valid("ErrorResponse", body)
    assert time.monotonic() - started < 5


def test_an_over_limit_chunked_body_is_refused_while_it_streams(
    local_server: RunningServer,
) -> None:
    host, port, _ = _address(local_server)
    chunk = b" " * MB
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection((host, port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(_head(local_server, "/embeddings", "Transfer-Encoding: chunked"))
        sock.sendall(b"10\r\n" + b'{"input": "a", "' + b"\r\n")
        try:
            while sent < 20 * MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(framed)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is already on the way
        status, body = _read_response(sock, time.monotonic() + 10)
    assert status == 413, body
    assert_valid("ErrorResponse", body)
    assert sent < 20 * MB, "the server read the whole 20 MB before refusing it"
    assert time.monotonic() - started < 10


def test_models_are_listed_while_a_big_request_is_prepared(local_server: RunningServer) -> None:
    # Big but under the cap: checking and templating 25,000 messages takes a good part of a second.
    roles = ("user", "assistant")
    messages = [{"role": roles[i % 2], "content": f"message {i} " * 8} for i in range(25_001)]
    body = {"model": DEFAULT_CHAT_MODEL_ID, "messages": messages}
    data = json.dumps(body).encode()
    big: dict[str, float | int] = {}

    def send_big() -> None:
        started = time.monotonic()
        big.update(status=_status(local_server, "/chat/completions", data), started=started)
        big["ended"] = time.monotonic()

    thread = threading.Thread(target=send_big)
    latencies: list[float] = []
    thread.start()
    while thread.is_alive():
        sent = time.monotonic()
        assert _status(local_server, "/models") == 200
        latencies.append(time.monotonic() - sent)
        time.sleep(0.02)
    thread.join()
    duration = big["ended"] - big["started"]
    assert big["status"] == 400  # more tokens than the context holds
    assert len(latencies) >= 3, f"only {len(latencies)} listings during {duration:.2f} s"
    # Relative: each listing answered in a small part of the time the big request took.
    assert max(latencies) < duration / 3, (
        f"slowest listing {max(latencies):.2f} s of {duration:.2f} s"
    )


def _status(server: RunningServer, path: str, data: bytes | None = None) -> int:
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    request = urllib.request.Request(server.base_url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
