"""Tenant simulator: the simulated STS answers real msal through `http_client`."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import msal
import pytest

from core.simulator import MULTI_TENANT_CLIENT_ID, Knobs, Simulator, simulator_session
from core.simulator.tokens import b64url_decode, b64url_json
from tests.core.test_simulator import spec

AUTHORITY = "https://login.microsoftonline.com"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
DELEGATED = [
    "https://graph.microsoft.com/User.Read.All",
    "https://graph.microsoft.com/Reports.Read.All",
]


def claims(token: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(b64url_decode(token.split(".")[1]))
    return result


def test_confidential_client_gets_a_token_then_uses_its_cache() -> None:
    s = spec(users=10)
    sim = Simulator([s])
    app = msal.ConfidentialClientApplication(
        s.client_id,
        client_credential=s.client_secret,
        authority=f"{AUTHORITY}/{s.domain}",
        http_client=simulator_session(sim),
    )
    first = app.acquire_token_for_client(GRAPH_SCOPE)
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3599
    payload = claims(first["access_token"])
    assert payload["tid"] == s.tenant_id and payload["aud"] == "https://graph.microsoft.com"
    assert sorted(payload["roles"]) == sorted(s.granted_permissions)  # type: ignore[arg-type]
    second = app.acquire_token_for_client(GRAPH_SCOPE)
    assert second["token_source"] == "cache"
    assert sim.calls["token"] == 1 and sim.calls["openid-configuration"] == 1


def test_client_assertion_for_the_client_id_is_accepted() -> None:
    s = spec(users=3)
    sim = Simulator([s])
    header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
    payload = b64url_json({"iss": s.client_id, "sub": s.client_id, "aud": "x", "exp": 9e9})
    app = msal.ConfidentialClientApplication(
        s.client_id,
        client_credential={"client_assertion": lambda: f"{header}.{payload}.c2ln"},
        authority=f"{AUTHORITY}/{s.tenant_id}",
        http_client=simulator_session(sim),
    )
    assert "access_token" in app.acquire_token_for_client(GRAPH_SCOPE)


@pytest.mark.parametrize(
    ("client_id", "secret", "code", "error"),
    [
        ("11111111-2222-3333-4444-555555555555", "wrong", 7000215, "invalid_client"),
        ("99999999-2222-3333-4444-555555555555", "s3cret-value", 700016, "unauthorized_client"),
    ],
)
def test_sts_error_bodies_reach_msal_unchanged(
    client_id: str, secret: str, code: int, error: str
) -> None:
    s = spec(users=3)
    sim = Simulator([s])
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{AUTHORITY}/{s.tenant_id}",
        http_client=simulator_session(sim),
    )
    result = app.acquire_token_for_client(GRAPH_SCOPE)
    assert result["error"] == error and result["error_codes"] == [code]
    assert result["error_description"].startswith(f"AADSTS{code}: ")
    assert "\r\nTrace ID: " in result["error_description"]
    assert result["error_uri"].endswith(f"code={code}")
    assert sim.calls["instance-discovery"] == 1  # msal's alias lookup after an error


def test_unknown_tenant_fails_discovery_with_aadsts90002() -> None:
    sim = Simulator([spec(users=3)])
    with pytest.raises(ValueError) as raised:
        msal.ConfidentialClientApplication(
            "11111111-2222-3333-4444-555555555555",
            client_credential="x",
            authority=f"{AUTHORITY}/nowhere.onmicrosoft.com",
            http_client=simulator_session(sim),
        )
    assert "AADSTS90002" in str(raised.value.__context__)


def test_device_code_flow_with_public_client() -> None:
    s = spec(users=3)
    sim = Simulator([s], knobs=Knobs(device_code_interval_s=0))
    app = msal.PublicClientApplication(
        MULTI_TENANT_CLIENT_ID,
        authority=f"{AUTHORITY}/organizations",
        http_client=simulator_session(sim),
    )
    flow = app.initiate_device_flow(scopes=DELEGATED)
    assert flow["verification_uri"] == "https://microsoft.com/devicelogin"
    assert flow["user_code"] in flow["message"]
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert sim.calls["token"] == 2  # authorization_pending, then success
    token = claims(result["access_token"])
    assert token["tid"] == s.tenant_id
    assert token["scp"] == "Reports.Read.All User.Read.All"
    assert result["id_token_claims"]["preferred_username"] == s.admin_upn
    account = app.get_accounts()[0]
    silent = app.acquire_token_silent(DELEGATED, account=account)
    assert silent is not None and "access_token" in silent


def test_refresh_token_renews_access() -> None:
    s = spec(users=3, password="pw-1")
    sim = Simulator([s])
    app = msal.PublicClientApplication(
        MULTI_TENANT_CLIENT_ID,
        authority=f"{AUTHORITY}/{s.tenant_id}",
        http_client=simulator_session(sim),
    )
    with pytest.warns(
        DeprecationWarning
    ):  # msal discourages ROPC; the deprecated connector uses it
        result = app.acquire_token_by_username_password(s.admin_upn, "pw-1", scopes=DELEGATED)
    renewed = app.acquire_token_by_refresh_token(result["refresh_token"], scopes=DELEGATED)
    assert "access_token" in renewed and renewed["access_token"] != result["access_token"]


@pytest.mark.parametrize(
    ("password", "mfa", "code"),
    [("pw-1", False, None), ("nope", False, 50126), ("pw-1", True, 50076)],
)
def test_password_flow(password: str, mfa: bool, code: int | None) -> None:
    s = spec(users=3, password="pw-1", mfa_required=mfa)
    sim = Simulator([s])
    app = msal.PublicClientApplication(
        MULTI_TENANT_CLIENT_ID,
        authority=f"{AUTHORITY}/{s.domain}",
        http_client=simulator_session(sim),
    )
    with pytest.warns(DeprecationWarning):
        result = app.acquire_token_by_username_password(s.admin_upn, password, scopes=DELEGATED)
    if code is None:
        assert claims(result["access_token"])["upn"] == s.admin_upn
    else:
        assert result["error_codes"] == [code]


@pytest.mark.filterwarnings("ignore:response_mode:UserWarning")
def test_auth_code_flow_and_admin_consent_redirects() -> None:
    s = spec(users=3, own_app_redirect_uris=("http://localhost/c",))
    sim = Simulator([s])
    session = simulator_session(sim)
    app = msal.PublicClientApplication(
        MULTI_TENANT_CLIENT_ID, authority=f"{AUTHORITY}/organizations", http_client=session
    )
    flow = app.initiate_auth_code_flow(
        DELEGATED, redirect_uri="http://localhost:8400", response_mode="query"
    )
    browser = session.get(flow["auth_uri"], allow_redirects=False)
    assert browser.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(browser.headers["Location"]).query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, query)
    assert claims(result["access_token"])["tid"] == s.tenant_id
    consent = session.get(
        f"{AUTHORITY}/common/adminconsent",
        params={"client_id": s.client_id, "redirect_uri": "http://localhost/c", "state": "xyz"},
        allow_redirects=False,
    )
    back = parse_qs(urlsplit(consent.headers["Location"]).query)
    assert back == {"admin_consent": ["True"], "tenant": [s.tenant_id], "state": ["xyz"]}
