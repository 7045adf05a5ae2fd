"""Rows of the Licenses, Products, Users and Overview screens (core.licensing). Dates from
Graph stay ISO text where they are shown as is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.domain.connection import SourceType


class LicenseSource(StrEnum):
    MICROSOFT_365 = "Microsoft 365"
    OFFICE_365 = "Microsoft Office 365 (deprecated)"
    SAAS_MANAGEMENT = "SaaS Management"

    @classmethod
    def for_source_type(cls, source_type: SourceType) -> LicenseSource:
        return cls(source_type.value)


class LicenseStatus(StrEnum):
    ACTIVE = "Active"
    IN_STOCK = "In stock"
    PURCHASED = "Purchased"
    RECEIVED = "Received"
    RETIRED = "Retired"


# Holders of a license shown (and read) at a time.
HOLDER_PAGE = 200


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


# Automatic changes keep a machine kind in `changed_by`; a change by hand keeps the user's name.
AUTOMATIC_AUTHORS = {
    "user": "A user",  # changes by hand recorded before the author's name was kept
    "saas-management": "SaaS Management connector",
    "import": "Import",
}


@dataclass(frozen=True)
class StatusChange:
    id: int
    license_id: int
    changed_at: datetime
    old_status: LicenseStatus | None
    new_status: LicenseStatus
    changed_by: str  # the OS user's name (by hand), 'saas-management' or 'import'
    reason: str
    changed_by_user: str | None = None  # the OS user whose process made it (None: older rows)

    @property
    def author(self) -> str:
        """Who changed it, for people: 'alice', 'SaaS Management connector (alice)'."""
        kind = AUTOMATIC_AUTHORS.get(self.changed_by)
        if kind is None:
            return self.changed_by  # by hand: the OS user's name
        return f"{kind} ({self.changed_by_user})" if self.changed_by_user else kind


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
