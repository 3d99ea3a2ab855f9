"""API keys live in the OS keyring and nowhere else.

Without a usable keyring (a headless Linux box) keys are kept in memory for this run only, and
`warning` says so; there is deliberately no plaintext fallback.
"""

from __future__ import annotations

import contextlib
import logging
import os

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

from workbench.core.endpoints import Endpoint, EndpointKind

SERVICE = "workbench"
log = logging.getLogger(__name__)


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    # keyrings.alt's file backends write the secret to disk, which is what we promise not to do.
    return not type(backend).__module__.startswith("keyrings.alt")


class KeyVault:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend or keyring.get_keyring()
        self._memory: dict[str, str] = {}
        self.persistent = _usable(self._backend)

    @property
    def warning(self) -> str | None:
        if self.persistent:
            return None
        return (
            "No system keyring is available, so keys are kept in memory for this session only "
            "and must be entered again next time. Install and unlock a keyring (for example "
            "GNOME Keyring or KWallet) to have them remembered."
        )

    def get(self, endpoint: Endpoint) -> str | None:
        key = self._stored(endpoint.id)
        if key is None and endpoint.kind is EndpointKind.OPENAI:
            key = os.environ.get("OPENAI_API_KEY") or None
        return key

    def has_saved_key(self, endpoint: Endpoint) -> bool:
        return self._stored(endpoint.id) is not None

    def set(self, endpoint: Endpoint, key: str) -> None:
        key = key.strip()
        if not key:
            self.delete(endpoint)
            return
        self.set_secret(endpoint.id, key)

    def delete(self, endpoint: Endpoint) -> None:
        self.delete_secret(endpoint.id)

    # --- any other secret (an endpoint's credential-like headers), by account name ------------
    def secret(self, account: str) -> str | None:
        return self._stored(account)

    def set_secret(self, account: str, value: str) -> None:
        if self.persistent:
            try:
                self._backend.set_password(SERVICE, account, value)
                return
            except keyring.errors.KeyringError as exc:
                # Log the failure, never the secret.
                log.warning("keyring refused a secret for %s: %s", account, type(exc).__name__)
                self.persistent = False
        self._memory[account] = value

    def delete_secret(self, account: str) -> None:
        self._memory.pop(account, None)
        if self.persistent:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._backend.delete_password(SERVICE, account)

    def _stored(self, endpoint_id: str) -> str | None:
        if endpoint_id in self._memory:
            return self._memory[endpoint_id]
        if not self.persistent:
            return None
        try:
            return self._backend.get_password(SERVICE, endpoint_id)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring could not be read: %s", type(exc).__name__)
            return None
