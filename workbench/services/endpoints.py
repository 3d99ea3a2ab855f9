"""The saved list of endpoints (no keys in it: those are in the keyring)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from workbench.core.endpoints import (
    LOCAL_ENDPOINT_ID,
    Endpoint,
    EndpointKind,
    local_endpoint,
)

FORMAT_VERSION = 1


class EndpointRegistry:
    """Endpoints in order, with the active one; the built-in Local endpoint is always there."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
            "endpoints": [_to_json(e) for e in self.endpoints],
        }
        _write_atomically(self.path, json.dumps(data, indent=2))

    def _load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        loaded = [_from_json(item) for item in data.get("endpoints", [])]
        if not any(e.id == LOCAL_ENDPOINT_ID for e in loaded):
            loaded.insert(0, local_endpoint())
        self.endpoints = loaded
        self.active_id = data.get("active", LOCAL_ENDPOINT_ID)


def _to_json(endpoint: Endpoint) -> dict[str, object]:
    return {
        "id": endpoint.id,
        "name": endpoint.name,
        "kind": str(endpoint.kind),
        "base_url": endpoint.base_url,
        "default_model": endpoint.default_model,
        "headers": [list(h) for h in endpoint.headers],
    }


def _from_json(item: dict) -> Endpoint:
    return Endpoint(
        id=str(item["id"]),
        name=str(item["name"]),
        kind=EndpointKind(item["kind"]),
        base_url=str(item.get("base_url", "")),
        default_model=str(item.get("default_model", "")),
        headers=tuple((str(k), str(v)) for k, v in item.get("headers", [])),
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
