"""Keys go to the keyring (or memory), endpoints to a JSON file without keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from keyring.backends import fail

from workbench.core.endpoints import LOCAL_ENDPOINT_ID, EndpointKind, new_endpoint
from workbench.services.endpoints import EndpointRegistry
from workbench.services.keys import SERVICE, KeyVault


def test_key_is_kept_in_the_keyring(memory_keyring) -> None:
    vault = KeyVault()
    endpoint = new_endpoint(EndpointKind.OPENROUTER)
    vault.set(endpoint, "  sk-or-secret  ")
    assert memory_keyring.secrets == {(SERVICE, endpoint.id): "sk-or-secret"}
    assert KeyVault().get(endpoint) == "sk-or-secret"  # a new run finds it again
    vault.delete(endpoint)
    assert KeyVault().get(endpoint) is None


def test_environment_key_is_honoured_for_openai_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    vault = KeyVault()
    openai_endpoint = new_endpoint(EndpointKind.OPENAI)
    assert vault.get(openai_endpoint) == "sk-from-env"
    assert not vault.has_saved_key(openai_endpoint)
    assert vault.get(new_endpoint(EndpointKind.OPENROUTER)) is None
    vault.set(openai_endpoint, "sk-saved")
    assert vault.get(openai_endpoint) == "sk-saved"  # a saved key wins over the environment


def test_without_a_keyring_keys_live_in_memory_and_the_user_is_told(tmp_path: Path) -> None:
    vault = KeyVault(backend=fail.Keyring())
    assert not vault.persistent
    assert "memory" in (vault.warning or "")
    endpoint = new_endpoint(EndpointKind.OPENAI)
    vault.set(endpoint, "sk-memory-only")
    assert vault.get(endpoint) == "sk-memory-only"
    assert KeyVault(backend=fail.Keyring()).get(endpoint) is None  # gone with the session


def test_registry_round_trip_keeps_order_active_and_local(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    registry = EndpointRegistry(path)
    assert [e.id for e in registry.endpoints] == [LOCAL_ENDPOINT_ID]
    assert registry.active.is_local
    ollama = new_endpoint(EndpointKind.OLLAMA)
    vllm = new_endpoint(EndpointKind.VLLM).with_changes(headers=(("X-Team", "lab"),))
    registry.upsert(ollama)
    registry.upsert(vllm)
    registry.set_active(vllm.id)

    again = EndpointRegistry(path)
    assert again.endpoints == registry.endpoints
    assert again.active == vllm
    again.remove(vllm.id)
    assert EndpointRegistry(path).active.is_local
    with pytest.raises(ValueError, match="can't be removed"):
        again.remove(LOCAL_ENDPOINT_ID)


def test_registry_file_has_no_key(tmp_path: Path) -> None:
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    endpoint = new_endpoint(EndpointKind.OPENAI)
    registry.upsert(endpoint)
    KeyVault().set(endpoint, "sk-never-in-files")
    text = (tmp_path / "endpoints.json").read_text()
    assert "sk-never-in-files" not in text
    assert set(json.loads(text)["endpoints"][1]) == {
        "id",
        "name",
        "kind",
        "base_url",
        "default_model",
        "timeout_s",
        "continues_prefix",
        "headers",
    }
