"""Microsoft 365 usage report CSVs (Graph reference §4.6), streamed row by row: UTF-8 with a
BOM, CRLF line ends, the exact column lists, optional concealed names."""

from __future__ import annotations

from collections.abc import Iterator

from .model import TenantModel
from .profiles import VARIANT_DAYS
from .synth import DAY_STR, REPORT_LAG_DAYS, REPORT_REFRESH_DATE, concealed_token
from .users import (
    ACTIVE,
    C_CLASS,
    C_CREATED,
    C_DAYS,
    C_GUEST,
    C_H2,
    C_NEW,
    C_PROFILE,
    C_VARIANT,
    INACTIVE,
    Core,
)

ACTIVE_USER_COLUMNS = (
    "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,"
    "Has Exchange License,Has OneDrive License,Has SharePoint License,"
    "Has Skype For Business License,Has Yammer License,Has Teams License,"
    "Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,"
    "Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,"
    "Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,"
    "Skype For Business License Assign Date,Yammer License Assign Date,"
    "Teams License Assign Date,Assigned Products"
)
_APPS = ("Outlook", "Word", "Excel", "PowerPoint", "OneNote", "Teams")
_PLATFORMS = ("Windows", "Mac", "Mobile", "Web")
APP_USER_COLUMNS = ",".join(
    [
        "Report Refresh Date",
        "User Principal Name",
        "Last Activation Date",
        "Last Activity Date",
        "Report Period",
        *_PLATFORMS,
        *_APPS,
        *(f"{app} ({platform})" for platform in _PLATFORMS for app in _APPS),
    ]
)
ACTIVATION_COLUMNS = (
    "Report Refresh Date,User Principal Name,Display Name,Product Type,Last Activated Date,"
    "Windows,Mac,Windows 10 Mobile,iOS,Android,Activated On Shared Computer"
)
REPORTS = {
    "getOffice365ActiveUserDetail": ACTIVE_USER_COLUMNS,
    "getM365AppUserDetail": APP_USER_COLUMNS,
    "getOffice365ActivationsUserDetail": ACTIVATION_COLUMNS,
}
_BOM = "\ufeff"
_CHUNK_ROWS = 256


def report_csv(tenant: TenantModel, name: str, period_days: int) -> Iterator[bytes]:
    """Yield the CSV body of report `name` in chunks (memory stays flat for any size)."""
    rows = {
        "getOffice365ActiveUserDetail": _active_user_rows,
        "getM365AppUserDetail": _app_user_rows,
        "getOffice365ActivationsUserDetail": _activation_rows,
    }[name](tenant, period_days)
    batch = [_BOM + REPORTS[name]]
    for row in rows:
        batch.append(row)
        if len(batch) >= _CHUNK_ROWS:
            yield ("\r\n".join(batch) + "\r\n").encode()
            batch = []
    if batch:
        yield ("\r\n".join(batch) + "\r\n").encode()


class _Names:
    """UPN and display name as a report shows them (concealed or not)."""

    def __init__(self, tenant: TenantModel) -> None:
        self.tenant = tenant
        self.concealed = tenant.concealed_names

    def __call__(self, i: int, guest: bool) -> tuple[str, str]:
        _, _, display, upn, _ = self.tenant.factory.names(i, guest)
        if self.concealed:
            tid = self.tenant.tenant_id
            return concealed_token(tid, "upn", upn), concealed_token(tid, "name", upn)
        return upn, _csv(display)


