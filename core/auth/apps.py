"""Building msal application objects on the connection's shared requests.Session.

Constructing one already does network I/O (authority discovery), so callers build them
lazily and route every error through `core.auth.failures`.
"""

from __future__ import annotations

import logging
from typing import Any

import msal
import requests

from core.auth.cache import TokenCacheStore
from core.auth.credentials import client_credential
from core.auth.endpoints import ResolvedEndpoints
from core.domain.connection import ConnectionDraft
from core.errors import AuthError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0


class SessionHttpClient:
    """The shared session as msal's `http_client`, with a timeout on every request.

    requests has no session-wide timeout. `close` is a no-op: msal must not close the
    session Graph keeps using.
    """

    def __init__(self, session: requests.Session, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.session = session
        self._timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return _not_throttled(self.session.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return _not_throttled(self.session.post(url, **kwargs))

    def close(self) -> None:
        pass


class StoreBackedTokenCache(msal.SerializableTokenCache):  # type: ignore[misc]
    """msal's cache kept in a TokenCacheStore that other processes write too.

    As msal-extensions' PersistedTokenCache does: every change reloads the stored state, applies
    the change and saves, all under the store's lock, and every search reads the stored state
    first. Two processes refreshing tokens at once thus both keep their entries, and each
    reads the latest refresh token before it uses one.
    """

    def __init__(self, store: TokenCacheStore) -> None:
        super().__init__()
        self._store = store
        self._reload()

    def _reload(self) -> None:
        state = self._store.load()
        if state:
            try:
                self.deserialize(state)
            except ValueError:
                log.warning("a saved sign-in could not be read; it is ignored")

    def modify(
        self,
        credential_type: str,
        old_entry: dict[str, Any],
        new_key_value_pairs: dict[str, Any] | None = None,
    ) -> None:
        with self._store.lock():
            self._reload()
            super().modify(credential_type, old_entry, new_key_value_pairs)
            self._store.save(self.serialize())

    def search(self, credential_type: str, *args: Any, **kwargs: Any) -> Any:
        with self._store.lock():
            self._reload()
        return super().search(credential_type, *args, **kwargs)


def _not_throttled(response: requests.Response) -> requests.Response:
    """A 429 from the sign-in service is final: msal would report it as an unreadable
    answer or a bare error code, so say here what it was and when to try again."""
    if response.status_code != 429:
        return response
    from core.graph.retry import local_time_after, parse_retry_after

    url = (response.url or "").split("?", 1)[0]
    wait = parse_retry_after(response.headers.get("Retry-After"))
    when = f"after {local_time_after(wait)} (local time)" if wait else "in a few minutes"
    raise AuthError(
        f"The sign-in service answered 429 (too many requests) for {url}; try again {when}.",
        detail=f"429 POST {url}",
    )


def load_token_cache(store: TokenCacheStore | None) -> msal.TokenCache:
    """A cache kept in `store` (shared with other processes), or a private in-memory one."""
    if store is None:
        return msal.TokenCache()
    return StoreBackedTokenCache(store)


def save_token_cache(cache: msal.TokenCache, store: TokenCacheStore | None) -> None:
    """Save a serializable cache that is not kept in its store as it changes."""
    if store is None or isinstance(cache, StoreBackedTokenCache):
        return
    if isinstance(cache, msal.SerializableTokenCache) and cache.has_state_changed:
        store.save(cache.serialize())


def has_accounts(cache: msal.TokenCache) -> bool:
    """True when the cache knows a signed-in account (checked without network I/O)."""
    found = cache.search(msal.TokenCache.CredentialType.ACCOUNT, query={})
    return next(iter(found), None) is not None


def confidential_app(
    draft: ConnectionDraft,
    endpoints: ResolvedEndpoints,
    http_client: SessionHttpClient,
    cache: msal.TokenCache,
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        endpoints.client_id,
        client_credential=client_credential(draft),
        authority=endpoints.authority,
        token_cache=cache,
        http_client=http_client,
        instance_discovery=endpoints.instance_discovery,
    )


def public_app(
    endpoints: ResolvedEndpoints, http_client: SessionHttpClient, cache: msal.TokenCache
) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        endpoints.client_id,
        authority=endpoints.authority,
        token_cache=cache,
        http_client=http_client,
        instance_discovery=endpoints.instance_discovery,
    )
