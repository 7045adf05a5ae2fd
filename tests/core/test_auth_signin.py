"""Multi-tenant sign-in (device code, browser), silent tokens from the saved sign-in, and the
deprecated connector's password flow."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from core.auth import (
    MFA_MESSAGE,
    MemoryTokenCacheStore,
    SignInCancelled,
    SignInResult,
    build_token_provider,
    sign_in_device_code,
    sign_in_interactive,
)
from core.domain.cancel import CancelToken
from core.domain.connection import AuthMethod, ConnectionDraft, ConnectionSecrets, SourceType
from core.errors import AuthError, ImportCancelled, InteractionRequired
from tests.auth_fakes import (
    HOST,
    TENANT_ID,
    FakeSts,
    error_body,
    user_token_body,
)

SHIPPED_CLIENT = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
MULTI = ConnectionDraft(name="Fabrikam", method=AuthMethod.MULTI_TENANT)
ORGS = "organizations"
DEVICE_URL = f"{HOST}/{ORGS}/oauth2/v2.0/devicecode"
DEVICE_FLOW = {
    "user_code": "ABCD-EFGH",
    "device_code": "device-code-value",
    "verification_uri": "https://microsoft.com/devicelogin",
    "expires_in": 900,
    "interval": 1,
    "message": "To sign in, open https://microsoft.com/devicelogin and enter ABCD-EFGH.",
}
PENDING = {**error_body(70016, error="authorization_pending"), "error": "authorization_pending"}


class Waits:
    """Stands in for the sleep between polls: records it and never sleeps."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.calls: list[float] = []
        self._cancel_after = cancel_after

    def __call__(self, seconds: float) -> bool:
        self.calls.append(seconds)
        return self._cancel_after is not None and len(self.calls) >= self._cancel_after


def _device_sign_in(
    session: requests.Session,
    store: MemoryTokenCacheStore,
    waits: Waits,
    cancel: CancelToken | None = None,
) -> tuple[SignInResult, list[str]]:
    shown: list[str] = []
    result = sign_in_device_code(
        MULTI,
        session=session,
        cache_store=store,
        show_code=shown.append,
        cancel=cancel or CancelToken(),
        wait=waits,
    )
    return result, shown


def test_device_code_sign_in_then_silent_tokens(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    sts.token(ORGS, PENDING, status=400)
    sts.token(ORGS, user_token_body())
    store = MemoryTokenCacheStore()
    waits = Waits()

    result, shown = _device_sign_in(session, store, waits)

    assert result == SignInResult(tenant_id=TENANT_ID, username="admin@contoso.com")
    assert shown == [DEVICE_FLOW["message"]]
    assert waits.calls == [1]
    (device_post,) = sts.posts("/devicecode")
    assert device_post["client_id"] == [SHIPPED_CLIENT]
    scopes = device_post["scope"][0].split()
    assert "https://graph.microsoft.com/Organization.Read.All" in scopes
    assert "https://graph.microsoft.com/AuditLog.Read.All" in scopes
    polls = sts.posts("/token")
    assert [p["grant_type"][0] for p in polls] == [
        "urn:ietf:params:oauth:grant-type:device_code"
    ] * 2
    saved = store.load()
    assert saved and "refresh-token-value" in saved

    # Later: a new provider from the same store gets a token without a new sign-in.
    sts.mock.calls.reset()
    provider = build_token_provider(MULTI, session=session, cache_store=store)
    token = provider.get_token()
    assert token == user_token_body()["access_token"]
    assert provider.tenant_id == TENANT_ID
    assert provider.granted_roles == {"User.Read.All"}
    assert sts.posts() == []


def test_saved_sign_in_is_refreshed_for_the_resolved_tenant(
    sts: FakeSts, session: requests.Session
) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    sts.token(ORGS, user_token_body())
    store = MemoryTokenCacheStore()
    _device_sign_in(session, store, Waits())
    sts.mock.calls.reset()
    sts.tenant(TENANT_ID)
    sts.token(TENANT_ID, user_token_body(scp="User.Read.All Reports.Read.All"))

    # The dialog fills the tenant from the sign-in result before saving the connection.
    provider = build_token_provider(
        replace(MULTI, tenant=TENANT_ID), session=session, cache_store=store
    )
    provider.get_token()

    assert sts.posts("/devicecode") == []
    (refresh,) = sts.posts("/token")
    assert refresh["grant_type"] == ["refresh_token"]
    assert refresh["refresh_token"] == ["refresh-token-value"]
    assert provider.granted_roles == {"User.Read.All", "Reports.Read.All"}


def test_cancelling_the_device_code_wait_stops_the_sign_in(
    sts: FakeSts, session: requests.Session
) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    sts.token(ORGS, PENDING, status=400)
    store = MemoryTokenCacheStore()

    with pytest.raises(SignInCancelled) as caught:
        _device_sign_in(session, store, Waits(cancel_after=1))

    assert isinstance(caught.value, ImportCancelled)
    assert str(caught.value) == "Sign-in cancelled"
    assert len(sts.posts("/token")) == 1
    assert store.load() is None


def test_cancelled_before_the_first_poll(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    cancel = CancelToken()
    shown: list[str] = []

    def show_and_cancel(message: str) -> None:
        shown.append(message)
        cancel.cancel()

    with pytest.raises(SignInCancelled):
        sign_in_device_code(
            MULTI,
            session=session,
            cache_store=MemoryTokenCacheStore(),
            show_code=show_and_cancel,
            cancel=cancel,
            wait=Waits(),
        )
    assert shown and sts.posts("/token") == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"error": "authorization_declined"}, "The sign-in was declined."),
        ({"error": "expired_token"}, "The sign-in code expired before it was used; sign in again."),
    ],
)
def test_device_code_sign_in_refused(
    sts: FakeSts, session: requests.Session, answer: dict[str, Any], message: str
) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    sts.token(ORGS, answer, status=400)
    with pytest.raises(AuthError) as caught:
        _device_sign_in(session, MemoryTokenCacheStore(), Waits())
    assert caught.value.message == message


