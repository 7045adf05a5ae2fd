"""Domain types shared by every layer: enums and frozen dataclasses, no behaviour beyond labels.

Data crosses the core/desktop boundary only as these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Cloud(StrEnum):
    GLOBAL = "global"
    GCC_HIGH = "gcc-high"
    DOD = "dod"
    CHINA = "china"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return CLOUD_LABELS[self]


CLOUD_LABELS: Mapping[Cloud, str] = {
    Cloud.GLOBAL: "Global (also Microsoft 365 GCC)",
    Cloud.GCC_HIGH: "US Government GCC High",
    Cloud.DOD: "US Government DoD",
    Cloud.CHINA: "China (21Vianet)",
    Cloud.CUSTOM: "Custom",
}


@dataclass(frozen=True)
class CloudEndpoints:
    """Hosts of one national cloud (Graph reference §3)."""

    authority_host: str  # e.g. https://login.microsoftonline.com
    graph_endpoint: str  # root without version, e.g. https://graph.microsoft.com
    reports_in_v1: bool  # usage reports and reportSettings exist in v1.0 only in Global

    @property
    def scope(self) -> str:
        return f"{self.graph_endpoint.rstrip('/')}/.default"


CLOUD_ENDPOINTS: Mapping[Cloud, CloudEndpoints] = {
    Cloud.GLOBAL: CloudEndpoints(
        "https://login.microsoftonline.com", "https://graph.microsoft.com", True
    ),
    Cloud.GCC_HIGH: CloudEndpoints(
        "https://login.microsoftonline.us", "https://graph.microsoft.us", False
    ),
    Cloud.DOD: CloudEndpoints(
        "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", False
    ),
    Cloud.CHINA: CloudEndpoints(
        "https://login.partner.microsoftonline.cn",
        "https://microsoftgraph.chinacloudapi.cn",
        False,
    ),
}


class SourceType(StrEnum):
    """The connector behind a connection. The deprecated connector is one connector whatever
    label the beacon version gives it (spec §2)."""

    MICROSOFT_365 = "Microsoft 365"
    OFFICE_365 = "Microsoft Office 365 (deprecated)"


class LicenseSource(StrEnum):
    MICROSOFT_365 = "Microsoft 365"
    OFFICE_365 = "Microsoft Office 365 (deprecated)"
    SAAS_MANAGEMENT = "SaaS Management"

    @classmethod
    def for_source_type(cls, source_type: SourceType) -> LicenseSource:
        return cls(source_type.value)


class AuthMethod(StrEnum):
    OWN_APP = "own-app"  # client credentials with the tenant's own app registration
    MULTI_TENANT = "multi-tenant"  # delegated sign-in with the shipped public client
    PASSWORD = "password"  # deprecated connector: resource-owner password flow


class CredentialKind(StrEnum):
    SECRET = "secret"
    PEM = "pem"
    PFX = "pfx"


class ProxyMode(StrEnum):
    NONE = "none"
    SYSTEM = "system"
    URL = "url"


class ScheduleKind(StrEnum):
    MANUAL = "manual"
    EVERY_N_HOURS = "every-n-hours"
    DAILY = "daily"


class UsagePeriod(StrEnum):
    D7 = "D7"
    D30 = "D30"
    D90 = "D90"
    D180 = "D180"


class LicenseStatus(StrEnum):
    ACTIVE = "Active"
    IN_STOCK = "In stock"
    PURCHASED = "Purchased"
    RECEIVED = "Received"
    RETIRED = "Retired"


class ImportStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_WARNINGS = "succeeded with warnings"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind = ScheduleKind.MANUAL
    every_hours: int = 24
    daily_at: str = "02:00"  # HH:MM, local time

    def describe(self) -> str:
        if self.kind is ScheduleKind.EVERY_N_HOURS:
            return f"Every {self.every_hours} h"
        if self.kind is ScheduleKind.DAILY:
            return f"Daily at {self.daily_at}"
        return "Manual"


@dataclass(frozen=True)
class ConnectionSecrets:
    """Secrets typed into a connection. Never persisted outside the keychain; repr hides them."""

    client_secret: str = field(default="", repr=False)
    certificate_password: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    proxy_password: str = field(default="", repr=False)

    def items(self) -> list[tuple[str, str]]:
        return [
            ("client_secret", self.client_secret),
            ("certificate_password", self.certificate_password),
            ("password", self.password),
            ("proxy_password", self.proxy_password),
        ]


@dataclass(frozen=True)
class ConnectionDraft:
    """What the Create PowerShell Source Connection dialog and `connections add` produce.

    Empty endpoint fields mean "derive from the cloud" (auto-population on beacon 2019 R1+).
    """

    name: str
    source_type: SourceType = SourceType.MICROSOFT_365
    method: AuthMethod = AuthMethod.OWN_APP
    tenant: str = ""  # GUID or verified domain; multi-tenant fills it after sign-in
    client_id: str = ""
    credential_kind: CredentialKind = CredentialKind.SECRET
    certificate_path: str = ""
    cloud: Cloud = Cloud.GLOBAL
    authority_host: str = ""
    graph_endpoint: str = ""
    token_endpoint: str = ""
    scope: str = ""
    redirect_uri: str = ""
    use_device_code: bool = False
    username: str = ""
    proxy_mode: ProxyMode = ProxyMode.NONE
    proxy_url: str = ""
    proxy_username: str = ""
    schedule: Schedule = field(default_factory=Schedule)
    usage_period: UsagePeriod = UsagePeriod.D30
    secret_expires_on: date | None = None
    use_beta_reports: bool = False
    # Name of a simulator tenant profile ("contoso", "fabrikam", or "size:N:seed"); set only
    # for demo connections, which are served by core.simulator and labelled simulated.
    simulated_tenant: str | None = None
    secrets: ConnectionSecrets = field(default_factory=ConnectionSecrets, repr=False)

    @property
    def is_simulated(self) -> bool:
        return self.simulated_tenant is not None


@dataclass(frozen=True)
class Connection(ConnectionDraft):
    """A saved connection. `secrets` is always empty here: they live in the keychain."""

    id: int = 0
    tenant_id: str = ""  # resolved tenant GUID after a sign-in or import
    tenant_name: str = ""
    last_import_at: datetime | None = None
    last_import_status: ImportStatus | None = None

    @property
    def display_name(self) -> str:
        return f"{self.name} (simulated)" if self.is_simulated else self.name


@dataclass(frozen=True)
class ImportProgress:
    connection_id: int
    step: str  # short name of the current step ("users", "reports", …)
    done: int
    total: int | None
    message: str


@dataclass(frozen=True)
class ImportCounts:
    skus: int = 0
    subscriptions: int = 0
    users: int = 0
    licensed_users: int = 0
    report_rows: int = 0


@dataclass(frozen=True)
class ImportRun:
    """One row of the import history."""

    id: int
    connection_id: int | None
    connection_name: str
    started_at: datetime
    ended_at: datetime | None
    status: ImportStatus
    counts: ImportCounts
    warnings: tuple[str, ...]
    error: str | None
    error_detail: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class PermissionState(StrEnum):
    GRANTED = "granted"
    MISSING = "missing"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class PermissionCheck:
    area: str  # organization, SKUs, users, reports, report settings, sign-in activity
    permission: str  # e.g. Organization.Read.All
    required: bool
    state: PermissionState
    message: str = ""


@dataclass(frozen=True)
class ConnectionTestReport:
    ok: bool  # token acquired and every required permission granted
    tenant_id: str = ""
    tenant_name: str = ""
    checks: tuple[PermissionCheck, ...] = ()
    error: str | None = None  # user-facing message when no token could be had
    error_field: str | None = None  # the draft field the error belongs to
    consent_url: str | None = None
