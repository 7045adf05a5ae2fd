"""Domain types shared by every layer: enums and frozen dataclasses, no behaviour beyond labels
(and the one rule every CSV export of them follows, `spreadsheet_safe`).

Data crosses the core/desktop boundary only as these types.
"""

from __future__ import annotations

import re
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
    # Found 'running' at start with no process importing it (killed, power cut).
    INTERRUPTED = "interrupted"


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
        return tenant_label(self.name, self.is_simulated)


SIMULATED_SUFFIX = " (simulated)"


def tenant_label(name: str, simulated: bool) -> str:
    """How a tenant or connection name reads on screen: demo tenants say they are simulated.
    Only a label: the stored name and every export keep the name as is (and a `simulated`
    column instead)."""
    if not simulated or not name or name.endswith(SIMULATED_SUFFIX):
        return name
    return name + SIMULATED_SUFFIX


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
    simulated: bool = False  # the connection is a demo tenant served by the simulator

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


# Licensing (core.licensing, core.saas): rows of the Licenses, Users and Overview screens and
# of the SaaS Management connector. Dates from Graph stay ISO text where they are shown as is.


class SaasZone(StrEnum):
    NAM = "nam"
    EU = "eu"
    APAC = "apac"
    CUSTOM = "custom"


class UserFlag(StrEnum):
    """Filters of the Users screen."""

    INACTIVE = "inactive"
    NEVER_ACTIVE = "never-active"
    DISABLED_WITH_LICENSE = "disabled-with-license"
    DUPLICATE_PATH = "duplicate-path"
    USAGE_UNKNOWN = "usage-unknown"
    OVERLAP = "overlap"  # holds a product and a suite that contains it (e.g. E3 with E5)
    LICENSED = "licensed"
    UNLICENSED = "unlicensed"


class UserSort(StrEnum):
    DISPLAY_NAME = "display_name"
    USER_PRINCIPAL_NAME = "user_principal_name"
    TENANT = "tenant"
    ACCOUNT_ENABLED = "account_enabled"
    USER_TYPE = "user_type"
    LAST_ACTIVITY = "last_activity"
    LICENSES = "licenses"


# Why a usage figure reads "—" (spec §7): shown one hover away wherever it does.
USAGE_UNKNOWN_REASON = (
    "Usage unknown: no sign-in activity was imported (it needs Entra ID P1 or P2) and the usage "
    "reports do not cover these holders, or conceal their names. Unknown usage is never counted "
    "as inactive."
)


def usage_unknown_note(unknown: int, holders: int) -> str | None:
    """The hover text of an active or inactive figure: None when every holder's usage is known."""
    if not unknown:
        return None
    if unknown >= holders:
        return f"The usage of all {holders:,} holders is unknown. {USAGE_UNKNOWN_REASON}"
    return (
        f"The usage of {unknown:,} of {holders:,} holders is unknown; they are counted neither "
        f"as active nor as inactive. {USAGE_UNKNOWN_REASON}"
    )


@dataclass(frozen=True)
class SwitchCounts:
    """What turning the SaaS Management connector on or off changes (or would change)."""

    enabled: bool  # the position after the switch
    retired: int  # licenses the switch retires: the connectors' (on) or SaaS Management's (off)
    restored: int  # licenses it gives their previous status back

    @property
    def connector_licenses(self) -> int:
        """Office 365 connector licenses changed: retired when enabling, restored otherwise."""
        return self.retired if self.enabled else self.restored

    @property
    def saas_licenses(self) -> int:
        """SaaS Management licenses changed: restored when enabling, retired otherwise."""
        return self.restored if self.enabled else self.retired

    def describe(self) -> str:
        """E.g. "24 Office 365 connector licenses retired, 4 SaaS Management licenses
        restored"."""
        connectors = _licenses(self.connector_licenses, "Office 365 connector")
        saas = _licenses(self.saas_licenses, "SaaS Management")
        if self.enabled:
            return f"{connectors} retired, {saas} restored"
        return f"{connectors} restored, {saas} retired"


def _licenses(count: int, kind: str) -> str:
    return f"{count:,} {kind} {'license' if count == 1 else 'licenses'}"


