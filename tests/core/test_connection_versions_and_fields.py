"""Beacon versions, the version table, field specs and endpoint resolution."""

from __future__ import annotations

from dataclasses import fields

import pytest

from core.auth.endpoints import resolve_endpoints, shipped_settings
from core.connections.fields import fields_for
from core.connections.versions import (
    M365_NEEDS_2018R2,
    M365FieldMode,
    band_for,
    source_type_from_label,
    source_type_label,
    source_type_options,
)
from core.domain.beacon import (
    DEFAULT_BEACON_VERSION,
    KNOWN_BEACON_VERSIONS,
    VERSION_FORMAT_MESSAGE,
    BeaconVersion,
    parse_beacon_version,
)
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    ProxyMode,
    SourceType,
)
from core.domain.fields import FieldKind
from core.domain.settings import parse_setting
from core.errors import ValidationError

M365 = SourceType.MICROSOFT_365
O365 = SourceType.OFFICE_365
V = parse_beacon_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019 R1", BeaconVersion(2019, 1)),
        ("2019R1", BeaconVersion(2019, 1)),
        ("2019 r1", BeaconVersion(2019, 1)),
        (" 2019  R1 ", BeaconVersion(2019, 1)),
        ("2018 R2", BeaconVersion(2018, 2)),
        ("2026 R1", BeaconVersion(2026, 1)),
        ("2024 r 2", BeaconVersion(2024, 2)),
    ],
)
def test_parse_beacon_version_is_lenient(text: str, expected: BeaconVersion) -> None:
    assert parse_beacon_version(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2019", "R1", "2019 R0", "19 R1", "2019 R1 beta", "2019-R1", "v2019R1", "1999 R1"]
)
def test_parse_beacon_version_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_beacon_version(text)
    assert str(caught.value) == VERSION_FORMAT_MESSAGE
    assert "2019 R1" in VERSION_FORMAT_MESSAGE


def test_versions_print_and_order_by_year_then_release() -> None:
    assert str(BeaconVersion(2019, 1)) == "2019 R1"
    assert str(parse_beacon_version(str(BeaconVersion(2024, 2)))) == "2024 R2"
    assert V("2018 R2") < V("2019 R1") < V("2019 R2") < V("2020 R1")
    assert max(V("2025 R1"), V("2026 R1"), V("2019 R2")) == V("2026 R1")


def test_known_versions_run_from_2018_r1_to_2025_r1() -> None:
    assert KNOWN_BEACON_VERSIONS[0] == V("2018 R1")
    assert KNOWN_BEACON_VERSIONS[-1] == V("2025 R1") == DEFAULT_BEACON_VERSION
    assert list(KNOWN_BEACON_VERSIONS) == sorted(KNOWN_BEACON_VERSIONS)
    assert len(KNOWN_BEACON_VERSIONS) == 15
    assert V("2024 R2") in KNOWN_BEACON_VERSIONS and V("2025 R2") not in KNOWN_BEACON_VERSIONS


@pytest.mark.parametrize(
    ("version", "options", "mode", "note"),
    [
        ("2017 R2", [("Microsoft Office 365", O365)], M365FieldMode.NONE, M365_NEEDS_2018R2),
        ("2018 R1", [("Microsoft Office 365", O365)], M365FieldMode.NONE, M365_NEEDS_2018R2),
        (
            "2018 R2",
            [("Microsoft 365", M365), ("Microsoft Office 365", O365)],
            M365FieldMode.MANUAL,
            "",
        ),
        (
            "2019 R1",
            [("Microsoft 365", M365), ("Microsoft Office 365 (deprecated)", O365)],
            M365FieldMode.AUTO,
            "",
        ),
        (
            "2025 R1",
            [("Microsoft 365", M365), ("Microsoft Office 365 (deprecated)", O365)],
            M365FieldMode.AUTO,
            "",
        ),
        (
            "2026 R1",
            [("Microsoft 365", M365), ("Microsoft Office 365 (deprecated)", O365)],
            M365FieldMode.AUTO,
            "",
        ),
    ],
)
def test_each_band_offers_its_source_types(
    version: str, options: list[tuple[str, SourceType]], mode: M365FieldMode, note: str
) -> None:
    assert source_type_options(V(version)) == options
    assert band_for(V(version)).m365_fields is mode
    assert band_for(V(version)).note == note


