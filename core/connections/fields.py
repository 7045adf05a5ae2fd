"""The fields of the Create PowerShell Source Connection dialog for the current choices
(spec §2, §3). Pure apart from the shipped-settings read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.auth.endpoints import default_scope, shipped_settings
from core.connections.versions import (
    CREDENTIAL_KIND_LABELS,
    DEPRECATED_CONNECTOR_NOTE,
    PROXY_MODE_LABELS,
    SCHEDULE_KIND_LABELS,
    USAGE_PERIOD_LABELS,
    M365FieldMode,
    band_for,
    cloud_choices,
    m365_field_mode,
    methods_for,
    source_type_label,
)
from core.domain.beacon import BeaconVersion
from core.domain.cloud import CLOUD_ENDPOINTS, Cloud
from core.domain.connection import (
    AuthMethod,
    CredentialKind,
    ProxyMode,
    SourceType,
    effective_method,
)
from core.domain.fields import FieldKind, FieldSpec


def _choices(labels: Mapping[Any, str]) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), label) for value, label in labels.items())


def fields_for(
    source_type: SourceType,
    version: BeaconVersion,
    method: AuthMethod | None = None,
    credential_kind: CredentialKind = CredentialKind.SECRET,
    cloud: Cloud = Cloud.GLOBAL,
    *,
    tenant: str = "",
    proxy_mode: ProxyMode | None = None,
) -> list[FieldSpec]:
    """The dialog's rows, in order, for the current choices.

    `method` falls back to the source type's default. `tenant` only fills the token
    endpoint's auto value. `proxy_mode` None lists the proxy address fields as optional;
    NONE/SYSTEM leave them out; URL makes the address required.
    """
    method = effective_method(source_type, method)
    manual = m365_field_mode(source_type, version) is M365FieldMode.MANUAL
    specs = [
        FieldSpec(
            "name",
            "Connection Name",
            FieldKind.TEXT,
            required=True,
            help="Letters, digits, underscores and spaces; the import task has the same name.",
            placeholder="Contoso HQ",
        ),
        _source_type_field(source_type, version),
    ]
    if source_type is SourceType.MICROSOFT_365:
        choices = tuple((m.value, label) for label, m in methods_for(source_type))
        specs.append(
            FieldSpec("method", "Connection method", FieldKind.CHOICE, True, choices=choices)
        )
    specs.append(FieldSpec("cloud", "Cloud", FieldKind.CHOICE, True, choices=cloud_choices()))
    specs += _identity_fields(method, manual, credential_kind)
    specs += _endpoint_fields(method, manual, cloud, tenant)
    if cloud is not Cloud.GLOBAL:
        specs.append(
            FieldSpec(
                "use_beta_reports",
                "Use beta usage reports",
                FieldKind.BOOL,
                help="Usage reports exist in Graph v1.0 only in the Global cloud; the beta "
                "reports are not supported by Microsoft for production use.",
            )
        )
    specs += _proxy_fields(proxy_mode)
    specs += [
        FieldSpec(
            "schedule",
            "Schedule",
            FieldKind.SCHEDULE,
            True,
            choices=_choices(SCHEDULE_KIND_LABELS),
            help="Scheduled imports run while the app is open.",
        ),
        FieldSpec(
            "usage_period",
            "Usage period",
            FieldKind.CHOICE,
            True,
            choices=_choices(USAGE_PERIOD_LABELS),
        ),
    ]
    return specs


def _source_type_field(source_type: SourceType, version: BeaconVersion) -> FieldSpec:
    band = band_for(version)
    choices = [(kind.value, label) for label, kind in band.source_types]
    if band.label_for(source_type) is None:
        # An existing connection keeps its type even if this version would not offer it.
        choices.append((source_type.value, source_type_label(source_type, version)))
    help_text = band.note
    if source_type is SourceType.OFFICE_365:
        help_text = " ".join(filter(None, (help_text, DEPRECATED_CONNECTOR_NOTE)))
    return FieldSpec(
        "source_type", "Source Type", FieldKind.CHOICE, True, choices=tuple(choices), help=help_text
    )


def _identity_fields(
    method: AuthMethod, manual: bool, credential_kind: CredentialKind
) -> list[FieldSpec]:
    settings = shipped_settings()
    tenant_help = {
        AuthMethod.OWN_APP: "The tenant ID (GUID) or a verified domain of the tenant.",
        AuthMethod.MULTI_TENANT: "Filled in by the sign-in; type it to sign in to that tenant.",
        AuthMethod.PASSWORD: "Optional: filled in from the sign-in.",
    }[method]
    specs = [
        FieldSpec(
            "tenant",
            "Tenant ID or domain",
            FieldKind.TEXT,
            required=method is AuthMethod.OWN_APP or manual,
            help=tenant_help,
            placeholder="contoso.onmicrosoft.com",
        )
    ]
    if method is AuthMethod.MULTI_TENANT:
        specs += [
            FieldSpec(
                "client_id",
                "Application (client) ID",
                FieldKind.TEXT,
                required=manual,
                auto_value=None if manual else settings.multi_tenant_client_id,
                help="The multi-tenant app an administrator signs in to and consents.",
                placeholder=settings.multi_tenant_client_id,
            ),
            FieldSpec(
                "redirect_uri",
                "Redirect URI",
                FieldKind.TEXT,
                required=manual,
                auto_value=None if manual else settings.redirect_uri,
                help="A loopback address registered for the app.",
                placeholder=settings.redirect_uri,
            ),
            FieldSpec(
                "use_device_code",
                "Sign in with a device code (no browser on this computer)",
                FieldKind.BOOL,
            ),
        ]
    elif method is AuthMethod.OWN_APP:
        specs += _own_app_fields(credential_kind)
    else:
        specs += [
            FieldSpec(
                "username",
                "User name",
                FieldKind.TEXT,
                True,
                help=DEPRECATED_CONNECTOR_NOTE,
                placeholder="reader@contoso.com",
            ),
            FieldSpec("password", "Password", FieldKind.SECRET, True, secret=True),
        ]
    return specs


def _own_app_fields(credential_kind: CredentialKind) -> list[FieldSpec]:
    specs = [
        FieldSpec(
            "client_id",
            "Application (client) ID",
            FieldKind.TEXT,
            True,
            help="From the app registration's Overview page.",
            placeholder="00000000-0000-0000-0000-000000000000",
        ),
        FieldSpec(
            "credential_kind",
            "Credential",
            FieldKind.CHOICE,
            True,
            choices=_choices(CREDENTIAL_KIND_LABELS),
        ),
    ]
    if credential_kind is CredentialKind.SECRET:
        specs.append(
            FieldSpec(
                "client_secret",
                "Client secret value",
                FieldKind.SECRET,
                True,
                secret=True,
                help="The secret's Value, not its Secret ID.",
            )
        )
    else:
        pem = credential_kind is CredentialKind.PEM
        specs += [
            FieldSpec(
                "certificate_path",
                "Certificate file",
                FieldKind.PATH,
                True,
                help="A .pem file holding the private key and the certificate."
                if pem
                else "A .pfx or .p12 file.",
                placeholder="app-cert.pem" if pem else "app-cert.pfx",
            ),
            FieldSpec(
                "certificate_password",
                "Certificate password",
                FieldKind.SECRET,
                secret=True,
                help="Only if the private key is protected by a password.",
            ),
        ]
    specs.append(
        FieldSpec(
            "secret_expires_on",
            "Secret or certificate expires on",
            FieldKind.DATE,
            help="Optional: the app warns 30 days ahead.",
        )
    )
    return specs


def _endpoint_fields(
    method: AuthMethod, manual: bool, cloud: Cloud, tenant: str
) -> list[FieldSpec]:
    endpoints = CLOUD_ENDPOINTS.get(cloud)
    auto = endpoints is not None and not manual
    example = CLOUD_ENDPOINTS[Cloud.GLOBAL]
    host = endpoints.authority_host if endpoints else example.authority_host
    graph = endpoints.graph_endpoint if endpoints else example.graph_endpoint
    segment = tenant.strip() or ("" if method is AuthMethod.OWN_APP else "organizations")
    token_auto = f"{host}/{segment}/oauth2/v2.0/token" if auto and segment else None
    typed = manual or cloud is Cloud.CUSTOM
    derived = "" if manual else "Leave empty to derive it from the authority host."
    return [
        FieldSpec(
            "authority_host",
            "Authority host",
            FieldKind.TEXT,
            required=typed,
            auto_value=host if auto else None,
            placeholder=example.authority_host,
        ),
        FieldSpec(
            "graph_endpoint",
            "Graph endpoint",
            FieldKind.TEXT,
            required=typed,
            auto_value=graph if auto else None,
            help="The root without the version.",
            placeholder=example.graph_endpoint,
        ),
        FieldSpec(
            "token_endpoint",
            "Token endpoint",
            FieldKind.TEXT,
            required=manual,
            auto_value=token_auto,
            help=derived if cloud is Cloud.CUSTOM else "",
            placeholder=f"{example.authority_host}/<tenant>/oauth2/v2.0/token",
        ),
        FieldSpec(
            "scope",
            "Scope",
            FieldKind.TEXT,
            required=manual,
            auto_value=default_scope(method, graph) if auto else None,
            help=derived.replace("authority host", "Graph endpoint")
            if cloud is Cloud.CUSTOM
            else "",
            placeholder=default_scope(method, example.graph_endpoint),
        ),
    ]


def _proxy_fields(proxy_mode: ProxyMode | None) -> list[FieldSpec]:
    specs = [
        FieldSpec(
            "proxy_mode",
            "Proxy",
            FieldKind.CHOICE,
            True,
            choices=_choices(PROXY_MODE_LABELS),
            help="Used for sign-in and Microsoft Graph alike.",
        )
    ]
    if proxy_mode in (None, ProxyMode.URL):
        specs += [
            FieldSpec(
                "proxy_url",
                "Proxy address",
                FieldKind.TEXT,
                required=proxy_mode is ProxyMode.URL,
                placeholder="http://proxy.contoso.com:8080",
            ),
            FieldSpec("proxy_username", "Proxy user name", FieldKind.TEXT),
            FieldSpec("proxy_password", "Proxy password", FieldKind.SECRET, secret=True),
        ]
    return specs
