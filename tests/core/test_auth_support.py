"""Token reuse, proxy set-up, token cache stores, claims and consent links."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from core.auth import (
    MemoryTokenCacheStore,
    SecretStoreTokenCacheStore,
    admin_consent_url,
    build_token_provider,
    configure_session_proxy,
    decode_jwt_claims,
    granted_permissions,
)
from core.auth.endpoints import resolve_endpoints
from core.auth.providers import ClientCredentialProvider
from core.domain.cloud import Cloud
from core.domain.connection import AuthMethod, ConnectionDraft, ConnectionSecrets, ProxyMode
from core.secrets import SecretStore
from tests.auth_fakes import (
    CLIENT_ID,
    FakeSts,
    app_token_body,
    jwt,
)

DRAFT = ConnectionDraft(
    name="Contoso HQ",
    tenant="contoso.com",
    client_id=CLIENT_ID,
    secrets=ConnectionSecrets(client_secret="secret-value"),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _count_msal_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = msal.ConfidentialClientApplication.acquire_token_for_client

    def counting(self: msal.ConfidentialClientApplication, *args: Any, **kw: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kw)

    monkeypatch.setattr(msal.ConfidentialClientApplication, "acquire_token_for_client", counting)
    return calls


def test_token_is_kept_until_five_minutes_before_expiry(
    sts: FakeSts, session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sts.tenant("contoso.com")
    sts.token("contoso.com", app_token_body())
    msal_calls = _count_msal_calls(monkeypatch)
    clock = Clock()
    provider = ClientCredentialProvider(
        DRAFT, resolve_endpoints(DRAFT), session=session, clock=clock
    )

    token = provider.get_token()
    clock.now += 3599 - 301
    assert provider.get_token() == token
    assert len(msal_calls) == 1
    clock.now += 2
    assert provider.get_token() == token  # msal's own cache still answers
    assert len(msal_calls) == 2
    assert len(sts.posts()) == 1


def test_short_lived_tokens_are_not_reused(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant("contoso.com")
    short = {**app_token_body(), "expires_in": 200}
    sts.token("contoso.com", short)
    provider = build_token_provider(DRAFT, session=session)
    provider.get_token()
    provider.get_token()
    assert len(sts.posts()) == 2


# Proxy -----------------------------------------------------------------------------------------

URL = "https://graph.microsoft.com/v1.0/organization"


def _effective(session: requests.Session) -> dict[str, Any]:
    """What requests will use for a request to Graph (proxies and TLS trust)."""
    return session.merge_environment_settings(URL, {}, None, None, None)


@pytest.fixture
def environment_proxy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("not used for a real handshake here")
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy.test:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return bundle


def test_no_proxy_ignores_environment_proxies_but_keeps_the_ca_bundle(
    environment_proxy: Path,
) -> None:
    session = requests.Session()
    configure_session_proxy(session, replace(DRAFT, proxy_mode=ProxyMode.NONE))
    settings = _effective(session)
    assert settings["proxies"] == {}
    assert settings["verify"] == str(environment_proxy)


def test_system_proxy_uses_the_environment(environment_proxy: Path) -> None:
    session = requests.Session()
    configure_session_proxy(session, replace(DRAFT, proxy_mode=ProxyMode.SYSTEM))
    settings = _effective(session)
    assert settings["proxies"]["https"] == "http://env-proxy.test:3128"
    assert settings["verify"] == str(environment_proxy)


def test_proxy_url_wins_over_the_environment_and_carries_quoted_credentials(
    environment_proxy: Path,
) -> None:
    session = requests.Session()
    draft = replace(
        DRAFT,
        proxy_mode=ProxyMode.URL,
        proxy_url="http://proxy.contoso.com:8080",
        proxy_username="CONTOSO\\svc licensing",
        secrets=ConnectionSecrets(proxy_password="p@ss:w/rd"),
    )
    configure_session_proxy(session, draft)
    expected = "http://CONTOSO%5Csvc%20licensing:p%40ss%3Aw%2Frd@proxy.contoso.com:8080"
    assert session.proxies == {"http": expected, "https": expected}
    settings = _effective(session)
    assert settings["proxies"]["https"] == expected
    assert settings["verify"] == str(environment_proxy)


def test_proxy_url_without_user_is_used_as_typed() -> None:
    session = requests.Session()
    draft = replace(DRAFT, proxy_mode=ProxyMode.URL, proxy_url=" https://10.0.0.1:3128 ")
    configure_session_proxy(session, draft)
    assert session.proxies == {"http": "https://10.0.0.1:3128", "https": "https://10.0.0.1:3128"}


# Token cache stores ----------------------------------------------------------------------------


def test_memory_store_round_trip() -> None:
    store = MemoryTokenCacheStore()
    assert store.load() is None
    store.save('{"AccessToken": {}}')
    assert store.load() == '{"AccessToken": {}}'


def test_secret_store_keeps_the_cache_encrypted(secret_store: SecretStore, app_paths: Any) -> None:
    store = SecretStoreTokenCacheStore(secret_store, "connection/4/token_cache")
    assert store.load() is None
    store.save('{"RefreshToken": {"x": {"secret": "refresh-token-value"}}}')
    assert "refresh-token-value" in (store.load() or "")
    files = list(Path(app_paths.data_dir).rglob("*.bin"))
    assert files and all(b"refresh-token-value" not in f.read_bytes() for f in files)
    store.clear()
    assert store.load() is None


# Claims and consent ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            jwt({"roles": ["User.Read.All", "Reports.Read.All"]}),
            {"User.Read.All", "Reports.Read.All"},
        ),
        (
            jwt({"scp": "User.Read.All Organization.Read.All"}),
            {"User.Read.All", "Organization.Read.All"},
        ),
        (jwt({"tid": "t"}), set()),
        ("opaque-token", None),
        ("a.%%%.c", None),
    ],
)
def test_granted_permissions_from_the_token(token: str, expected: set[str] | None) -> None:
    granted = granted_permissions(decode_jwt_claims(token))
    assert granted == (frozenset(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("draft", "path", "query"),
    [
        (
            DRAFT,
            "/contoso.com/adminconsent",
            {"client_id": [CLIENT_ID]},
        ),
        (
            replace(DRAFT, tenant="", cloud=Cloud.GCC_HIGH),
            "/common/adminconsent",
            {"client_id": [CLIENT_ID]},
        ),
    ],
)
def test_admin_consent_url_for_own_apps(
    draft: ConnectionDraft, path: str, query: dict[str, list[str]]
) -> None:
    url = urlsplit(admin_consent_url(draft))
    host = (
        "login.microsoftonline.us" if draft.cloud is Cloud.GCC_HIGH else "login.microsoftonline.com"
    )
    assert (url.scheme, url.netloc, url.path) == ("https", host, path)
    assert parse_qs(url.query) == query


def test_admin_consent_url_for_the_multi_tenant_app_lists_delegated_scopes() -> None:
    draft = ConnectionDraft(name="x", method=AuthMethod.MULTI_TENANT, cloud=Cloud.CHINA)
    url = urlsplit(admin_consent_url(draft))
    assert url.netloc == "login.partner.microsoftonline.cn"
    assert url.path == "/organizations/v2.0/adminconsent"
    query = parse_qs(url.query)
    assert query["client_id"] == ["14d82eec-204b-4c2f-b7e8-296a70dab67e"]
    assert query["redirect_uri"] == ["http://localhost"]
    assert query["scope"][0].split()[0] == (
        "https://microsoftgraph.chinacloudapi.cn/Organization.Read.All"
    )
