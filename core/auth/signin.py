"""The administrator's sign-in for a multi-tenant connection: device code or system browser.

Both save the msal token cache to the connection's cache store, from which
`DelegatedTokenProvider` later gets tokens silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from core.auth.apps import (
    DEFAULT_TIMEOUT_S,
    SessionHttpClient,
    load_token_cache,
    public_app,
    save_token_cache,
)
from core.auth.cache import TokenCacheStore
from core.auth.endpoints import ResolvedEndpoints, resolve_endpoints
from core.auth.failures import WRAPPED_EXCEPTIONS, auth_error_from_exception, auth_error_from_result
from core.auth.providers import tenant_of
from core.domain.cancel import CancelToken
from core.domain.connection import ConnectionDraft, SignInResult
from core.errors import AuthError, ImportCancelled

_PENDING = ("authorization_pending", "slow_down")
INTERACTIVE_TIMEOUT_S = 300


class SignInCancelled(ImportCancelled):
    """The user cancelled the sign-in (an ImportCancelled, so job runners treat it alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.message = "Sign-in cancelled"
        self.args = (self.message,)


def _result(
    answer: dict[str, Any], draft: ConnectionDraft, endpoints: ResolvedEndpoints
) -> SignInResult:
    if "access_token" not in answer:
        raise auth_error_from_result(answer, draft, endpoints)
    claims = answer.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("upn") or "")
    return SignInResult(tenant_id=tenant_of(answer) or "", username=username)


class _SignIn:
    """One sign-in attempt: the public client app on the shared session, errors translated."""

    def __init__(
        self,
        draft: ConnectionDraft,
        session: requests.Session,
        cache_store: TokenCacheStore,
        timeout: float,
    ) -> None:
        self.draft = draft
        self.endpoints = resolve_endpoints(draft)
        self.cache_store = cache_store
        self.cache = load_token_cache(cache_store)
        self._http = SessionHttpClient(session, timeout)

    def run(self, action: Callable[[msal.PublicClientApplication], dict[str, Any]]) -> SignInResult:
        try:
            answer = action(public_app(self.endpoints, self._http, self.cache))
        except (AuthError, ImportCancelled):
            raise
        except WRAPPED_EXCEPTIONS as exc:
            raise auth_error_from_exception(exc, self.draft, self.endpoints) from None
        result = _result(answer, self.draft, self.endpoints)
        save_token_cache(self.cache, self.cache_store)
        return result


def sign_in_device_code(
    draft: ConnectionDraft,
    *,
    session: requests.Session,
    cache_store: TokenCacheStore,
    show_code: Callable[[str], None],
    cancel: CancelToken,
    wait: Callable[[float], bool] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> SignInResult:
    """Sign in with a device code: `show_code` gets the instruction to show the user.

    Polls once per interval; `wait(seconds)` returns True when cancelled (default: the
    cancel token's own wait, so cancelling ends the wait at once).
    """
    attempt = _SignIn(draft, session, cache_store, timeout)
    pause = wait or cancel.wait

    def device_flow(app: msal.PublicClientApplication) -> dict[str, Any]:
        flow = app.initiate_device_flow(scopes=attempt.endpoints.scopes)
        if "user_code" not in flow:
            raise auth_error_from_result(flow, draft, attempt.endpoints)
        show_code(str(flow.get("message") or flow["user_code"]))
        # msal polls every `interval` seconds; at least 1 so its own loop cannot spin.
        flow["interval"] = max(1, int(flow.get("interval", 5)))
        while True:
            if cancel.cancelled:
                raise SignInCancelled()
            # One poll per call: we wait ourselves, so cancelling is prompt.
            answer = app.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
            if answer.get("error") not in _PENDING:
                return dict(answer)
            if answer.get("error") == "slow_down":
                flow["interval"] += 5
            if time.time() > flow.get("expires_at", 0):
                return {"error": "expired_token"}
            if pause(flow["interval"]):
                raise SignInCancelled()

    return attempt.run(device_flow)


def sign_in_interactive(
    draft: ConnectionDraft,
    *,
    session: requests.Session,
    cache_store: TokenCacheStore,
    cancel: CancelToken,
    timeout_s: int = INTERACTIVE_TIMEOUT_S,
) -> SignInResult:
    """Sign in in the system browser with a loopback redirect (port from the redirect URI).

    msal blocks until the browser comes back or `timeout_s` passes; cancelling takes
    effect then.
    """
    attempt = _SignIn(draft, session, cache_store, DEFAULT_TIMEOUT_S)
    port = urlsplit(attempt.endpoints.redirect_uri).port

    def browser(app: msal.PublicClientApplication) -> dict[str, Any]:
        if cancel.cancelled:
            raise SignInCancelled()
        answer = app.acquire_token_interactive(
            attempt.endpoints.scopes,
            prompt=msal.Prompt.SELECT_ACCOUNT,
            port=port,
            timeout=timeout_s,
            domain_hint=draft.tenant.strip() if "." in draft.tenant else None,
        )
        if cancel.cancelled:
            raise SignInCancelled()
        return dict(answer)

    return attempt.run(browser)
