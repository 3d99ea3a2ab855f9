"""The saved list of endpoints (no keys in it: those are in the keyring).

Extra headers whose name says they carry a credential (X-Api-Key, Proxy-Authorization, a
cookie...) are kept in the keyring like keys; the file holds their name and a reference.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.core.endpoints import (
    DEFAULT_TIMEOUT_S,
    LOCAL_ENDPOINT_ID,
    PREFIX_BY_DEFAULT,
    Endpoint,
    EndpointKind,
    is_secret_header,
    local_endpoint,
)
from workbench.services.keys import KeyVault

Header = tuple[str, str]

FORMAT_VERSION = 1


class EndpointRegistry:
    """Endpoints in order, with the active one; the built-in Local endpoint is always there."""

    def __init__(self, path: Path, vault: KeyVault | None = None) -> None:
        self.path = path
        self._vault = vault or KeyVault()
        # Header secrets as the vault holds them (by account), so a save writes only changes.
        self._known: dict[str, str] = {}
        self.endpoints: list[Endpoint] = [local_endpoint()]
        self.active_id = LOCAL_ENDPOINT_ID
        if path.exists():
            self._load()

    @property
    def active(self) -> Endpoint:
        return self.get(self.active_id) or self.endpoints[0]

    def get(self, endpoint_id: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.id == endpoint_id), None)

    def names(self, except_id: str | None = None) -> set[str]:
        return {e.name for e in self.endpoints if e.id != except_id}

    def upsert(self, endpoint: Endpoint) -> None:
        for i, existing in enumerate(self.endpoints):
            if existing.id == endpoint.id:
                self.endpoints[i] = endpoint
                break
        else:
            self.endpoints.append(endpoint)
        self.save()

    def remove(self, endpoint_id: str) -> None:
        if endpoint_id == LOCAL_ENDPOINT_ID:
            raise ValueError("The built-in Local endpoint can't be removed.")
        self.endpoints = [e for e in self.endpoints if e.id != endpoint_id]
        if self.active_id == endpoint_id:
            self.active_id = LOCAL_ENDPOINT_ID
        self.save()

    def set_active(self, endpoint_id: str) -> None:
        if self.get(endpoint_id) is None:
            raise KeyError(endpoint_id)
        self.active_id = endpoint_id
        self.save()

    def save(self) -> None:
        data = {
            "version": FORMAT_VERSION,
            "active": self.active_id,
            "endpoints": [self._to_json(e) for e in self.endpoints],
        }
        referenced = {ref for e in data["endpoints"] for ref in _references(e)}
        _write_atomically(self.path, json.dumps(data, indent=2))
        # Only once the file no longer points at them: secrets of removed headers and endpoints.
        for account in set(self._known) - referenced:
            self._vault.delete_secret(account)
            del self._known[account]

    def _load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        items = data.get("endpoints", [])
        loaded = [self._from_json(item) for item in items]
        if not any(e.id == LOCAL_ENDPOINT_ID for e in loaded):
            loaded.insert(0, local_endpoint())
        self.endpoints = loaded
        self.active_id = data.get("active", LOCAL_ENDPOINT_ID)
        if any(_plain_secret(h) for item in items for h in item.get("headers", [])):
            self.save()  # written by an older version: its header secrets move to the keyring

    def _to_json(self, endpoint: Endpoint) -> dict[str, Any]:
        return {
            "id": endpoint.id,
            "name": endpoint.name,
            "kind": str(endpoint.kind),
            "base_url": endpoint.base_url,
            "default_model": endpoint.default_model,
            "timeout_s": endpoint.timeout_s,
            "continues_prefix": endpoint.continues_prefix,
            "headers": [
                self._header_to_json(endpoint.id, i, h) for i, h in enumerate(endpoint.headers)
            ],
        }

    def _header_to_json(self, endpoint_id: str, index: int, header: Header) -> list[object]:
        name, value = header
        if not is_secret_header(name):
            return [name, value]
        account = _account(endpoint_id, index, name)
        if value and self._known.get(account) != value:
            self._vault.set_secret(account, value)
            self._known[account] = value
        elif not value and account in self._known:  # cleared on purpose
            self._vault.delete_secret(account)
            del self._known[account]
            return [name, ""]
        # An empty value not known to the vault (a locked keyring at load) keeps its reference.
        return [name, {"keyring": account}]

    def _from_json(self, item: dict[str, Any]) -> Endpoint:
        return Endpoint(
            id=str(item["id"]),
            name=str(item["name"]),
            kind=EndpointKind(item["kind"]),
            base_url=str(item.get("base_url", "")),
            default_model=str(item.get("default_model", "")),
            timeout_s=_timeout_from_json(item.get("timeout_s")),
            # Files from before the setting: the kind's documented default.
            continues_prefix=bool(
                item.get("continues_prefix", EndpointKind(item["kind"]) in PREFIX_BY_DEFAULT)
            ),
            headers=tuple(self._header_from_json(h) for h in item.get("headers", [])),
        )

    def _header_from_json(self, header: list[Any]) -> Header:
        name, value = str(header[0]), header[1]
        if not isinstance(value, dict):
            return name, str(value)  # a plain header, or a secret the next save migrates
        account = str(value.get("keyring", ""))
        secret = self._vault.secret(account) if account else None
        if secret is not None:
            self._known[account] = secret
        return name, secret or ""


def _timeout_from_json(value: Any) -> float:
    # Files written before timeouts were per endpoint (or edited by hand badly) get the default.
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_TIMEOUT_S


def _account(endpoint_id: str, index: int, name: str) -> str:
    """The keyring entry of one header secret (the index tells repeated names apart)."""
    return f"{endpoint_id}/header/{index}/{name.casefold()}"


def _plain_secret(header: list[Any]) -> bool:
    return is_secret_header(str(header[0])) and isinstance(header[1], str) and bool(header[1])


def _references(item: dict[str, Any]) -> list[str]:
    return [h[1]["keyring"] for h in item["headers"] if isinstance(h[1], dict)]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
