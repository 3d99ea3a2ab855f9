"""Credential-like extra headers live in the keyring like keys; endpoints.json keeps their names."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fixtures import MemoryKeyring
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.endpoints import EndpointRegistry

SECRET_HEADERS = (
    ("X-Api-Key", "xak-secret-value-0123456789"),
    ("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0LXByb3h5"),
    ("X-Session-Token", "tok-secret-value-0123456789"),
    ("Cookie", "session=cookie-secret-0123456789"),
    ("X-Client-Secret", "cs-secret-value-0123456789"),
    ("X-Password", "pw-secret-value-0123456789"),
)
PLAIN = ("X-Team", "research-lab")


def _values(headers: tuple[tuple[str, str], ...]) -> list[str]:
    return [value for _name, value in headers]


def test_saved_secret_headers_are_in_the_keyring_not_the_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "endpoints.json"
    endpoint = new_endpoint(EndpointKind.CUSTOM).with_changes(headers=(*SECRET_HEADERS, PLAIN))
    EndpointRegistry(path).upsert(endpoint)

    text = path.read_text()
    assert not [v for v in _values(SECRET_HEADERS) if v in text]
    assert all(name in text for name, _ in SECRET_HEADERS) and PLAIN[1] in text
    assert set(_values(SECRET_HEADERS)) <= set(memory_keyring.secrets.values())
    # Read back, the endpoint sends the same headers as before.
    assert EndpointRegistry(path).get(endpoint.id) == endpoint


def test_an_old_file_with_secret_header_values_is_migrated_on_load(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "endpoints.json"
    old = {
        "version": 1,
        "active": "ep1",
        "endpoints": [
            {
                "id": "ep1",
                "name": "Gateway",
                "kind": "custom",
                "base_url": "http://127.0.0.1:9/v1",
                "default_model": "m",
                "headers": [list(h) for h in (*SECRET_HEADERS, PLAIN)],
            }
        ],
    }
    path.write_text(json.dumps(old))

    loaded = EndpointRegistry(path).get("ep1")
    assert loaded is not None and loaded.headers == (*SECRET_HEADERS, PLAIN)
    text = path.read_text()
    assert not [v for v in _values(SECRET_HEADERS) if v in text]
    assert PLAIN[1] in text
    assert EndpointRegistry(path).get("ep1") == loaded


def test_removing_an_endpoint_forgets_its_header_secrets(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    endpoint = new_endpoint(EndpointKind.CUSTOM).with_changes(headers=SECRET_HEADERS[:1])
    registry.upsert(endpoint)
    registry.upsert(endpoint.with_changes(headers=()))
    assert memory_keyring.secrets == {}
    registry.upsert(endpoint)
    registry.remove(endpoint.id)
    assert memory_keyring.secrets == {}
