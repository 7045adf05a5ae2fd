"""Beacon versions, the version table, choice labels and endpoint resolution (spec §2, §3).

One table, `VERSION_BANDS`, decides everything that depends on the beacon version. Pure: no
network; the only file read is the shipped settings. Use it through `core.catalogue`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources as importlib_resources

from core.domain import (
    CLOUD_ENDPOINTS,
    CLOUD_LABELS,
    AuthMethod,
    Cloud,
    ConnectionDraft,
    CredentialKind,
    ProxyMode,
    ScheduleKind,
    SourceType,
    UsagePeriod,
)
from core.errors import ValidationError

# Beacon versions ---------------------------------------------------------------------------

VERSION_FORMAT_MESSAGE = "Beacon versions look like 2019 R1 (year, then R and the release number)."
_VERSION_RE = re.compile(r"(\d{4})\s*[Rr]\s*(\d{1,2})")


@dataclass(frozen=True, order=True)
class BeaconVersion:
    """An inventory beacon version, ordered by year then release."""

    year: int
    release: int

    def __str__(self) -> str:
        return f"{self.year} R{self.release}"


def parse_beacon_version(text: str | BeaconVersion) -> BeaconVersion:
    """Parse `2019 R1` leniently (`2019R1`, `2019 r1`); raise ValueError with a user message."""
    if isinstance(text, BeaconVersion):
        return text
    match = _VERSION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match[1]) < 2000 or int(match[2]) < 1:
        raise ValueError(VERSION_FORMAT_MESSAGE)
    return BeaconVersion(int(match[1]), int(match[2]))


KNOWN_BEACON_VERSIONS: tuple[BeaconVersion, ...] = (
    *(BeaconVersion(year, release) for year in range(2018, 2025) for release in (1, 2)),
    BeaconVersion(2025, 1),
)
DEFAULT_BEACON_VERSION: BeaconVersion = KNOWN_BEACON_VERSIONS[-1]
# Every release that exists, oldest first: 2017 had three (R1 to R3), later years R1 and R2.
BEACON_RELEASES: tuple[BeaconVersion, ...] = (
    *(BeaconVersion(2017, release) for release in (1, 2, 3)),
    *KNOWN_BEACON_VERSIONS,
)


def parse_beacon_release(text: str | BeaconVersion) -> BeaconVersion:
    """Parse a version typed by the user and refuse one that was never released."""
    version = parse_beacon_version(text)
    if version not in BEACON_RELEASES:
        raise ValueError(
            f"There is no beacon {version}: versions run from {BEACON_RELEASES[0]} "
            f"to {BEACON_RELEASES[-1]}."
        )
    return version


# The version table --------------------------------------------------------------------------


class M365FieldMode(StrEnum):
    """How the Microsoft 365 connector's endpoint and app fields are filled."""

    NONE = "none"  # the connector is not offered
    MANUAL = "manual"  # 2018 R2: every field typed by hand, required, starting empty
    AUTO = "auto"  # 2019 R1+: auto-populated from the chosen cloud and the shipped settings


M365_LABEL = "Microsoft 365"
OFFICE_365_LABEL = "Microsoft Office 365"
OFFICE_365_DEPRECATED_LABEL = "Microsoft Office 365 (deprecated)"
M365_NEEDS_2018R2 = "The Microsoft 365 connector needs inventory beacon 2018 R2 or later."
DEPRECATED_CONNECTOR_NOTE = (
    "This connector is deprecated: it signs in with a user name and password, cannot work "
    "with multi-factor authentication, and is replaced by the Microsoft 365 connector."
)


@dataclass(frozen=True)
class VersionBand:
    """What the dialog offers from `first` on (None: every older version)."""

    first: BeaconVersion | None
    source_types: tuple[tuple[str, SourceType], ...]  # (label, source type), dialog order
    m365_fields: M365FieldMode
    note: str = ""  # explanation shown under the source type

    def label_for(self, source_type: SourceType) -> str | None:
        return next((label for label, kind in self.source_types if kind == source_type), None)