def test_note_explains_why_microsoft_365_is_missing() -> None:
    assert (
        M365_NEEDS_2018R2 == "The Microsoft 365 connector needs inventory beacon 2018 R2 or later."
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Microsoft 365", M365),
        ("Microsoft Office 365", O365),
        ("Microsoft Office 365 (deprecated)", O365),
        ("microsoft  office 365", O365),
    ],
)
def test_every_label_maps_to_its_connector(label: str, expected: SourceType) -> None:
    assert source_type_from_label(label) is expected


def test_unknown_label_is_refused_with_the_options() -> None:
    with pytest.raises(ValueError, match="Unknown source type “SharePoint”: use “Microsoft 365”"):
        source_type_from_label("SharePoint")


@pytest.mark.parametrize(
    ("version", "source_type", "label"),
    [
        ("2018 R2", O365, "Microsoft Office 365"),
        ("2019 R1", O365, "Microsoft Office 365 (deprecated)"),
        ("2018 R1", M365, "Microsoft 365"),
    ],
)
def test_label_of_a_source_type_follows_the_version(
    version: str, source_type: SourceType, label: str
) -> None:
    assert source_type_label(source_type, V(version)) == label


# Fields --------------------------------------------------------------------------------------

DRAFT_NAMES = {f.name for f in fields(ConnectionDraft)} | {
    name for name, _ in ConnectionSecrets().items()
}
COMMON_TAIL = ["proxy_mode", "proxy_url", "proxy_username", "proxy_password"]
ENDPOINTS = ["authority_host", "graph_endpoint", "token_endpoint", "scope"]


def names(specs: list) -> list[str]:  # type: ignore[type-arg]
    return [spec.name for spec in specs]


def by_name(specs: list) -> dict:  # type: ignore[type-arg]
    return {spec.name: spec for spec in specs}


@pytest.mark.parametrize(
    ("source_type", "method", "kind", "identity"),
    [
        (
            M365,
            AuthMethod.MULTI_TENANT,
            CredentialKind.SECRET,
            ["tenant", "client_id", "redirect_uri", "use_device_code"],
        ),
        (
            M365,
            AuthMethod.OWN_APP,
            CredentialKind.SECRET,
            ["tenant", "client_id", "credential_kind", "client_secret", "secret_expires_on"],
        ),
        (
            M365,
            AuthMethod.OWN_APP,
            CredentialKind.PEM,
            [
                "tenant",
                "client_id",
                "credential_kind",
                "certificate_path",
                "certificate_password",
                "secret_expires_on",
            ],
        ),
        (O365, AuthMethod.PASSWORD, CredentialKind.SECRET, ["tenant", "username", "password"]),
        (O365, None, CredentialKind.SECRET, ["tenant", "username", "password"]),
    ],
)
def test_fields_follow_source_type_method_and_credential(
    source_type: SourceType, method: AuthMethod | None, kind: CredentialKind, identity: list[str]
) -> None:
    specs = fields_for(source_type, DEFAULT_BEACON_VERSION, method, kind)
    head = ["name", "source_type", "method", "cloud"] if source_type is M365 else None
    head = head or ["name", "source_type", "cloud"]
    expected = [*head, *identity, *ENDPOINTS, *COMMON_TAIL, "schedule", "usage_period"]
    assert names(specs) == expected
    assert set(names(specs)) <= DRAFT_NAMES


def test_secret_fields_are_secret_and_named_after_connection_secrets() -> None:
    secret_names = {name for name, _ in ConnectionSecrets().items()}
    for source_type, method, kind in [
        (M365, AuthMethod.OWN_APP, CredentialKind.SECRET),
        (M365, AuthMethod.OWN_APP, CredentialKind.PFX),
        (O365, AuthMethod.PASSWORD, CredentialKind.SECRET),
    ]:
        specs = fields_for(source_type, DEFAULT_BEACON_VERSION, method, kind)
        for spec in specs:
            assert spec.secret == (spec.kind is FieldKind.SECRET)
            if spec.secret:
                assert spec.name in secret_names


