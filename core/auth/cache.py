"""Where a connection's msal token cache is kept between runs.

The serialized cache holds refresh tokens, so it only ever goes to the SecretStore (an
encrypted file whose key is in the OS keychain), never to SQLite or settings files.
"""

from __future__ import annotations

import logging
from typing import Protocol

from core.secrets import SecretStore

log = logging.getLogger(__name__)


class TokenCacheStore(Protocol):
    def load(self) -> str | None: ...

    def save(self, serialized: str) -> None: ...


class MemoryTokenCacheStore:
    """Keeps the cache for this run only (test connection before saving, tests)."""

    def __init__(self, initial: str | None = None) -> None:
        self._state = initial

    def load(self) -> str | None:
        return self._state

    def save(self, serialized: str) -> None:
        self._state = serialized


class SecretStoreTokenCacheStore:
    """The cache as an encrypted blob of the SecretStore under `key`."""

    def __init__(self, secret_store: SecretStore, key: str) -> None:
        self._store = secret_store
        self._key = key

    def load(self) -> str | None:
        data = self._store.get_blob(self._key)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("a saved sign-in could not be read; it is ignored")
            return None

    def save(self, serialized: str) -> None:
        self._store.set_blob(self._key, serialized.encode("utf-8"))

    def clear(self) -> None:
        self._store.delete_blob(self._key)