VERSION_BANDS: tuple[VersionBand, ...] = (
    VersionBand(
        None,
        ((OFFICE_365_LABEL, SourceType.OFFICE_365),),
        M365FieldMode.NONE,
        M365_NEEDS_2018R2,
    ),
    VersionBand(
        BeaconVersion(2018, 2),
        ((M365_LABEL, SourceType.MICROSOFT_365), (OFFICE_365_LABEL, SourceType.OFFICE_365)),
        M365FieldMode.MANUAL,
    ),
    VersionBand(
        BeaconVersion(2019, 1),
        (
            (M365_LABEL, SourceType.MICROSOFT_365),
            (OFFICE_365_DEPRECATED_LABEL, SourceType.OFFICE_365),
        ),
        M365FieldMode.AUTO,
    ),
)


def band_for(version: BeaconVersion) -> VersionBand:
    """The band of `version`; versions newer than any known one get the newest band."""
    chosen = VERSION_BANDS[0]
    for band in VERSION_BANDS:
        if band.first is None or band.first <= version:
            chosen = band
    return chosen


def source_type_options(version: BeaconVersion) -> list[tuple[str, SourceType]]:
    """The source types the dialog offers for `version`, as (label, source type)."""
    return list(band_for(version).source_types)


def source_type_label(source_type: SourceType, version: BeaconVersion) -> str:
    """How `version` names a source type; one it does not offer keeps its canonical name."""
    return band_for(version).label_for(source_type) or source_type.value


def source_type_from_label(text: str) -> SourceType:
    """Map any label any version uses (or the canonical value) to its source type."""
    wanted = " ".join(text.split()).casefold()
    for band in VERSION_BANDS:
        for label, kind in band.source_types:
            if label.casefold() == wanted:
                return kind
    for kind in SourceType:
        if kind.value.casefold() == wanted:
            return kind
    names = ", ".join(f"“{label}”" for label, _ in VERSION_BANDS[-1].source_types)
    raise ValueError(f"Unknown source type “{text}”: use {names}.")


def m365_field_mode(source_type: SourceType, version: BeaconVersion) -> M365FieldMode:
    """MANUAL only for the Microsoft 365 connector on 2018 R2; otherwise AUTO.

    A connection kept from a newer version while the setting says a version that does not
    offer the connector is treated as AUTO, so it keeps working (spec §2).
    """
    manual = band_for(version).m365_fields is M365FieldMode.MANUAL
    if manual and source_type == SourceType.MICROSOFT_365:
        return M365FieldMode.MANUAL
    return M365FieldMode.AUTO


# Labels of the other choices ----------------------------------------------------------------

METHOD_LABELS: dict[AuthMethod, str] = {
    AuthMethod.MULTI_TENANT: "Multi-tenant app (an administrator signs in)",
    AuthMethod.OWN_APP: "Own registered app (client secret or certificate)",
    AuthMethod.PASSWORD: "User name and password",
}
CREDENTIAL_KIND_LABELS: dict[CredentialKind, str] = {
    CredentialKind.SECRET: "Client secret",
    CredentialKind.PEM: "Certificate (PEM file with the private key)",
    CredentialKind.PFX: "Certificate (PFX file with password)",
}
PROXY_MODE_LABELS: dict[ProxyMode, str] = {
    ProxyMode.NONE: "No proxy",
    ProxyMode.SYSTEM: "System proxy settings",
    ProxyMode.URL: "Proxy address",
}
SCHEDULE_KIND_LABELS: dict[ScheduleKind, str] = {
    ScheduleKind.MANUAL: "Manual",
    ScheduleKind.EVERY_N_HOURS: "Every N hours",
    ScheduleKind.DAILY: "Daily at a time",
}
USAGE_PERIOD_LABELS: dict[UsagePeriod, str] = {
    UsagePeriod.D7: "Last 7 days",
    UsagePeriod.D30: "Last 30 days",
    UsagePeriod.D90: "Last 90 days",
    UsagePeriod.D180: "Last 180 days",
}


def methods_for(source_type: SourceType) -> list[tuple[str, AuthMethod]]:
    """Connection methods of a source type, as (label, method); the first is the default."""
    if source_type == SourceType.OFFICE_365:
        return [(METHOD_LABELS[AuthMethod.PASSWORD], AuthMethod.PASSWORD)]
    return [(METHOD_LABELS[m], m) for m in (AuthMethod.MULTI_TENANT, AuthMethod.OWN_APP)]


def effective_method(source_type: SourceType, method: AuthMethod | None) -> AuthMethod:
    """`method` when the source type supports it, else the source type's default."""
    allowed = [m for _, m in methods_for(source_type)]
    return method if method in allowed else allowed[0]


