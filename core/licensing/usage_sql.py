"""SQL fragments for usage and inactivity (spec §7), shared by licenses, users and details so
the rules live in one place.

Aliases: `cur` = a current snapshot (from CURRENT_CTE), `u` = users, `us` = user_skus,
`r` = report_usage. Dates are compared as YYYY-MM-DD text.

- as-of: snapshots.as_of (report refresh date, else the import time).
- last activity: the latest of the report activity date and the last successful sign-in.
- usage known: sign-in activity was imported, or a report row with a workload license exists
  and names were not concealed. Unknown usage is never inactive.
- inactive: licensed, usage known, last activity before as-of − N days (or none at all), and
  the license assigned at least M days before as-of (assignment date: the path's
  lastUpdatedDateTime, else the account's creation; neither known counts as old enough).
- never active: usage known and no activity at all.
- active: usage known and not inactive (new hires included), so active + inactive + usage
  unknown = holders.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.licensing.catalog import SkuCatalog
from core.storage.dialect import DbConnection

CURRENT_CTE = """cur AS (
    SELECT s.id, s.connection_id, s.tenant_id, s.tenant_name, s.sign_in_imported,
           s.concealed_names, s.as_of,
           date(substr(COALESCE(s.as_of, s.created_at), 1, 10), ?) AS cutoff,
           date(substr(COALESCE(s.as_of, s.created_at), 1, 10), ?) AS hire_cutoff
    FROM snapshots s WHERE s.state = 'current')"""

KNOWN = (
    "(CASE WHEN cur.sign_in_imported = 1 OR (COALESCE(r.has_workload_license, 0) = 1 "
    "AND cur.concealed_names = 0) THEN 1 ELSE 0 END)"
)
LAST_ACTIVITY = (
    "max(COALESCE(substr(r.last_activity, 1, 10), ''), COALESCE(substr(u.last_sign_in, 1, 10), ''))"
)
ASSIGNED = "COALESCE(substr(COALESCE(us.assigned_at, u.created_at), 1, 10), '')"
# Over a row that has columns known, last_act, assigned, cutoff and hire_cutoff.
INACTIVE = "(known = 1 AND (last_act = '' OR last_act < cutoff) AND assigned <= hire_cutoff)"
NEVER_ACTIVE = "(known = 1 AND last_act = '')"
# Known and not (yet) judged inactive: new hires count here, so for every license active +
# inactive + usage unknown = holders (spec §7).
ACTIVE = f"(known = 1 AND NOT {INACTIVE})"
# The holder (us) also holds a suite that contains this product.
OVERLAP = (
    "EXISTS (SELECT 1 FROM temp.ld_overlap p JOIN user_skus o ON o.snapshot_id = p.snapshot_id "
    "AND o.sku_id = p.suite_sku_id AND o.user_id = us.user_id "
    "WHERE p.snapshot_id = us.snapshot_id AND p.product_sku_id = us.sku_id)"
)


# SaaS Management licenses and how many licenses their app has.
SAAS_LICENSES_CTE = """lic AS (
    SELECT l.id AS license_id, l.saas_app_id AS app,
           (SELECT COUNT(*) FROM licenses x WHERE x.source = 'SaaS Management'
            AND x.saas_app_id = l.saas_app_id) AS siblings
    FROM licenses l WHERE l.source = 'SaaS Management')"""
# The API does not say which of an app's licenses a user holds. With one license, every active
# app user consumes it; with several, a user consumes the licenses whose product the matched
# Microsoft 365 user holds (temp.ld_saas_map: license -> SKUs, by product name).
# Active app users of SaaS Management licenses matched to imported users (by UPN, else by the
# user whose mail it is), and their usage columns: shared by the statistics and the holders list.
# INDEXED BY: left to itself SQLite looks users up by snapshot only (the primary key's prefix)
# and reads every user of the tenant for each app user, 15 s on the demo instead of 0.35 s.
APP_USER_JOINS = """    FROM lic
    JOIN saas_app_users a ON a.saas_app_id = lic.app AND COALESCE(a.deactivated_at, '') = ''
    LEFT JOIN cur ON TRUE
    LEFT JOIN users u INDEXED BY users_upn ON u.snapshot_id = cur.id
         AND u.upn_lower = COALESCE(a.matched_upn, a.email_lower)
    LEFT JOIN report_usage r ON r.snapshot_id = u.snapshot_id AND r.upn_lower = u.upn_lower"""
APP_USER_USAGE = f"""COALESCE(MAX(CASE WHEN u.id IS NULL THEN 0 ELSE {KNOWN} END), 0) AS known,
           COALESCE(MAX({LAST_ACTIVITY}), '') AS last_act,
           COALESCE(NULLIF(MIN(substr(COALESCE(a.activated_at, ''), 1, 10)), ''),
                    MIN(substr(COALESCE(u.created_at, ''), 1, 10)), '') AS assigned,
           COALESCE(MIN(cur.cutoff), '') AS cutoff,
           COALESCE(MIN(cur.hire_cutoff), '') AS hire_cutoff"""

ATTRIBUTED = (
    "(lic.siblings = 1 OR EXISTS (SELECT 1 FROM temp.ld_saas_map mp JOIN user_skus us "
    "ON us.snapshot_id = u.snapshot_id AND us.sku_id = mp.sku_id AND us.user_id = u.id "
    "WHERE mp.license_id = lic.license_id))"
)


def window_params(inactive_days: int, min_assignment_age_days: int) -> tuple[str, str]:
    """Parameters of CURRENT_CTE, in order."""
    return (f"-{int(inactive_days)} days", f"-{int(min_assignment_age_days)} days")


def prepare_overlap(conn: DbConnection, catalog: SkuCatalog) -> None:
    """Fill the temporary lookup tables of this connection: temp.ld_overlap (snapshot,
    product SKU, suite SKU) for the SKUs each current snapshot has, so the overlap check is two
    index lookups per holder; and temp.ld_saas_map (SaaS Management license, SKU)."""
    for statement in _TEMP_TABLES:  # not executescript: that would commit a caller's work
        conn.execute(statement)
    conn.execute("DELETE FROM temp.ld_overlap")
    conn.execute("DELETE FROM temp.ld_saas_map")
    rows = conn.execute(
        "SELECT k.snapshot_id, k.sku_id, k.sku_part_number FROM skus k "
        "JOIN snapshots s ON s.id = k.snapshot_id WHERE s.state = 'current'"
    ).fetchall()
    conn.executemany(
        "INSERT OR IGNORE INTO temp.ld_overlap VALUES (?, ?, ?)", _pairs(rows, catalog)
    )
    conn.executemany(
        "INSERT OR IGNORE INTO temp.ld_saas_map VALUES (?, ?)", _saas_map(conn, rows, catalog)
    )


OVERLAP_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS ld_overlap (snapshot_id INTEGER NOT NULL, "
    "product_sku_id TEXT NOT NULL, suite_sku_id TEXT NOT NULL, "
    "PRIMARY KEY (snapshot_id, product_sku_id, suite_sku_id)) WITHOUT ROWID"
)
_TEMP_TABLES = (
    OVERLAP_TABLE,
    "CREATE TEMP TABLE IF NOT EXISTS ld_saas_map (license_id INTEGER NOT NULL, "
    "sku_id TEXT NOT NULL, PRIMARY KEY (license_id, sku_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS temp.ld_saas_map_sku ON ld_saas_map (sku_id)",
)


def _saas_map(
    conn: DbConnection, skus: Iterable[tuple[int, str, str]], catalog: SkuCatalog
) -> list[tuple[int, str]]:
    """SaaS Management license -> SKU ids: its name is a product name (or part number) of the
    SKU table; tenants' SKUs with that part number count too (gov and renamed ids)."""
    by_part: dict[str, set[str]] = {}
    for _, sku_id, part in skus:
        by_part.setdefault((part or "").upper(), set()).add(sku_id)
    out = []
    for license_id, name in conn.execute(
        "SELECT id, name FROM licenses WHERE source = 'SaaS Management'"
    ):
        info = catalog.find_by_name(name or "") or catalog.lookup(None, name)
        if info is None:
            continue
        ids = set(by_part.get(info.part_number.upper(), set()))
        if info.sku_id:
            ids.add(info.sku_id)
        out += [(license_id, sku_id) for sku_id in sorted(ids)]
    return out


def _pairs(rows: Iterable[tuple[int, str, str]], catalog: SkuCatalog) -> list[tuple[int, str, str]]:
    by_snapshot: dict[int, dict[str, str]] = {}
    for snapshot_id, sku_id, part in rows:
        by_snapshot.setdefault(snapshot_id, {})[(part or "").upper()] = sku_id
    out = []
    for snapshot_id, parts in by_snapshot.items():
        for suite_part, suite_id in parts.items():
            for product_part in catalog.contained_in(suite_part):
                product_id = parts.get(product_part)
                if product_id is not None and product_id != suite_id:
                    out.append((snapshot_id, product_id, suite_id))
    return out