def test_auto_band_fills_endpoints_and_multi_tenant_app_from_the_cloud() -> None:
    specs = by_name(fields_for(M365, V("2019 R1"), AuthMethod.MULTI_TENANT, cloud=Cloud.GCC_HIGH))
    assert specs["authority_host"].auto_value == "https://login.microsoftonline.us"
    assert specs["graph_endpoint"].auto_value == "https://graph.microsoft.us"
    assert (
        specs["token_endpoint"].auto_value
        == "https://login.microsoftonline.us/organizations/oauth2/v2.0/token"
    )
    assert (
        specs["scope"].auto_value.split()[0] == "https://graph.microsoft.us/Organization.Read.All"
    )
    assert specs["client_id"].auto_value == "14d82eec-204b-4c2f-b7e8-296a70dab67e"
    assert specs["redirect_uri"].auto_value == "http://localhost"
    assert not any(specs[n].required for n in [*ENDPOINTS, "client_id", "tenant"])
    assert "use_beta_reports" in specs


def test_own_app_auto_values_use_the_tenant_and_default_scope() -> None:
    specs = by_name(fields_for(M365, V("2025 R1"), AuthMethod.OWN_APP, tenant="contoso.com"))
    assert (
        specs["token_endpoint"].auto_value
        == "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
    )
    assert specs["scope"].auto_value == "https://graph.microsoft.com/.default"
    assert specs["tenant"].required and specs["client_id"].required
    assert specs["client_id"].auto_value is None
    assert "use_beta_reports" not in specs


@pytest.mark.parametrize("method", [AuthMethod.MULTI_TENANT, AuthMethod.OWN_APP])
def test_2018_r2_microsoft_365_fields_are_typed_by_hand(method: AuthMethod) -> None:
    specs = by_name(fields_for(M365, V("2018 R2"), method))
    for name in [*ENDPOINTS, "client_id", "tenant"]:
        assert specs[name].required, name
        assert specs[name].auto_value is None, name
    if method is AuthMethod.MULTI_TENANT:
        assert specs["redirect_uri"].required and specs["redirect_uri"].auto_value is None


def test_2018_r2_deprecated_connector_keeps_auto_endpoints() -> None:
    specs = by_name(fields_for(O365, V("2018 R2"), AuthMethod.PASSWORD))
    assert specs["authority_host"].auto_value == "https://login.microsoftonline.com"
    assert not specs["authority_host"].required
    assert specs["username"].required and specs["password"].required
    assert "deprecated" in specs["username"].help and "multi-factor" in specs["username"].help


def test_custom_cloud_requires_typed_hosts() -> None:
    specs = by_name(fields_for(M365, V("2025 R1"), AuthMethod.OWN_APP, cloud=Cloud.CUSTOM))
    assert specs["authority_host"].required and specs["graph_endpoint"].required
    assert specs["authority_host"].auto_value is None
    assert not specs["token_endpoint"].required and not specs["scope"].required


@pytest.mark.parametrize(
    ("version", "source_type", "choices"),
    [
        ("2018 R1", M365, [O365.value, M365.value]),  # an existing connection keeps its type
        ("2018 R1", O365, [O365.value]),
        ("2019 R1", O365, [M365.value, O365.value]),
    ],
)
def test_source_type_choices_come_from_the_band(
    version: str, source_type: SourceType, choices: list[str]
) -> None:
    spec = by_name(fields_for(source_type, V(version)))["source_type"]
    assert [value for value, _ in spec.choices] == choices


def test_deprecated_source_type_explains_itself_on_old_beacons() -> None:
    spec = by_name(fields_for(O365, V("2018 R1")))["source_type"]
    assert spec.help.startswith(M365_NEEDS_2018R2)
    assert "replaced by the Microsoft 365 connector" in spec.help


@pytest.mark.parametrize(
    ("mode", "present", "url_required"),
    [
        (None, True, False),
        (ProxyMode.URL, True, True),
        (ProxyMode.NONE, False, False),
        (ProxyMode.SYSTEM, False, False),
    ],
)
def test_proxy_fields_follow_the_proxy_mode(
    mode: ProxyMode | None, present: bool, url_required: bool
) -> None:
    specs = by_name(fields_for(M365, DEFAULT_BEACON_VERSION, proxy_mode=mode))
    assert ("proxy_url" in specs) is present
    assert ("proxy_password" in specs) is present
    if present:
        assert specs["proxy_url"].required is url_required
        assert specs["proxy_password"].secret


def test_shipped_settings_come_from_resources() -> None:
    settings = shipped_settings()
    assert settings.multi_tenant_client_id == "14d82eec-204b-4c2f-b7e8-296a70dab67e"
    assert settings.redirect_uri == "http://localhost"


