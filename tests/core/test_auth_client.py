"""Own-app connections: client credentials with a secret, a PEM or a PFX certificate, and
every sign-in failure the dialog shows next to a field."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from core.auth import TENANT_NOT_FOUND, build_token_provider
from core.domain.cloud import Cloud
from core.domain.connection import ConnectionDraft, ConnectionSecrets, CredentialKind, ProxyMode
from core.errors import AuthError
from tests.auth_fakes import (
    APP_ROLES,
    CLIENT_ID,
    HOST,
    TENANT_ID,
    FakeSts,
    app_token_body,
    decode_segment,
    error_body,
    make_key_and_cert,
    openid_configuration,
    sha256_thumbprint,
    write_pem,
    write_pfx,
)

SECRET = "Abc8Q~not-a-real-secret-value"
DRAFT = ConnectionDraft(
    name="Contoso HQ",
    tenant="contoso.onmicrosoft.com",
    client_id=CLIENT_ID,
    secrets=ConnectionSecrets(client_secret=SECRET),
)
TENANT = DRAFT.tenant


def test_building_a_provider_does_no_network_io(sts: FakeSts, session: requests.Session) -> None:
    build_token_provider(DRAFT, session=session)
    assert len(sts.mock.calls) == 0


def test_client_secret_token_is_reused_from_the_cache(
    sts: FakeSts, session: requests.Session
) -> None:
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body())
    provider = build_token_provider(DRAFT, session=session)
    assert provider.tenant_id is None and provider.granted_roles is None

    first = provider.get_token()
    second = provider.get_token()

    assert first == second
    posts = sts.posts()
    assert len(posts) == 1
    assert posts[0]["grant_type"] == ["client_credentials"]
    assert posts[0]["client_id"] == [CLIENT_ID]
    assert posts[0]["client_secret"] == [SECRET]
    assert posts[0]["scope"] == ["https://graph.microsoft.com/.default"]
    assert provider.tenant_id == TENANT_ID
    assert provider.granted_roles == frozenset(APP_ROLES)


def test_force_refresh_gets_a_new_token(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body(roles=["User.Read.All"]))
    sts.token(TENANT, app_token_body(roles=APP_ROLES))
    provider = build_token_provider(DRAFT, session=session)
    provider.get_token()
    assert provider.granted_roles == {"User.Read.All"}
    provider.get_token(force_refresh=True)
    assert len(sts.posts()) == 2
    assert provider.granted_roles == frozenset(APP_ROLES)


def test_token_requests_carry_a_timeout(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body())
    seen: list[object] = []
    original = session.request

    def spy(method: str, url: str, **kwargs: object) -> requests.Response:
        seen.append(kwargs.get("timeout"))
        return original(method, url, **kwargs)  # type: ignore[arg-type]

    session.request = spy  # type: ignore[method-assign]
    build_token_provider(DRAFT, session=session, timeout=12.5).get_token()
    assert seen == [12.5, 12.5]


def _assertion_header(sts: FakeSts) -> dict[str, object]:
    (post,) = sts.posts()
    assert post["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assert "client_secret" not in post
    return decode_segment(post["client_assertion"][0].split(".")[0])


@pytest.mark.parametrize("password", [None, "pem-pass"])
def test_pem_certificate_signs_an_assertion_with_sha256_thumbprint(
    sts: FakeSts, session: requests.Session, tmp_path: Path, password: str | None
) -> None:
    key, cert = make_key_and_cert()
    _, other = make_key_and_cert("intermediate")
    pem = write_pem(tmp_path / "app.pem", key, [other, cert], password)  # leaf listed last
    draft = replace(
        DRAFT,
        credential_kind=CredentialKind.PEM,
        certificate_path=str(pem),
        secrets=ConnectionSecrets(certificate_password=password or ""),
    )
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body())

    build_token_provider(draft, session=session).get_token()

    header = _assertion_header(sts)
    assert header["alg"] == "PS256"
    assert str(header["x5t#S256"]).rstrip("=") == sha256_thumbprint(cert)
    leaf = cert.public_bytes(serialization.Encoding.DER)
    x5c = header["x5c"]
    assert isinstance(x5c, list) and len(x5c) == 1  # only the leaf that matches the key
    assert "".join(x5c[0].split()) == base64.b64encode(leaf).decode()


def test_pfx_certificate_signs_an_assertion(
    sts: FakeSts, session: requests.Session, tmp_path: Path
) -> None:
    key, cert = make_key_and_cert()
    pfx = write_pfx(tmp_path / "app.pfx", key, cert, "pfx-pass")
    draft = replace(
        DRAFT,
        credential_kind=CredentialKind.PFX,
        certificate_path=str(pfx),
        secrets=ConnectionSecrets(certificate_password="pfx-pass"),
    )
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body())

    build_token_provider(draft, session=session).get_token()

    header = _assertion_header(sts)
    assert str(header["x5t#S256"]).rstrip("=") == sha256_thumbprint(cert)
    assert "x5c" in header


def _cert_failure(draft: ConnectionDraft, session: requests.Session) -> AuthError:
    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()
    return caught.value


@pytest.mark.parametrize(
    ("kind", "stored_password", "typed_password", "field", "message"),
    [
        (CredentialKind.PEM, "right", "wrong", "certificate_password", "password is wrong"),
        (CredentialKind.PEM, "right", "", "certificate_password", "type the certificate pass"),
        (CredentialKind.PFX, "right", "wrong", "certificate_password", "password is wrong"),
        (CredentialKind.PFX, "right", "", "certificate_password", "type its password"),
    ],
)
def test_certificate_password_problems_name_the_field(
    sts: FakeSts,
    session: requests.Session,
    tmp_path: Path,
    kind: CredentialKind,
    stored_password: str,
    typed_password: str,
    field: str,
    message: str,
) -> None:
    key, cert = make_key_and_cert()
    if kind is CredentialKind.PEM:
        path = write_pem(tmp_path / "app.pem", key, [cert], stored_password)
    else:
        path = write_pfx(tmp_path / "app.pfx", key, cert, stored_password)
    draft = replace(
        DRAFT,
        credential_kind=kind,
        certificate_path=str(path),
        secrets=ConnectionSecrets(certificate_password=typed_password),
    )
    error = _cert_failure(draft, session)
    assert error.field == field
    assert message in error.message
    assert len(sts.mock.calls) == 0  # checked before any network I/O


def test_pem_without_its_certificate_or_with_a_foreign_one(
    session: requests.Session, tmp_path: Path
) -> None:
    key, _ = make_key_and_cert()
    _, foreign = make_key_and_cert("someone else")
    only_key = tmp_path / "key.pem"
    only_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    draft = replace(DRAFT, credential_kind=CredentialKind.PEM, certificate_path=str(only_key))
    error = _cert_failure(draft, session)
    assert (error.field, error.message) == (
        "certificate_path",
        "The PEM file must hold both the private key and the certificate.",
    )
    mismatched = write_pem(tmp_path / "bad.pem", key, [foreign])
    error = _cert_failure(replace(draft, certificate_path=str(mismatched)), session)
    assert error.message == "The certificate in the PEM file does not belong to its private key."
    missing = replace(draft, certificate_path=str(tmp_path / "gone.pem"))
    assert _cert_failure(missing, session).field == "certificate_path"


CONSENT = "An administrator must consent to the app's permissions in this tenant first."


@pytest.mark.parametrize(
    ("code", "status", "field", "message", "consent"),
    [
        (
            7000215,
            401,
            "client_secret",
            "The secret value was rejected; check you copied the value, not its ID.",
            False,
        ),
        (
            7000222,
            401,
            "client_secret",
            "The client secret has expired; create a new one in the app registration and paste "
            "its value.",
            False,
        ),
        (
            700016,
            400,
            "client_id",
            "The app is not known in this tenant: an administrator must consent to it first.",
            True,
        ),
        (90002, 400, "tenant", TENANT_NOT_FOUND, False),
        (900023, 400, "tenant", "The tenant is neither a tenant ID nor a domain name.", False),
        (700027, 401, "certificate_path", "The certificate was rejected", False),
        (65001, 400, "client_id", CONSENT, True),
        (90094, 400, "client_id", CONSENT, True),
        (650056, 400, "client_id", CONSENT, True),
        (650057, 400, "client_id", CONSENT, True),
        (7000112, 400, "client_id", "The app is disabled in this tenant", False),
        (53003, 400, None, "Sign-in was blocked by a Conditional Access policy", False),
        (500011, 400, "cloud", "Microsoft Graph was not found in this tenant's cloud", False),
        (90055, 400, None, "The sign-in service is busy; try again in a few minutes.", False),
        (90024, 400, None, "The sign-in service is busy; try again in a few minutes.", False),
        (50196, 400, None, "The sign-in service stopped this app because it asked", False),
        (123456, 400, None, "Sign-in failed (AADSTS123456).", False),
    ],
)
def test_sts_errors_become_field_messages(
    sts: FakeSts,
    session: requests.Session,
    code: int,
    status: int,
    field: str | None,
    message: str,
    consent: bool,
) -> None:
    sts.tenant(TENANT)
    body = error_body(code, text=f"Invalid request for secret {SECRET}.")
    sts.token(TENANT, body, status=status)

    with pytest.raises(AuthError) as caught:
        build_token_provider(DRAFT, session=session).get_token()

    error = caught.value
    assert error.message.startswith(message)
    assert error.field == field
    assert error.code == code
    assert f"AADSTS{code}" in error.detail
    assert "Trace ID" not in error.detail and "Correlation ID" not in error.detail
    assert SECRET not in error.detail and SECRET not in str(error)
    if consent:
        url = urlsplit(error.consent_url or "")
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{HOST}/{TENANT}/adminconsent"
        assert parse_qs(url.query) == {"client_id": [CLIENT_ID]}
    else:
        assert error.consent_url is None


def test_unknown_tenant_is_reported_from_discovery(sts: FakeSts, session: requests.Session) -> None:
    body = error_body(90002, error="invalid_tenant", text="Tenant 'nowhere.example' not found.")
    sts.mock.get(
        f"{HOST}/nowhere.example/v2.0/.well-known/openid-configuration", json=body, status=400
    )
    draft = replace(DRAFT, tenant="nowhere.example")

    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()

    assert (caught.value.field, caught.value.message, caught.value.code) == (
        "tenant",
        TENANT_NOT_FOUND,
        90002,
    )
    assert "invalid_tenant" in caught.value.detail
    assert sts.posts() == []


def test_sts_outage_is_reported_as_unavailable(sts: FakeSts, session: requests.Session) -> None:
    sts.tenant(TENANT)
    sts.mock.post(sts.token_url(TENANT), body="Service Unavailable", status=503)
    with pytest.raises(AuthError) as caught:
        build_token_provider(DRAFT, session=session).get_token()
    assert caught.value.message == (
        "The sign-in service of the Global cloud (login.microsoftonline.com) is not available "
        "right now; try again later."
    )
    assert "503" in caught.value.detail


def test_network_failure_names_the_cloud(sts: FakeSts, session: requests.Session) -> None:
    sts.mock.get(
        f"{HOST}/{TENANT}/v2.0/.well-known/openid-configuration",
        body=requests.ConnectionError("connection refused"),
    )
    draft = replace(DRAFT, cloud=Cloud.GLOBAL)
    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()
    assert caught.value.message == (
        "Cannot reach the sign-in service of the Global cloud (login.microsoftonline.com). "
        "Check the network connection and the proxy settings."
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_proxy_failure_points_at_the_proxy_field(sts: FakeSts, session: requests.Session) -> None:
    sts.mock.get(
        f"{HOST}/{TENANT}/v2.0/.well-known/openid-configuration",
        body=requests.exceptions.ProxyError(
            "Unable to connect to proxy http://bob:p%40ss%2Fword@proxy.test:8080"
        ),
    )
    draft = replace(
        DRAFT,
        proxy_mode=ProxyMode.URL,
        proxy_url="http://proxy.test:8080",
        proxy_username="bob",
        secrets=ConnectionSecrets(client_secret=SECRET, proxy_password="p@ss/word"),
    )
    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()
    assert caught.value.field == "proxy_url"
    assert "through the proxy" in caught.value.message
    assert "p%40ss%2Fword" not in caught.value.detail and "bob:***@" in caught.value.detail


def test_custom_cloud_never_asks_microsoft(sts: FakeSts, session: requests.Session) -> None:
    host = "https://sts.example.test"
    sts.mock.get(
        f"{host}/{TENANT}/v2.0/.well-known/openid-configuration",
        json=openid_configuration(host, TENANT),
    )
    sts.mock.post(f"{host}/{TENANT}/oauth2/v2.0/token", json=error_body(7000215), status=401)
    draft = replace(
        DRAFT,
        cloud=Cloud.CUSTOM,
        authority_host=host,
        graph_endpoint="https://graph.example.test",
    )
    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()
    assert caught.value.field == "client_secret"
    assert all("login.microsoftonline.com" not in c.request.url for c in sts.mock.calls)
    assert sts.posts()[0]["scope"] == ["https://graph.example.test/.default"]