@dataclass(frozen=True)
class LicenseRow:
    """One license with its reconciliation, usage and cost (spec §5–§7).

    Retired licenses keep their raw numbers but have no position, waste or cost
    (`in_reconciliation` False). Money is per month in the settings currency; None = no price.
    """

    id: int
    tenant_id: str  # "" for SaaS Management licenses
    tenant_name: str
    connection_id: int | None
    connection: str  # connection name; "" for SaaS Management licenses
    source: LicenseSource
    sku_id: str
    sku_part_number: str
    product: str
    product_key: str  # key of the price table
    status: LicenseStatus
    in_reconciliation: bool
    enabled: int = 0
    warning: int = 0
    suspended: int = 0
    locked_out: int = 0
    consumed_units: int = 0
    assigned_users: int = 0
    entitlement: int = 0
    compliance_position: int | None = None
    available: int = 0
    # Active + inactive + usage unknown = holders. Both None when the usage of every holder
    # is unknown: shown as "—", never as 0 (spec §7).
    active_users: int | None = 0
    inactive_users: int | None = 0  # includes never-active holders past the new-hire window
    never_active_users: int = 0
    disabled_users: int = 0
    usage_unknown_users: int = 0
    duplicate_paths: int = 0
    overlap_users: int = 0
    unassigned: int = 0
    wasted_units: int = 0
    free: bool = False
    recognized: bool = True
    unit_price: float | None = None
    monthly_cost: float | None = None
    annual_cost: float | None = None
    waste_cost: float | None = None
    grace: bool = False  # warning units: expired, in grace, still usable
    grace_until: datetime | None = None
    consumed_mismatch: bool = False  # consumedUnits differs from the distinct holders
    renewal: datetime | None = None  # SaaS Management: earliest future term end
    retired_by_saas: bool = False
    # SaaS Management: active users of the license's app (one with several licenses) that hold
    # none of its licenses in the imported tenants, so no license counts them.
    unattributed_users: int = 0
    simulated: bool = False  # a demo tenant (or the demo SaaS Management organization)

    @property
    def shortfall(self) -> int:
        position = self.compliance_position
        return -position if position is not None and position < 0 else 0


@dataclass(frozen=True)
class TenantRef:
    """A tenant behind a figure: its name as stored, and whether it is simulated (demo)."""

    name: str
    simulated: bool = False


@dataclass(frozen=True)
class ProductRow:
    """The licenses in reconciliation of one product summed across tenants."""

    product_key: str
    product: str
    sku_part_number: str
    licenses: int
    tenants: int
    entitlement: int
    assigned_users: int
    active_users: int | None  # None: the usage of every holder is unknown
    inactive_users: int | None
    usage_unknown_users: int
    compliance_position: int
    unassigned: int
    shortfall: int
    wasted_units: int
    free: bool
    unit_price: float | None
    monthly_cost: float | None
    annual_cost: float | None
    waste_cost: float | None
    simulated: bool = False  # some of its licenses come from simulated (demo) tenants
    tenant_refs: tuple[TenantRef, ...] = ()  # the tenants (or SaaS Management) behind it


@dataclass(frozen=True)
class UserSkuRef:
    sku_id: str
    sku_part_number: str
    product: str
    direct: bool
    groups: tuple[str, ...]
    assigned_at: str | None = None
    overlap: bool = False  # the user also holds a suite that contains this product


@dataclass(frozen=True)
class UserRow:
    tenant_id: str
    tenant_name: str
    connection_id: int
    connection: str
    id: str
    user_principal_name: str
    display_name: str
    mail: str
    account_enabled: bool
    user_type: str
    skus: tuple[UserSkuRef, ...]
    last_activity: str | None  # YYYY-MM-DD
    usage_known: bool
    inactive: bool
    never_active: bool
    disabled_with_license: bool
    duplicate_path: bool
    overlap: bool
    simulated: bool = False  # a user of a simulated (demo) tenant


@dataclass(frozen=True)
class UserQuery:
    """Filtering, sorting and paging of the Users screen, done in SQL."""

    search: str = ""  # part of the display name or UPN
    tenant: str = ""  # tenant id, tenant name or connection name
    flag: UserFlag | None = None
    sort: UserSort = UserSort.DISPLAY_NAME
    descending: bool = False
    offset: int = 0
    limit: int | None = 200  # None = no limit (exports)


