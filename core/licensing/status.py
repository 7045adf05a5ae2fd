"""License status changes, including the SaaS Management connector's rule (spec §6).

The switch holds one side Retired so that no product is counted twice: while the connector is
enabled, every Office 365 connector license; while it is disabled, every license its own
imports created. It keeps the status each had just before in `status_before_saas` (the status
before the switch retired it); flipping the switch gives that status back. A user who changes
a status by hand clears `status_before_saas`, so the user's choice stays. Every change writes a
`license_status_changes` row: when, old, new, who and why.
"""

from __future__ import annotations

import getpass
from datetime import datetime

from core.domain.licensing import LicenseSource, LicenseStatus, StatusChange
from core.domain.saas import SwitchCounts
from core.errors import LicenseDeskError
from core.storage.db import from_iso, iso
from core.storage.dialect import DbConnection
from core.storage.repositories import SettingsRepository

SAAS_ENABLED_KEY = "saas_enabled"
BY_USER = "user"  # only when the OS user's name cannot be read
BY_SAAS = "saas-management"
BY_IMPORT = "import"
CONNECTOR_SOURCES = (LicenseSource.MICROSOFT_365.value, LicenseSource.OFFICE_365.value)
SAAS_SOURCES = (LicenseSource.SAAS_MANAGEMENT.value,)
_CONNECTOR_IN = f"source IN ({', '.join('?' * len(CONNECTOR_SOURCES))})"

REASON_ENABLED = (
    "The SaaS Management connector was enabled: it supersedes the Office 365 connectors, so "
    "their licenses are retired."
)
REASON_DISABLED = "The SaaS Management connector was disabled: the previous status is restored."
REASON_DISABLED_SAAS = (
    "The SaaS Management connector was disabled: the licenses its imports created are retired, "
    "so no product is counted twice."
)
REASON_ENABLED_SAAS = "The SaaS Management connector was enabled: the previous status is restored."
REASON_CREATED_RETIRED = (
    "Created by an import while the SaaS Management connector is enabled: retired from the start."
)


def saas_enabled(conn: DbConnection) -> bool:
    return SettingsRepository().get(conn, SAAS_ENABLED_KEY) == "1"


def record_change(
    conn: DbConnection,
    license_id: int,
    old: str | None,
    new: str,
    *,
    by: str,
    reason: str,
    when: datetime,
) -> None:
    """Write one history row; `changed_by_user` is the OS user of the process making the
    change (the analyst who switched the connector, the worker's user for an import)."""
    conn.execute(
        "INSERT INTO license_status_changes (license_id, changed_at, old_status, new_status, "
        "changed_by, changed_by_user, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (license_id, iso(when), old, new, by, os_user_name(), reason),
    )


def os_user_name() -> str | None:
    """The OS user's name, or None where it cannot be read (some containers)."""
    try:
        return getpass.getuser() or None
    except (OSError, KeyError, ImportError):
        return None


def current_user() -> str:
    """The OS user's name, the author of a change by hand."""
    return os_user_name() or BY_USER


def set_status_by_user(
    conn: DbConnection,
    license_id: int,
    status: LicenseStatus,
    reason: str,
    when: datetime,
    by: str | None = None,
) -> bool:
    """Change a status by hand (`by`: the author, the OS user by default); returns False when
    nothing changed."""
    row = conn.execute(
        "SELECT status, status_before_saas FROM licenses WHERE id = ?", (license_id,)
    ).fetchone()
    if row is None:
        raise LicenseDeskError(f"There is no license with id {license_id}.")
    old, held = row[0], row[1]
    if old == status.value and held is None:
        return False
    # Clearing status_before_saas makes the user's choice survive disabling the connector,
    # also when the user confirms Retired on a license the connector retired.
    conn.execute(
        "UPDATE licenses SET status = ?, status_before_saas = NULL WHERE id = ?",
        (status.value, license_id),
    )
    record_change(
        conn,
        license_id,
        old,
        status.value,
        by=by or current_user(),
        reason=reason.strip() or "Changed by hand.",
        when=when,
    )
    return True


def set_statuses_by_user(
    conn: DbConnection,
    license_ids: list[int],
    status: LicenseStatus,
    reason: str,
    when: datetime,
    by: str | None = None,
) -> int:
    """Change the status of several licenses by hand with one reason (in the caller's
    transaction: all or none); returns how many changed. An unknown id raises."""
    author = by or current_user()
    return sum(
        set_status_by_user(conn, license_id, status, reason, when, author)
        for license_id in dict.fromkeys(license_ids)
    )


def held_sources(enabled: bool) -> tuple[str, ...]:
    """The sources whose licenses the switch holds Retired in this position."""
    return CONNECTOR_SOURCES if enabled else SAAS_SOURCES


def _in(sources: tuple[str, ...]) -> str:
    return f"source IN ({', '.join('?' * len(sources))})"


