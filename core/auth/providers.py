"""Token providers, one per connection method (spec §3).

Each provider builds its msal application lazily on the first `get_token`, because building
one already talks to the network, and translates every failure into an AuthError.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import msal
import requests

from core.auth.apps import (
    DEFAULT_TIMEOUT_S,
    SessionHttpClient,
    confidential_app,
    has_accounts,
    load_token_cache,
    public_app,
    save_token_cache,
)
from core.auth.cache import TokenCacheStore
from core.auth.claims import decode_jwt_claims, granted_permissions
from core.auth.endpoints import ResolvedEndpoints, resolve_endpoints
from core.auth.failures import (
    WRAPPED_EXCEPTIONS,
    auth_error_from_exception,
    auth_error_from_result,
)
from core.domain.connection import AuthMethod, ConnectionDraft, effective_method
from core.errors import AuthError, InteractionRequired

NO_SIGN_IN = "Sign in again: this connection has no saved sign-in."
EXPIRY_MARGIN_S = 300  # like msal: a token with less than 5 minutes left is not reused


class TokenProvider(Protocol):
    def get_token(self, *, force_refresh: bool = False) -> str: ...

    @property
    def tenant_id(self) -> str | None: ...

    @property
    def granted_roles(self) -> frozenset[str] | None: ...


def tenant_of(result: dict[str, Any]) -> str | None:
    """The tenant GUID of a token answer: `tid` of the access token, else of the ID token."""
    claims = decode_jwt_claims(str(result.get("access_token") or "")) or {}
    id_claims = result.get("id_token_claims") or {}
    tid = claims.get("tid") or id_claims.get("tid")
    return str(tid) if tid else None


class MsalTokenProvider:
    """Shared machinery: lazy app, lock, cache persistence, error translation, claims.

    The last token is kept until 5 minutes before it expires, so callers may ask for a token
    before every request: msal's own cache lookup is keyed on the scopes the STS echoes,
    which need not match the ones requested.
    """

    def __init__(
        self,
        draft: ConnectionDraft,
        endpoints: ResolvedEndpoints,
        *,
        session: requests.Session,
        cache_store: TokenCacheStore | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._draft = draft
        self._endpoints = endpoints
        self._http = SessionHttpClient(session, timeout)
        self._cache_store = cache_store
        self._cache: msal.TokenCache | None = None
        self._app: msal.ClientApplication | None = None
        self._claims: dict[str, Any] | None = None
        self._tenant_id: str | None = None
        self._token: str | None = None
        self._valid_until = 0.0
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def tenant_id(self) -> str | None:
        return self._tenant_id

    @property
    def granted_roles(self) -> frozenset[str] | None:
        return granted_permissions(self._claims)

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            if self._token and not force_refresh and self._clock() < self._valid_until:
                return self._token
            if self._cache is None:
                self._cache = load_token_cache(self._cache_store)
            try:
                result = self._acquire(self._cache, force_refresh)
            except AuthError:
                raise
            except WRAPPED_EXCEPTIONS as exc:
                raise auth_error_from_exception(exc, self._draft, self._endpoints) from None
            finally:
                save_token_cache(self._cache, self._cache_store)
            token = result.get("access_token")
            if not token:
                raise auth_error_from_result(result, self._draft, self._endpoints)
            self._claims = decode_jwt_claims(str(token))
            self._tenant_id = tenant_of(result) or self._tenant_id
            self._token = str(token)
            lifetime = float(result.get("expires_in") or 0)
            self._valid_until = self._clock() + lifetime - EXPIRY_MARGIN_S
            return self._token

    def _application(self, cache: msal.TokenCache) -> msal.ClientApplication:
        if self._app is None:
            self._app = self._create_app(cache)
        return self._app

    def _create_app(self, cache: msal.TokenCache) -> msal.ClientApplication:
        raise NotImplementedError

    def _acquire(self, cache: msal.TokenCache, force_refresh: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _silent(
        self, app: msal.ClientApplication, account: dict[str, Any], force_refresh: bool
    ) -> dict[str, Any] | None:
        result = app.acquire_token_silent_with_error(
            self._endpoints.scopes, account, force_refresh=force_refresh
        )
        return result if isinstance(result, dict) else None


class ClientCredentialProvider(MsalTokenProvider):
    """Own registered app: client credentials with a secret or a certificate."""

    def _create_app(self, cache: msal.TokenCache) -> msal.ClientApplication:
        return confidential_app(self._draft, self._endpoints, self._http, cache)

    def _acquire(self, cache: msal.TokenCache, force_refresh: bool) -> dict[str, Any]:
        app = self._application(cache)
        assert isinstance(app, msal.ConfidentialClientApplication)
        if force_refresh:
            # acquire_token_for_client refuses force_refresh: drop the cached app tokens.
            kind = msal.TokenCache.CredentialType.ACCESS_TOKEN
            for token in list(cache.search(kind, query={"client_id": app.client_id})):
                cache.remove_at(token)
        return dict(app.acquire_token_for_client(self._endpoints.scopes))


class DelegatedTokenProvider(MsalTokenProvider):
    """Multi-tenant app: the administrator's saved sign-in, refreshed silently."""

    def _create_app(self, cache: msal.TokenCache) -> msal.ClientApplication:
        return public_app(self._endpoints, self._http, cache)

    def _acquire(self, cache: msal.TokenCache, force_refresh: bool) -> dict[str, Any]:
        if not has_accounts(cache):
            raise InteractionRequired(NO_SIGN_IN)
        app = self._application(cache)
        account = self._account(app.get_accounts())
        if account is None:
            raise InteractionRequired(NO_SIGN_IN)
        result = self._silent(app, account, force_refresh)
        if result is None:
            raise InteractionRequired("Sign in again: the saved sign-in has expired.")
        if "access_token" not in result:
            raise self._interaction_required(result)
        return result

    def _account(self, accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
        tenant = self._draft.tenant.strip().lower()
        for account in accounts:
            home = str(account.get("home_account_id") or "").lower()
            if tenant and (home.endswith("." + tenant) or account.get("realm") == tenant):
                return account
        return accounts[0] if accounts else None

    def _interaction_required(self, result: dict[str, Any]) -> InteractionRequired:
        error = auth_error_from_result(result, self._draft, self._endpoints)
        message = error.message[:1].lower() + error.message[1:]
        return InteractionRequired(
            f"Sign in again: {message}",
            code=error.code,
            detail=error.detail,
            field=error.field,
            consent_url=error.consent_url,
        )


class PasswordTokenProvider(MsalTokenProvider):
    """Deprecated connector: resource-owner password flow with the multi-tenant public client."""

    def _create_app(self, cache: msal.TokenCache) -> msal.ClientApplication:
        return public_app(self._endpoints, self._http, cache)

    def _acquire(self, cache: msal.TokenCache, force_refresh: bool) -> dict[str, Any]:
        username = self._draft.username.strip()
        password = self._draft.secrets.password
        if not password:
            raise AuthError("Type the password.", field="password")
        app = self._application(cache)
        assert isinstance(app, msal.PublicClientApplication)
        if has_accounts(cache):
            for account in app.get_accounts(username=username)[:1]:
                result = self._silent(app, account, force_refresh)
                if result and "access_token" in result:
                    return result
        return dict(
            app.acquire_token_by_username_password(username, password, self._endpoints.scopes)
        )


_PROVIDERS: dict[AuthMethod, type[MsalTokenProvider]] = {
    AuthMethod.OWN_APP: ClientCredentialProvider,
    AuthMethod.MULTI_TENANT: DelegatedTokenProvider,
    AuthMethod.PASSWORD: PasswordTokenProvider,
}


def build_token_provider(
    draft: ConnectionDraft,
    *,
    session: requests.Session,
    cache_store: TokenCacheStore | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> TokenProvider:
    """The provider for the draft's method; no network I/O until the first `get_token`.

    `draft.secrets` must hold the secrets (the caller reads them from the keychain).
    `cache_store` keeps a multi-tenant sign-in; other methods default to an in-memory cache.
    """
    endpoints = resolve_endpoints(draft)
    provider_class = _PROVIDERS[effective_method(draft.source_type, draft.method)]
    return provider_class(
        draft, endpoints, session=session, cache_store=cache_store, timeout=timeout
    )