# Shipped settings and endpoints ---------------------------------------------------------------

DELEGATED_PERMISSIONS: tuple[str, ...] = (
    "Organization.Read.All",
    "User.Read.All",
    "Reports.Read.All",
    "ReportSettings.Read.All",
    "AuditLog.Read.All",
)


@dataclass(frozen=True)
class ShippedSettings:
    """`resources/app_settings.json`: the multi-tenant public client and its redirect URI."""

    multi_tenant_client_id: str
    redirect_uri: str


@functools.cache
def shipped_settings() -> ShippedSettings:
    text = importlib_resources.files("resources").joinpath("app_settings.json").read_text("utf-8")
    data = json.loads(text)
    return ShippedSettings(
        multi_tenant_client_id=str(data["multi_tenant_client_id"]).strip(),
        redirect_uri=str(data.get("redirect_uri") or "http://localhost").strip(),
    )


def delegated_scopes(graph_endpoint: str) -> list[str]:
    root = graph_endpoint.rstrip("/")
    return [f"{root}/{permission}" for permission in DELEGATED_PERMISSIONS]


def default_scope(method: AuthMethod, graph_endpoint: str) -> str:
    """`.default` for app-only tokens; the delegated permissions for sign-in methods."""
    if method == AuthMethod.OWN_APP:
        return f"{graph_endpoint.rstrip('/')}/.default"
    return " ".join(delegated_scopes(graph_endpoint))


def normalize_graph_endpoint(url: str) -> str:
    """The Graph root without a trailing slash or version segment."""
    root = url.strip().rstrip("/")
    for suffix in ("/v1.0", "/beta"):
        if root.lower().endswith(suffix):
            root = root[: -len(suffix)]
    return root


@dataclass(frozen=True)
class ResolvedEndpoints:
    authority_host: str  # https://host, no trailing slash
    graph_endpoint: str  # root without version
    token_endpoint: str
    scope: str  # space-separated
    client_id: str
    redirect_uri: str  # "" for own-app connections
    instance_discovery: bool  # False for the Custom cloud (msal must not ask Microsoft)
    tenant: str = "organizations"  # the authority's tenant segment

    @property
    def authority(self) -> str:
        return f"{self.authority_host}/{self.tenant}"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


def resolve_endpoints(
    draft: ConnectionDraft, version: BeaconVersion | None = None
) -> ResolvedEndpoints:
    """The endpoints a connection uses: typed values win, else the cloud's.

    The version does not change the result: a connection created with auto-populated fields
    keeps working when the setting moves to 2018 R2 (spec §2). The Custom cloud has no
    defaults, so its hosts must be typed (ValidationError otherwise).
    """
    del version  # accepted for symmetry with fields_for and validate
    cloud = CLOUD_ENDPOINTS.get(draft.cloud)
    host = draft.authority_host.strip().rstrip("/") or (cloud.authority_host if cloud else "")
    graph = normalize_graph_endpoint(draft.graph_endpoint) or (
        cloud.graph_endpoint if cloud else ""
    )
    missing = {
        name: f"Type the {label} of the custom cloud."
        for name, label, value in (
            ("authority_host", "authority host", host),
            ("graph_endpoint", "Graph endpoint", graph),
        )
        if not value
    }
    if missing:
        raise ValidationError(missing)
    method = effective_method(draft.source_type, draft.method)
    tenant = draft.tenant.strip() or "organizations"
    settings = shipped_settings()
    public_client = method != AuthMethod.OWN_APP
    return ResolvedEndpoints(
        authority_host=host,
        graph_endpoint=graph,
        token_endpoint=draft.token_endpoint.strip() or f"{host}/{tenant}/oauth2/v2.0/token",
        scope=" ".join(draft.scope.split()) or default_scope(method, graph),
        client_id=draft.client_id.strip()
        or (settings.multi_tenant_client_id if public_client else ""),
        redirect_uri=draft.redirect_uri.strip()
        or (settings.redirect_uri if method == AuthMethod.MULTI_TENANT else ""),
        instance_discovery=draft.cloud != Cloud.CUSTOM,
        tenant=tenant,
    )


def cloud_choices() -> tuple[tuple[str, str], ...]:
    return tuple((cloud.value, CLOUD_LABELS[cloud]) for cloud in Cloud)