def test_device_code_request_refused_offers_consent(
    sts: FakeSts, session: requests.Session
) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=error_body(65001, error="invalid_grant"), status=400)
    with pytest.raises(AuthError) as caught:
        _device_sign_in(session, MemoryTokenCacheStore(), Waits())
    assert caught.value.field == "client_id"
    url = urlsplit(caught.value.consent_url or "")
    assert url.path == f"/{ORGS}/v2.0/adminconsent"
    query = parse_qs(url.query)
    assert query["client_id"] == [SHIPPED_CLIENT]
    assert "https://graph.microsoft.com/Reports.Read.All" in query["scope"][0].split()


def test_no_saved_sign_in_requires_interaction_without_network(
    sts: FakeSts, session: requests.Session
) -> None:
    provider = build_token_provider(MULTI, session=session, cache_store=MemoryTokenCacheStore())
    with pytest.raises(InteractionRequired) as caught:
        provider.get_token()
    assert caught.value.message.startswith("Sign in again: ")
    assert len(sts.mock.calls) == 0


def test_expired_saved_sign_in_requires_interaction(
    sts: FakeSts, session: requests.Session
) -> None:
    sts.tenant(ORGS)
    sts.mock.post(DEVICE_URL, json=DEVICE_FLOW)
    sts.token(ORGS, user_token_body())
    store = MemoryTokenCacheStore()
    _device_sign_in(session, store, Waits())
    sts.token(ORGS, error_body(700082, error="invalid_grant"), status=400)

    provider = build_token_provider(MULTI, session=session, cache_store=store)
    with pytest.raises(InteractionRequired) as caught:
        provider.get_token(force_refresh=True)

    assert caught.value.message == "Sign in again: the saved sign-in has expired."
    assert caught.value.code == 700082


def test_browser_sign_in_uses_the_redirect_port(
    sts: FakeSts, session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sts.tenant("contoso.com")
    seen: dict[str, Any] = {}

    def fake_interactive(
        self: msal.PublicClientApplication, scopes: list[str], **kwargs: Any
    ) -> dict[str, Any]:
        seen.update(kwargs, scopes=scopes, authority=self.authority.tenant)
        answer = user_token_body()
        answer["id_token_claims"] = {"tid": TENANT_ID, "preferred_username": "a@contoso.com"}
        return answer

    monkeypatch.setattr(msal.PublicClientApplication, "acquire_token_interactive", fake_interactive)
    draft = replace(MULTI, tenant="contoso.com", redirect_uri="http://localhost:8400")

    result = sign_in_interactive(
        draft, session=session, cache_store=MemoryTokenCacheStore(), cancel=CancelToken()
    )

    assert result == SignInResult(TENANT_ID, "a@contoso.com")
    assert seen["port"] == 8400
    assert seen["domain_hint"] == "contoso.com"
    assert seen["authority"] == "contoso.com"
    assert "https://graph.microsoft.com/User.Read.All" in seen["scopes"]


PASSWORD = ConnectionDraft(
    name="Old connector",
    source_type=SourceType.OFFICE_365,
    method=AuthMethod.PASSWORD,
    username="reader@contoso.com",
    secrets=ConnectionSecrets(password="Pa55-word!"),
)
USER_REALM = f"{HOST}/common/userrealm/reader@contoso.com"


@pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
def test_password_flow_gets_a_token_then_reuses_it(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(ORGS)
    sts.mock.get(USER_REALM, json={"account_type": "Managed", "ver": "1.0"})
    sts.token(ORGS, user_token_body(username="reader@contoso.com"))
    provider = build_token_provider(PASSWORD, session=session)

    assert provider.get_token() == provider.get_token()

    (post,) = sts.posts()
    assert post["grant_type"] == ["password"]
    assert post["username"] == ["reader@contoso.com"]
    assert post["password"] == ["Pa55-word!"]
    assert post["client_id"] == [SHIPPED_CLIENT]
    assert provider.tenant_id == TENANT_ID


@pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("code", "message"),
    [(50076, MFA_MESSAGE), (50079, MFA_MESSAGE), (50126, "User name or password is wrong.")],
)
def test_password_flow_failures_name_the_password(
    sts: FakeSts, session: requests.Session, code: int, message: str
) -> None:
    sts.tenant(ORGS)
    sts.mock.get(USER_REALM, json={"account_type": "Managed", "ver": "1.0"})
    sts.token(ORGS, error_body(code, error="invalid_grant", text="Pa55-word! rejected"), 400)
    with pytest.raises(AuthError) as caught:
        build_token_provider(PASSWORD, session=session).get_token()
    assert (caught.value.field, caught.value.message, caught.value.code) == (
        "password",
        message,
        code,
    )
    assert "Pa55-word!" not in caught.value.detail


def test_mfa_message_is_the_specified_one() -> None:
    assert MFA_MESSAGE == (
        "This account requires multi-factor authentication, which the deprecated Microsoft "
        "Office 365 connector cannot do. Use the Microsoft 365 connector instead."
    )