def switch_preview(conn: DbConnection, enabled: bool) -> SwitchCounts:
    """What turning the connector to `enabled` would change now (nothing if it already is)."""
    if enabled == saas_enabled(conn):
        return SwitchCounts(enabled, 0, 0)
    retire = conn.execute(
        f"SELECT COUNT(*) FROM licenses WHERE {_in(held_sources(enabled))} AND status != ? "
        "AND status_before_saas IS NULL",
        (*held_sources(enabled), LicenseStatus.RETIRED.value),
    ).fetchone()
    restore = conn.execute(
        f"SELECT COUNT(*) FROM licenses WHERE {_in(held_sources(not enabled))} "
        "AND status_before_saas IS NOT NULL",
        held_sources(not enabled),
    ).fetchone()
    return SwitchCounts(enabled, int(retire[0]), int(restore[0]))


def retire_preview_count(conn: DbConnection) -> int:
    """How many licenses enabling the connector would retire now."""
    row = conn.execute(
        f"SELECT COUNT(*) FROM licenses WHERE {_CONNECTOR_IN} AND status != ?",
        (*CONNECTOR_SOURCES, LicenseStatus.RETIRED.value),
    ).fetchone()
    return int(row[0])


def retired_by_connector_count(conn: DbConnection) -> int:
    """How many Office 365 connector licenses the enabled connector holds Retired."""
    row = conn.execute(
        f"SELECT COUNT(*) FROM licenses WHERE {_CONNECTOR_IN} AND status_before_saas IS NOT NULL",
        CONNECTOR_SOURCES,
    ).fetchone()
    return int(row[0])


def retire_held_licenses(
    conn: DbConnection, sources: tuple[str, ...], when: datetime, reason: str
) -> int:
    """Retire every license of these sources that is not Retired yet; licenses already Retired
    stay as they are and are never restored."""
    rows = conn.execute(
        f"SELECT id, status FROM licenses WHERE {_in(sources)} AND status != ? "
        "AND status_before_saas IS NULL",
        (*sources, LicenseStatus.RETIRED.value),
    ).fetchall()
    for license_id, status in rows:
        conn.execute(
            "UPDATE licenses SET status = ?, status_before_saas = ? WHERE id = ?",
            (LicenseStatus.RETIRED.value, status, license_id),
        )
        record_change(
            conn,
            license_id,
            status,
            LicenseStatus.RETIRED.value,
            by=BY_SAAS,
            reason=reason,
            when=when,
        )
    return len(rows)


def restore_held_licenses(
    conn: DbConnection, sources: tuple[str, ...], when: datetime, reason: str
) -> int:
    """Give each license of these sources that the switch retired the status it had before."""
    rows = conn.execute(
        f"SELECT id, status, status_before_saas FROM licenses WHERE {_in(sources)} "
        "AND status_before_saas IS NOT NULL",
        sources,
    ).fetchall()
    for license_id, status, before in rows:
        conn.execute(
            "UPDATE licenses SET status = ?, status_before_saas = NULL WHERE id = ?",
            (before, license_id),
        )
        record_change(conn, license_id, status, before, by=BY_SAAS, reason=reason, when=when)
    return len(rows)


def set_saas_enabled(conn: DbConnection, enabled: bool, when: datetime) -> SwitchCounts:
    """Flip the connector and, in the same transaction (the caller's), restore the side it
    held Retired and retire the other (spec §6): the totals before enabling equal the totals
    after disabling."""
    if enabled == saas_enabled(conn):
        return SwitchCounts(enabled, 0, 0)
    SettingsRepository().set(conn, SAAS_ENABLED_KEY, "1" if enabled else "0")
    restore_reason = REASON_ENABLED_SAAS if enabled else REASON_DISABLED
    retire_reason = REASON_ENABLED if enabled else REASON_DISABLED_SAAS
    restored = restore_held_licenses(conn, held_sources(not enabled), when, restore_reason)
    retired = retire_held_licenses(conn, held_sources(enabled), when, retire_reason)
    return SwitchCounts(enabled, retired, restored)


def status_history(conn: DbConnection, license_id: int) -> list[StatusChange]:
    rows = conn.execute(
        "SELECT id, license_id, changed_at, old_status, new_status, changed_by, reason, "
        "changed_by_user FROM license_status_changes WHERE license_id = ? ORDER BY changed_at, id",
        (license_id,),
    ).fetchall()
    out = []
    for r in rows:
        changed = from_iso(r[2])
        assert changed is not None
        out.append(
            StatusChange(
                id=r[0],
                license_id=r[1],
                changed_at=changed,
                old_status=LicenseStatus(r[3]) if r[3] else None,
                new_status=LicenseStatus(r[4]),
                changed_by=r[5],
                reason=r[6],
                changed_by_user=r[7],
            )
        )
    return out


def parse_status(text: str) -> LicenseStatus:
    """'In stock', 'in-stock', 'IN_STOCK' … -> LicenseStatus; raises a message listing them."""
    key = text.strip().lower().replace("-", " ").replace("_", " ")
    for status in LicenseStatus:
        if status.value.lower() == key:
            return status
    choices = ", ".join(s.value for s in LicenseStatus)
    raise LicenseDeskError(f"Unknown license status “{text}”; use one of: {choices}.")
