"""A connection to a tenant: its choices, its draft and saved forms, its secrets and the
report of a connection test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.domain.cloud import Cloud
from core.domain.imports import ImportStatus


class SourceType(StrEnum):
    """The connector behind a connection. The deprecated connector is one connector whatever
    label the beacon version gives it (spec §2)."""

    MICROSOFT_365 = "Microsoft 365"
    OFFICE_365 = "Microsoft Office 365 (deprecated)"


class AuthMethod(StrEnum):
    OWN_APP = "own-app"  # client credentials with the tenant's own app registration
    MULTI_TENANT = "multi-tenant"  # delegated sign-in with the shipped public client
    PASSWORD = "password"  # deprecated connector: resource-owner password flow


def connection_methods(source_type: SourceType) -> tuple[AuthMethod, ...]:
    """The methods a source type signs in with; the first is its default."""
    if source_type == SourceType.OFFICE_365:
        return (AuthMethod.PASSWORD,)
    return (AuthMethod.MULTI_TENANT, AuthMethod.OWN_APP)


def effective_method(source_type: SourceType, method: AuthMethod | None) -> AuthMethod:
    """`method` when the source type supports it, else the source type's default."""
    allowed = connection_methods(source_type)
    return method if method in allowed else allowed[0]


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


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind = ScheduleKind.MANUAL
    every_hours: int = 24
    daily_at: str = "02:00"  # HH:MM, local time

    def is_due(self, last: datetime | None, now: datetime, tz: tzinfo | None = None) -> bool:
        """Whether an import that last started at `last` is due at `now` (both aware).

        Daily times are wall-clock times in `tz` (None: the system's time zone). On the night
        the clocks skip the time, it runs as much later as they jump (02:30 becomes 03:30 by
        the new clock); on the night they repeat it, it runs once, the first time.
        """
        if self.kind is ScheduleKind.MANUAL:
            return False
        if last is None:
            return True
        # In UTC: arithmetic and comparisons within one zone would ignore DST changes.
        last = last.astimezone(UTC)
        if self.kind is ScheduleKind.EVERY_N_HOURS:
            return now.astimezone(UTC) - last >= timedelta(hours=self.every_hours)
        return last < self.last_daily_slot(now, tz)

    def last_daily_slot(self, now: datetime, tz: tzinfo | None = None) -> datetime:
        """The latest daily time at or before `now`, in UTC."""
        hour, minute = (int(part) for part in self.daily_at.split(":"))
        today = now.astimezone(tz).date()
        slot = _wall_clock(datetime.combine(today, time(hour, minute)), tz)
        if slot > now.astimezone(UTC):
            yesterday = today - timedelta(days=1)
            slot = _wall_clock(datetime.combine(yesterday, time(hour, minute)), tz)
        return slot

    def describe(self) -> str:
        if self.kind is ScheduleKind.EVERY_N_HOURS:
            return f"Every {self.every_hours} h"
        if self.kind is ScheduleKind.DAILY:
            return f"Daily at {self.daily_at}"
        return "Manual"


def _wall_clock(naive: datetime, tz: tzinfo | None) -> datetime:
    """A wall-clock time in `tz` (None: the system's zone, with its DST rules), in UTC."""
    local = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return local.astimezone(UTC)


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
    # for demo connections, which the simulator plugged in by core.bootstrap serves and which
    # are labelled simulated.
    simulated_tenant: str | None = None
    secrets: ConnectionSecrets = field(default_factory=ConnectionSecrets, repr=False)
    # A multi-tenant sign-in done before the connection exists (see `SignInResult`): its
    # token cache goes to the connection when it is saved. Never stored.
    sign_in_id: str = field(default="", compare=False)

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

    def is_due(self, now: datetime, tz: tzinfo | None = None) -> bool:
        """Whether its schedule says an import is due at `now`."""
        return self.schedule.is_due(self.last_import_at, now, tz)


SIMULATED_SUFFIX = " (simulated)"


def tenant_label(name: str, simulated: bool) -> str:
    """How a tenant or connection name reads on screen: demo tenants say they are simulated.
    Only a label: the stored name and every export keep the name as is (and a `simulated`
    column instead)."""
    if not simulated or not name or name.endswith(SIMULATED_SUFFIX):
        return name
    return name + SIMULATED_SUFFIX


@dataclass(frozen=True)
class SignInResult:
    """A multi-tenant sign-in. For a connection not saved yet, `sign_in_id` names the sign-in
    kept for it: put it in the draft that is saved (`ConnectionDraft.sign_in_id`)."""

    tenant_id: str
    username: str
    sign_in_id: str = ""


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