def _csv(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _assign_days(core: Core) -> int:
    return core[C_CREATED] if core[C_NEW] else VARIANT_DAYS[core[C_VARIANT]]


def _activity_days(core: Core) -> int | None:
    """Days before now of the latest report activity, never after the last sign-in."""
    if core[C_CLASS] not in (ACTIVE, INACTIVE):
        return None
    return max(core[C_DAYS], REPORT_LAG_DAYS)


def _active_user_rows(tenant: TenantModel, period_days: int) -> Iterator[str]:
    names = _Names(tenant)
    profiles = tenant.factory.profiles
    for i in tenant.indexes():
        core = tenant.core(i)
        profile = profiles[core[C_PROFILE]]
        upn, display = names(i, core[C_GUEST])
        h2 = core[C_H2]
        base = _activity_days(core)
        assigned = DAY_STR[_assign_days(core)]
        has, last, assign = [], [], []
        first_used = True
        for k, licensed in enumerate(profile.workloads):
            has.append("True" if licensed else "False")
            used = licensed and base is not None and (first_used or (h2 >> (40 + 3 * k)) & 7)
            if licensed:
                first_used = False
            last.append(DAY_STR[base + ((h2 >> (3 * k)) & 3)] if used and base is not None else "")
            assign.append(assigned if licensed else "")
        yield ",".join(
            [REPORT_REFRESH_DATE, upn, display, "False", "", *has, *last, *assign, profile.products]
        )
    yield from _deleted_rows(tenant, names)


def _deleted_rows(tenant: TenantModel, names: _Names) -> Iterator[str]:
    empty6 = [""] * 6
    false6 = ["False"] * 6
    for k in range(tenant.former_users):
        upn = f"former.user{k + 1}@{tenant.spec.domain}"
        display = f"Former User {k + 1}"
        if names.concealed:
            upn, display = (concealed_token(tenant.tenant_id, x, upn) for x in ("upn", "name"))
        deleted = DAY_STR[30 + k % 200]
        last = [DAY_STR[60 + k % 300], *empty6[1:]]
        yield ",".join(
            [REPORT_REFRESH_DATE, upn, display, "True", deleted, *false6, *last, *empty6, ""]
        )
    for i in tenant.deleted_indexes():
        upn, display = names(i, tenant.core(i)[C_GUEST])
        row = [REPORT_REFRESH_DATE, upn, display, "True", REPORT_REFRESH_DATE, *false6, *empty6]
        yield ",".join([*row, *empty6, ""])


def _flags(h: int, active: bool) -> list[str]:
    """Platform, app and app-per-platform Yes/No flags of one user."""
    if not active:
        return ["No"] * (len(_PLATFORMS) + len(_APPS) * (1 + len(_PLATFORMS)))
    platforms = [True, (h >> 3) % 5 == 0, (h >> 6) % 2 == 0, (h >> 9) % 3 == 0]
    apps = [True, (h >> 12) % 4 != 0, (h >> 15) % 3 != 0, (h >> 18) % 3 == 0, (h >> 21) % 4 == 0]
    apps.append((h >> 24) % 5 != 0)
    out = ["Yes" if p else "No" for p in platforms] + ["Yes" if a else "No" for a in apps]
    for p, on in enumerate(platforms):
        for a, used in enumerate(apps):
            bit = (h >> (27 + p * 6 + a)) & 1 or (p == 0 and a == 0)
            out.append("Yes" if on and used and bit else "No")
    return out


def _activation_days(core: Core) -> int:
    base = _activity_days(core) or 0
    return max(base, _assign_days(core) - (core[C_H2] >> 5) % 5)


def _app_user_rows(tenant: TenantModel, period_days: int) -> Iterator[str]:
    names = _Names(tenant)
    profiles = tenant.factory.profiles
    period = str(period_days)
    for i in tenant.indexes():
        core = tenant.core(i)
        if not profiles[core[C_PROFILE]].has_apps:
            continue
        upn, _ = names(i, core[C_GUEST])
        base = _activity_days(core)
        activated = DAY_STR[_activation_days(core)] if base is not None else ""
        last = DAY_STR[base] if base is not None else ""
        active = base is not None and base <= period_days
        flags = _flags(core[C_H2] >> 8, active)
        yield ",".join([REPORT_REFRESH_DATE, upn, activated, last, period, *flags])


def _activation_rows(tenant: TenantModel, period_days: int) -> Iterator[str]:
    names = _Names(tenant)
    profiles = tenant.factory.profiles
    for i in tenant.indexes():
        core = tenant.core(i)
        profile = profiles[core[C_PROFILE]]
        if not profile.activations or _activity_days(core) is None:
            continue
        upn, display = names(i, core[C_GUEST])
        h = core[C_H2]
        activated = DAY_STR[_activation_days(core)]
        for n, product in enumerate(profile.activations):
            counts = [1 + (h >> n) % 3, (h >> 9) % 2, 0, (h >> 11) % 3, (h >> 13) % 2]
            shared = "True" if (h >> 17) % 32 == 0 else "False"
            yield ",".join(
                [REPORT_REFRESH_DATE, upn, display, product, activated, *map(str, counts), shared]
            )
