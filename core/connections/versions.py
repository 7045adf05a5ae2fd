"""The version table and the labels of the connection choices (spec §2, §3).

One table, `VERSION_BANDS`, decides everything that depends on the beacon version (the
versions themselves are `core.domain.beacon`). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.beacon import BeaconVersion
from core.domain.cloud import CLOUD_LABELS, Cloud
from core.domain.connection import (
    AuthMethod,
    CredentialKind,
    ProxyMode,
    ScheduleKind,
    SourceType,
    UsagePeriod,
    connection_methods,
)


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
    return [(METHOD_LABELS[m], m) for m in connection_methods(source_type)]


def cloud_choices() -> tuple[tuple[str, str], ...]:
    return tuple((cloud.value, CLOUD_LABELS[cloud]) for cloud in Cloud)
