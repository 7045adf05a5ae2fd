"""Every validation rule of a connection draft, with its exact message."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.connections.rules import validate
from core.domain.beacon import DEFAULT_BEACON_VERSION, parse_beacon_version
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    Connection,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    ProxyMode,
    Schedule,
    ScheduleKind,
    SourceType,
)

V = parse_beacon_version
GUID = "11111111-2222-3333-4444-555555555555"

OWN_APP = ConnectionDraft(
    name="Contoso HQ",
    tenant="contoso.onmicrosoft.com",
    client_id=GUID,
    secrets=ConnectionSecrets(client_secret="s3cr3t~value"),
)
MULTI = ConnectionDraft(name="Fabrikam", method=AuthMethod.MULTI_TENANT)
PASSWORD = ConnectionDraft(
    name="Old one",
    source_type=SourceType.OFFICE_365,
    method=AuthMethod.PASSWORD,
    username="reader@contoso.com",
    secrets=ConnectionSecrets(password="pw"),
)
SAVED = Connection(
    name="Contoso HQ",
    id=7,
    tenant="contoso.com",
    tenant_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    client_id=GUID,
)


def check(draft: ConnectionDraft, **kwargs: Any) -> dict[str, str]:
    kwargs.setdefault("version", DEFAULT_BEACON_VERSION)
    return validate(draft, **kwargs)


@pytest.mark.parametrize("draft", [OWN_APP, MULTI, PASSWORD])
def test_valid_drafts_have_no_errors(draft: ConnectionDraft) -> None:
    assert check(draft) == {}


@pytest.mark.parametrize("name", ["Contoso HQ", "contoso_2", "9 Tenants", "Müller GmbH"])
def test_good_names(name: str) -> None:
    assert "name" not in check(replace(MULTI, name=name))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Type a name for the connection."),
        ("   ", "Type a name for the connection."),
        (
            "_hidden",
            "Use only letters, digits, underscores and spaces, starting with a letter or digit.",
        ),
        (
            " Contoso",
            "Use only letters, digits, underscores and spaces, starting with a letter or digit.",
        ),
        (
            "Contoso-HQ",
            "Use only letters, digits, underscores and spaces, starting with a letter or digit.",
        ),
        ("contoso  hq", "A connection named “Contoso HQ” already exists."),
    ],
)
def test_bad_names(name: str, message: str) -> None:
    assert check(replace(MULTI, name=name), existing=[SAVED])["name"] == message


def test_editing_a_connection_may_keep_its_name_and_tenant() -> None:
    draft = replace(OWN_APP, tenant="contoso.com")
    assert check(draft, existing=[SAVED], editing_id=7) == {}
    assert set(check(draft, existing=[SAVED])) == {"name", "tenant"}


@pytest.mark.parametrize(
    ("tenant", "existing_field"),
    [("CONTOSO.com", "tenant"), ("AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee", "tenant_id")],
)
def test_one_connection_per_tenant_names_the_existing_one(tenant: str, existing_field: str) -> None:
    errors = check(replace(OWN_APP, name="Second", tenant=tenant), existing=[SAVED])
    assert errors == {"tenant": f"Tenant {tenant} already has the connection “Contoso HQ”."}


@pytest.mark.parametrize(
    "tenant", [GUID, "contoso.onmicrosoft.com", "sub.contoso.co.uk", "xn--mller-kva.de"]
)
def test_good_tenants(tenant: str) -> None:
    assert check(replace(OWN_APP, tenant=tenant)) == {}


@pytest.mark.parametrize(
    "tenant",
    ["contoso", "common", "contoso..com", "-contoso.com", "contoso.c", "1111-2222", "a b.com"],
)
def test_malformed_tenants(tenant: str) -> None:
    assert check(replace(OWN_APP, tenant=tenant)) == {
        "tenant": "The tenant is a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com."
    }


def test_tenant_required_for_own_app_and_2018_r2_but_not_multi_tenant() -> None:
    message = "Type the tenant ID or a verified domain of the tenant."
    assert check(replace(OWN_APP, tenant=""))["tenant"] == message
    assert "tenant" not in check(MULTI)
    assert "tenant" not in check(PASSWORD)
    assert check(MULTI, version=V("2018 R2"))["tenant"] == message


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (
            replace(OWN_APP, client_id=""),
            "Type the application (client) ID from the app registration.",
        ),
        (
            replace(OWN_APP, client_id="my-app"),
            "The application (client) ID is a GUID such as 14d82eec-204b-4c2f-b7e8-296a70dab67e.",
        ),
        (
            replace(MULTI, client_id="{" + GUID + "}"),
            "The application (client) ID is a GUID such as 14d82eec-204b-4c2f-b7e8-296a70dab67e.",
        ),
    ],
)
def test_client_id_rules(draft: ConnectionDraft, message: str) -> None:
    assert check(draft)["client_id"] == message


def test_secret_required_unless_editing() -> None:
    draft = replace(OWN_APP, secrets=ConnectionSecrets())
    assert check(draft) == {"client_secret": "Paste the client secret value."}
    assert check(draft, require_secrets=False) == {}
    spaced = replace(OWN_APP, secrets=ConnectionSecrets(client_secret=" abc "))
    assert check(spaced) == {
        "client_secret": "The secret starts or ends with a space; paste the value only."
    }


@pytest.mark.parametrize(
    ("kind", "filename", "create", "message"),
    [
        (CredentialKind.PEM, "", False, "Choose the certificate file."),
        (CredentialKind.PEM, "cert.pfx", True, "A PEM certificate file ends in .pem."),
        (CredentialKind.PFX, "cert.pem", True, "A PFX certificate file ends in .pfx or .p12."),
        (CredentialKind.PEM, "missing.pem", False, "The certificate file {path} does not exist."),
        (CredentialKind.PEM, "cert.PEM", True, None),
        (CredentialKind.PFX, "cert.pfx", True, None),
        (CredentialKind.PFX, "cert.p12", True, None),
    ],
)
def test_certificate_rules(
    tmp_path: Path, kind: CredentialKind, filename: str, create: bool, message: str | None
) -> None:
    path = tmp_path / filename if filename else None
    if path is not None and create:
        path.write_text("x")
    draft = replace(
        OWN_APP,
        credential_kind=kind,
        certificate_path=str(path) if path else "",
        secrets=ConnectionSecrets(),
    )
    errors = check(draft)
    if message is None:
        assert errors == {}
    else:
        assert errors == {"certificate_path": message.format(path=path)}


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Type the user name of an account with read access."),
        ("reader", "Type the user name as name@domain, e.g. reader@contoso.com."),
        ("reader@contoso", "Type the user name as name@domain, e.g. reader@contoso.com."),
    ],
)
def test_deprecated_connector_username(username: str, message: str) -> None:
    assert check(replace(PASSWORD, username=username)) == {"username": message}


def test_deprecated_connector_password() -> None:
    draft = replace(PASSWORD, secrets=ConnectionSecrets())
    assert check(draft) == {"password": "Type the password."}
    assert check(draft, require_secrets=False) == {}


def test_source_type_must_be_offered_by_the_version() -> None:
    errors = check(MULTI, version=V("2018 R1"))
    assert errors == {
        "source_type": "The Microsoft 365 connector needs inventory beacon 2018 R2 or later."
    }
    saved = Connection(name="Fabrikam", id=3, method=AuthMethod.MULTI_TENANT)
    assert check(MULTI, version=V("2018 R1"), existing=[saved], editing_id=3) == {}


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (replace(PASSWORD, method=AuthMethod.OWN_APP), "The deprecated connector signs in"),
        (replace(MULTI, method=AuthMethod.PASSWORD), "Choose the multi-tenant app"),
    ],
)
def test_method_must_suit_the_source_type(draft: ConnectionDraft, message: str) -> None:
    assert check(draft)["method"].startswith(message)


def test_2018_r2_requires_every_microsoft_365_field() -> None:
    errors = check(MULTI, version=V("2018 R2"))
    assert errors == {
        "tenant": "Type the tenant ID or a verified domain of the tenant.",
        "client_id": "Type the application (client) ID from the app registration.",
        "authority_host": "Type the authority host, e.g. https://login.microsoftonline.com.",
        "graph_endpoint": "Type the Graph endpoint, e.g. https://graph.microsoft.com.",
        "token_endpoint": "Type the token endpoint, e.g. "
        "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token.",
        "scope": "Type the scope, e.g. https://graph.microsoft.com/.default.",
        "redirect_uri": "Type the redirect URI, e.g. http://localhost.",
    }
    typed = replace(
        MULTI,
        tenant="contoso.com",
        client_id=GUID,
        authority_host="https://login.microsoftonline.com",
        graph_endpoint="https://graph.microsoft.com",
        token_endpoint="https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
        scope="https://graph.microsoft.com/User.Read.All",
        redirect_uri="http://localhost:8400",
    )
    assert check(typed, version=V("2018 R2")) == {}


def test_custom_cloud_requires_https_hosts() -> None:
    draft = replace(OWN_APP, cloud=Cloud.CUSTOM)
    assert set(check(draft)) == {"authority_host", "graph_endpoint"}
    draft = replace(
        draft, authority_host="http://sts.example.test", graph_endpoint="https://g.example.test"
    )
    assert check(draft) == {
        "authority_host": "The authority host must be an https:// address such as "
        "https://login.microsoftonline.com."
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "authority_host",
            "https://login.microsoftonline.com/contoso.com",
            "Type only the host, e.g. https://login.microsoftonline.com, without a tenant or path.",
        ),
        (
            "graph_endpoint",
            "graph.microsoft.com",
            "The Graph endpoint must be an https:// address such as https://graph.microsoft.com.",
        ),
        (
            "token_endpoint",
            "https://login.microsoftonline.com:99999/x",
            "The token endpoint must be an https:// address such as "
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token.",
        ),
        (
            "scope",
            "User.Read.All",
            "Each scope is an https:// address such as https://graph.microsoft.com/.default.",
        ),
        (
            "redirect_uri",
            "https://app.contoso.com/callback",
            "The redirect URI must be a loopback address such as http://localhost.",
        ),
    ],
)
def test_typed_endpoints_must_be_well_formed(field: str, value: str, message: str) -> None:
    assert check(replace(MULTI, **{field: value})) == {field: message}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Type the proxy address, e.g. http://proxy.contoso.com:8080."),
        ("proxy.contoso.com:8080", "The proxy address looks like http://proxy.contoso.com:8080."),
        ("ftp://proxy.contoso.com", "The proxy address looks like http://proxy.contoso.com:8080."),
        ("http://proxy:99999", "The proxy port must be a number between 1 and 65535."),
        (
            "http://bob:pw@proxy.contoso.com:8080",
            "Type the proxy user name and password in their own fields.",
        ),
        ("http://proxy.contoso.com:8080", None),
        ("https://10.0.0.1:3128/", None),
    ],
)
def test_proxy_url_rules(url: str, message: str | None) -> None:
    draft = replace(MULTI, proxy_mode=ProxyMode.URL, proxy_url=url)
    assert check(draft) == ({"proxy_url": message} if message else {})
    assert check(replace(draft, proxy_mode=ProxyMode.SYSTEM)) == {}


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule(ScheduleKind.EVERY_N_HOURS, every_hours=0), "Run every 1 to 168 hours."),
        (Schedule(ScheduleKind.EVERY_N_HOURS, every_hours=169), "Run every 1 to 168 hours."),
        (Schedule(ScheduleKind.EVERY_N_HOURS, every_hours=168), None),
        (Schedule(ScheduleKind.DAILY, daily_at="24:00"), "Type the time as HH:MM, e.g. 02:00."),
        (Schedule(ScheduleKind.DAILY, daily_at="2:00"), "Type the time as HH:MM, e.g. 02:00."),
        (Schedule(ScheduleKind.DAILY, daily_at="23:59"), None),
        (Schedule(ScheduleKind.MANUAL, every_hours=0, daily_at="x"), None),
    ],
)
def test_schedule_rules(schedule: Schedule, message: str | None) -> None:
    assert check(replace(MULTI, schedule=schedule)) == ({"schedule": message} if message else {})


def test_usage_period_must_be_one_of_the_enum() -> None:
    draft = replace(MULTI, usage_period="D60")  # type: ignore[arg-type]
    assert check(draft) == {"usage_period": "Choose a usage period: D7, D30, D90 or D180."}


def test_names_have_a_maximum_length_named_in_the_message() -> None:
    assert "name" not in check(replace(MULTI, name="N" * 100))
    errors = check(replace(MULTI, name="N" * 101))
    assert errors["name"] == "Keep the name to 100 characters or fewer."
