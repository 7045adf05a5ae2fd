"""Where a connection's msal token cache is kept between runs.

The serialized cache holds refresh tokens, so it only ever goes to the SecretStore (an
encrypted file whose key is in the OS keychain), never to SQLite or settings files. The window
and the CLI may refresh the same connection's tokens at once: `lock` is held around each
load-change-save (see `core.auth.apps.StoreBackedTokenCache`).
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from typing import Protocol

from core.secrets import SecretStore

log = logging.getLogger(__name__)


class TokenCacheStore(Protocol):
    def load(self) -> str | None: ...

    def save(self, serialized: str) -> None: ...

    def lock(self) -> AbstractContextManager[object]:
        """Held (across processes where the store is shared) around a load-change-save."""
        ...


class MemoryTokenCacheStore:
    """Keeps the cache for this run only (test connection before saving, tests)."""

    def __init__(self, initial: str | None = None) -> None:
        self._state = initial
        self._lock = threading.RLock()

    def load(self) -> str | None:
        return self._state

    def save(self, serialized: str) -> None:
        self._state = serialized

    def lock(self) -> AbstractContextManager[object]:
        return self._lock


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

    def lock(self) -> AbstractContextManager[object]:
        return self._store.blob_lock(self._key)

    def clear(self) -> None:
        self._store.delete_blob(self._key)
