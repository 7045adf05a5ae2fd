"""Aggregates over holders, computed in SQL (tenants reach 1,000,000 users): per (snapshot,
SKU) for the Office 365 connectors, per app for SaaS Management. Nothing here builds a list of
users in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

from core.licensing.usage_sql import (
    ACTIVE,
    APP_USER_JOINS,
    APP_USER_USAGE,
    ASSIGNED,
    ATTRIBUTED,
    CURRENT_CTE,
    INACTIVE,
    KNOWN,
    LAST_ACTIVITY,
    NEVER_ACTIVE,
    OVERLAP,
    SAAS_LICENSES_CTE,
)
from core.storage.dialect import DbConnection, Row


@dataclass(frozen=True)
class HolderStats:
    assigned: int = 0
    disabled: int = 0
    inactive: int = 0
    never_active: int = 0
    usage_unknown: int = 0
    duplicate_paths: int = 0
    overlap: int = 0
    active: int = 0
    wasted_holders: int = 0  # disabled or inactive or overlapping, each holder once


def _flag(condition: str) -> str:
    """1 or 0: PostgreSQL neither sums nor compares booleans as numbers, SQLite has none."""
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


_SUMS = f"""
    COUNT(*), SUM(disabled), SUM({_flag(INACTIVE)}), SUM({_flag(NEVER_ACTIVE)}),
    SUM({_flag("known = 0")}), SUM(dup), SUM(overlap), SUM({_flag(ACTIVE)}),
    SUM({_flag(f"disabled = 1 OR {INACTIVE} OR overlap = 1")})
"""

_SKU_STATS = f"""
WITH {CURRENT_CTE},
h AS (
    SELECT us.snapshot_id AS snapshot_id, us.sku_id AS sku_id,
           {_flag("us.direct = 1 AND us.group_count > 0")} AS dup,
           {_flag("COALESCE(u.account_enabled, 1) = 0")} AS disabled,
           {KNOWN} AS known, {LAST_ACTIVITY} AS last_act, {ASSIGNED} AS assigned,
           cur.cutoff AS cutoff, cur.hire_cutoff AS hire_cutoff,
           {_flag(OVERLAP)} AS overlap
    FROM user_skus us
    JOIN cur ON cur.id = us.snapshot_id
    LEFT JOIN users u ON u.snapshot_id = us.snapshot_id AND u.id = us.user_id
    LEFT JOIN report_usage r ON r.snapshot_id = us.snapshot_id AND r.upn_lower = u.upn_lower
    WHERE us.snapshot_id = ?
    LIMIT -1  -- keeps h a co-routine, so each holder's expressions are computed once
)
SELECT snapshot_id, sku_id, {_SUMS} FROM h GROUP BY snapshot_id, sku_id
"""
_STAT_COLUMNS = (
    "assigned, disabled, inactive, never_active, usage_unknown, duplicate_paths, overlap, "
    "active, wasted_holders"
)

# Active app users matched to imported users by address: the UPN, else the user whose mail it
# is (saas_app_users.matched_upn); one row per (license, app user) even if several tenants
# match. Attribution to one of the app's licenses: usage_sql.ATTRIBUTED.
_SAAS_STATS = f"""
WITH {CURRENT_CTE}, {SAAS_LICENSES_CTE},
m AS (
    SELECT lic.license_id AS license_id, a.email_lower AS email,
           MAX({_flag("COALESCE(u.account_enabled, 1) = 0")}) AS disabled,
           {APP_USER_USAGE}
{APP_USER_JOINS}
    WHERE {ATTRIBUTED}
    GROUP BY lic.license_id, a.email_lower
)
SELECT license_id, COUNT(*), SUM(disabled), SUM({_flag(INACTIVE)}), SUM({_flag(NEVER_ACTIVE)}),
       SUM({_flag("known = 0")}), 0, 0, SUM({_flag(ACTIVE)}),
       SUM({_flag(f"disabled = 1 OR {INACTIVE}")})
FROM m GROUP BY license_id
"""
# Active users of apps with several licenses that hold none of them in the imported tenants.
# CROSS JOIN fixes the order: each app user's UPN is looked up in each current snapshot, never
# the snapshot's users scanned per app user.
_UNATTRIBUTED = """
SELECT a.saas_app_id, COUNT(*) FROM saas_app_users a
WHERE COALESCE(a.deactivated_at, '') = ''
  AND (SELECT COUNT(*) FROM licenses x WHERE x.source = 'SaaS Management'
       AND x.saas_app_id = a.saas_app_id) > 1
  AND NOT EXISTS (
      SELECT 1 FROM snapshots s
      CROSS JOIN users u INDEXED BY users_upn
           ON u.snapshot_id = s.id AND u.upn_lower = COALESCE(a.matched_upn, a.email_lower)
      CROSS JOIN user_skus us INDEXED BY user_skus_user
           ON us.snapshot_id = u.snapshot_id AND us.user_id = u.id
      JOIN temp.ld_saas_map mp ON mp.sku_id = us.sku_id
      JOIN licenses l ON l.id = mp.license_id AND l.saas_app_id = a.saas_app_id
      WHERE s.state = 'current')
GROUP BY a.saas_app_id
"""


def _stats(row: Row | tuple[object, ...], start: int) -> HolderStats:
    values = [int(v or 0) for v in tuple(row)[start:]]
    return HolderStats(*values)


def compute_sku_stats(
    conn: DbConnection, snapshot_id: int, window: tuple[str, str]
) -> dict[str, HolderStats]:
    """sku id -> holder stats of one current snapshot: one pass over its assignments."""
    return {r[1]: _stats(r, 2) for r in conn.execute(_SKU_STATS, (*window, snapshot_id))}


def load_sku_stats(
    conn: DbConnection, snapshot_ids: Sequence[int], params: str
) -> tuple[dict[tuple[int, str], HolderStats], set[int]]:
    """Stored stats of these snapshots for `params`, and which snapshots have them."""
    out: dict[tuple[int, str], HolderStats] = {}
    done: set[int] = set()
    if not snapshot_ids:
        return out, done
    marks = ", ".join("?" * len(snapshot_ids))
    for r in conn.execute(
        f"SELECT snapshot_id, sku_id, {_STAT_COLUMNS} FROM holder_stats "
        f"WHERE params = ? AND snapshot_id IN ({marks})",
        (params, *snapshot_ids),
    ):
        done.add(r[0])
        if r[1]:
            out[(r[0], r[1])] = _stats(r, 2)
    return out, done


def store_sku_stats(
    conn: DbConnection, snapshot_id: int, params: str, stats: dict[str, HolderStats]
) -> None:
    """Replace the stored stats of a snapshot (other params' rows go: settings changed)."""
    conn.execute("DELETE FROM holder_stats WHERE snapshot_id = ?", (snapshot_id,))
    rows = [(snapshot_id, params, "", *astuple(HolderStats()))]
    rows += [(snapshot_id, params, sku_id, *astuple(s)) for sku_id, s in stats.items()]
    conn.executemany(
        f"INSERT OR REPLACE INTO holder_stats (snapshot_id, params, sku_id, {_STAT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def saas_stats(
    conn: DbConnection, window: tuple[str, str]
) -> tuple[dict[int, HolderStats], dict[str, int]]:
    """SaaS Management license id -> stats over the active app users it is attributed; and
    app id -> active users attributed to none of the app's licenses."""
    by_license = {r[0]: _stats(r, 1) for r in conn.execute(_SAAS_STATS, window)}
    unattributed = {r[0]: int(r[1]) for r in conn.execute(_UNATTRIBUTED)}
    return by_license, unattributed