@dataclass(frozen=True)
class LicenseSubscription:
    id: str
    status: str
    total_licenses: int
    is_trial: bool
    created_at: datetime | None
    next_lifecycle_at: datetime | None


@dataclass(frozen=True)
class SaasTerm:
    term_id: str
    term_type: str
    total_active: int
    annual_cost: float | None
    ends_at: datetime | None
    current: bool


@dataclass(frozen=True)
class LicenseHolder:
    user_id: str
    user_principal_name: str
    display_name: str
    account_enabled: bool
    direct: bool
    groups: tuple[str, ...]
    assigned_at: str | None
    last_activity: str | None
    usage_known: bool
    inactive: bool
    never_active: bool
    overlap: bool = False


@dataclass(frozen=True)
class StatusChange:
    id: int
    license_id: int
    changed_at: datetime
    old_status: LicenseStatus | None
    new_status: LicenseStatus
    changed_by: str  # the OS user's name (by hand), 'saas-management' or 'import'
    reason: str


@dataclass(frozen=True)
class LicenseDetail:
    row: LicenseRow
    subscriptions: tuple[LicenseSubscription, ...]
    terms: tuple[SaasTerm, ...]
    holders: tuple[LicenseHolder, ...]  # one page of holders
    holders_total: int
    changes: tuple[StatusChange, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class OverviewTotals:
    """Totals of the licenses in reconciliation (free ones left out) of one tenant, or all."""

    key: str  # connection name, "SaaS Management", or "Total"
    tenant_id: str
    tenant_name: str
    licenses: int
    entitled: int
    assigned: int
    active: int | None  # None: the usage of every holder is unknown ("—", JSON null)
    inactive: int | None
    usage_unknown: int
    unassigned: int
    shortfall: int
    monthly_cost: float
    monthly_waste: float
    simulated: bool = False  # a simulated (demo) tenant; the total: some of them are


@dataclass(frozen=True)
class ActionWarning:
    kind: str  # concealed-names, expiring-secret, missing-permission, import, shortfall, grace…
    severity: str  # "error" or "warning"
    message: str
    tenant_name: str = ""
    connection_id: int | None = None
    license_id: int | None = None
    simulated: bool = False  # about a simulated (demo) tenant


@dataclass(frozen=True)
class Overview:
    tenants: tuple[OverviewTotals, ...]
    total: OverviewTotals
    products: tuple[ProductRow, ...]  # chart: entitled vs assigned vs active per product
    warnings: tuple[ActionWarning, ...]
    currency: str


@dataclass(frozen=True)
class UnrecognizedSku:
    sku_id: str
    sku_part_number: str
    tenants: tuple[str, ...]


@dataclass(frozen=True)
class SaasResult:
    ok: bool
    message: str
    when: datetime | None = None
    apps: int = 0
    licenses: int = 0
    app_users: int = 0
    detail: str = ""


@dataclass(frozen=True)
class SaasConfig:
    """The SaaS Management connector's settings; the refresh token stays in the keychain."""

    enabled: bool = False
    zone: SaasZone = SaasZone.NAM
    org_id: str = ""
    token_url: str = ""
    api_url: str = ""
    has_refresh_token: bool = False
    simulated: bool = False
    last_import_at: datetime | None = None
    last_result: SaasResult | None = None

    @property
    def configured(self) -> bool:
        return bool(self.org_id and self.token_url and self.api_url and self.has_refresh_token)


@dataclass(frozen=True)
class SaasStatus:
    config: SaasConfig
    saas_licenses: int  # licenses with source SaaS Management
    retired_by_connector: int  # Office 365 connector licenses it holds Retired now
    would_retire: int  # licenses enabling would retire now (0 while enabled)


# CSV exports (CLI and window): a cell a spreadsheet would run as a formula starts with one of
# these. OWASP's advice: prefix such a cell with a single quote so it is shown as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)")


def spreadsheet_safe(cell: str) -> str:
    """Return `cell` as a spreadsheet will show it, never run it: "=HYPERLINK(…)" becomes
    "'=HYPERLINK(…)"; a plain number such as "-12.50" or "-1,234" stays as it is."""
    if cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