# Endpoints -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "host", "graph"),
    [
        (Cloud.GLOBAL, "https://login.microsoftonline.com", "https://graph.microsoft.com"),
        (Cloud.GCC_HIGH, "https://login.microsoftonline.us", "https://graph.microsoft.us"),
        (Cloud.DOD, "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
        (
            Cloud.CHINA,
            "https://login.partner.microsoftonline.cn",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
    ],
)
def test_resolve_endpoints_defaults_to_the_cloud(cloud: Cloud, host: str, graph: str) -> None:
    draft = ConnectionDraft(name="x", cloud=cloud, tenant="contoso.com", client_id="c")
    resolved = resolve_endpoints(draft)
    assert resolved.authority_host == host
    assert resolved.graph_endpoint == graph
    assert resolved.token_endpoint == f"{host}/contoso.com/oauth2/v2.0/token"
    assert resolved.scope == f"{graph}/.default"
    assert resolved.authority == f"{host}/contoso.com"
    assert resolved.client_id == "c"
    assert resolved.redirect_uri == ""
    assert resolved.instance_discovery is True


def test_typed_endpoints_win() -> None:
    draft = ConnectionDraft(
        name="x",
        tenant="contoso.com",
        authority_host="https://login.microsoft.com/",
        graph_endpoint="https://graph.example.test/v1.0/",
        token_endpoint="https://login.microsoft.com/contoso.com/oauth2/v2.0/token",
        scope=" https://graph.example.test/.default ",
        client_id=" 11111111-2222-3333-4444-555555555555 ",
    )
    resolved = resolve_endpoints(draft)
    assert resolved.authority_host == "https://login.microsoft.com"
    assert resolved.graph_endpoint == "https://graph.example.test"
    assert resolved.token_endpoint == draft.token_endpoint
    assert resolved.scopes == ["https://graph.example.test/.default"]
    assert resolved.client_id == "11111111-2222-3333-4444-555555555555"


def test_multi_tenant_defaults_to_the_shipped_app_and_delegated_scopes() -> None:
    draft = ConnectionDraft(name="x", method=AuthMethod.MULTI_TENANT)
    resolved = resolve_endpoints(draft)
    assert resolved.client_id == shipped_settings().multi_tenant_client_id
    assert resolved.redirect_uri == "http://localhost"
    assert resolved.authority == "https://login.microsoftonline.com/organizations"
    assert resolved.scopes == [
        "https://graph.microsoft.com/Organization.Read.All",
        "https://graph.microsoft.com/User.Read.All",
        "https://graph.microsoft.com/Reports.Read.All",
        "https://graph.microsoft.com/ReportSettings.Read.All",
        "https://graph.microsoft.com/AuditLog.Read.All",
    ]


def test_deprecated_connector_uses_the_shipped_public_client() -> None:
    draft = ConnectionDraft(name="x", source_type=O365, method=AuthMethod.PASSWORD)
    resolved = resolve_endpoints(draft)
    assert resolved.client_id == shipped_settings().multi_tenant_client_id
    assert resolved.redirect_uri == ""


def test_custom_cloud_needs_typed_hosts_and_skips_instance_discovery() -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_endpoints(ConnectionDraft(name="x", cloud=Cloud.CUSTOM))
    assert caught.value.errors == {
        "authority_host": "Type the authority host of the custom cloud.",
        "graph_endpoint": "Type the Graph endpoint of the custom cloud.",
    }
    draft = ConnectionDraft(
        name="x",
        cloud=Cloud.CUSTOM,
        tenant="t.example",
        authority_host="https://sts.example.test",
        graph_endpoint="https://graph.example.test",
    )
    resolved = resolve_endpoints(draft)
    assert resolved.instance_discovery is False
    assert resolved.token_endpoint == "https://sts.example.test/t.example/oauth2/v2.0/token"
    assert resolved.scope == "https://graph.example.test/.default"


@pytest.mark.parametrize("text", ["2017 R1", "2017r3", "2019 R2", "2025 R1"])
def test_released_beacon_versions_are_accepted_as_a_setting(text: str) -> None:
    assert parse_setting("beacon_version", text) == str(V(text))


@pytest.mark.parametrize("text", ["2016 R2", "2019 R3", "2019 R9", "2025 R2", "2030 R1", "9999 R1"])
def test_beacon_versions_never_released_are_refused_naming_the_range(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_setting("beacon_version", text)
    message = caught.value.errors["beacon_version"]
    assert message == f"There is no beacon {V(text)}: versions run from 2017 R1 to 2025 R1."
