"""Aggregates over holders, computed in SQL (tenants reach 1,000,000 users): per (snapshot,
SKU) for the Office 365 connectors, per app for SaaS Management. Nothing here builds a list of
users in Python."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from core.licensing.usage_sql import (
    ACTIVE,
    ASSIGNED,
    CURRENT_CTE,
    INACTIVE,
    KNOWN,
    LAST_ACTIVITY,
    NEVER_ACTIVE,
    OVERLAP,
)


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


_SUMS = f"""
    COUNT(*), SUM(disabled), SUM({INACTIVE}), SUM({NEVER_ACTIVE}), SUM(known = 0), SUM(dup),
    SUM(overlap), SUM({ACTIVE}), SUM(disabled = 1 OR {INACTIVE} OR overlap = 1)
"""

_SKU_STATS = f"""
WITH {CURRENT_CTE},
h AS (
    SELECT us.snapshot_id AS snapshot_id, us.sku_id AS sku_id,
           (us.direct = 1 AND us.group_count > 0) AS dup,
           (COALESCE(u.account_enabled, 1) = 0) AS disabled,
           {KNOWN} AS known, {LAST_ACTIVITY} AS last_act, {ASSIGNED} AS assigned,
           cur.cutoff AS cutoff, cur.hire_cutoff AS hire_cutoff,
           {OVERLAP} AS overlap
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

# App users (active ones) matched to imported users by address: the UPN, else the user whose
# mail it is (saas_app_users.matched_upn). One row per app user even if several tenants match.
_APP_STATS = f"""
WITH {CURRENT_CTE},
m AS (
    SELECT a.saas_app_id AS app, a.email_lower AS email,
           MAX(COALESCE(u.account_enabled, 1) = 0) AS disabled,
           COALESCE(MAX(CASE WHEN u.id IS NULL THEN 0 ELSE {KNOWN} END), 0) AS known,
           COALESCE(MAX({LAST_ACTIVITY}), '') AS last_act,
           COALESCE(NULLIF(substr(COALESCE(a.activated_at, ''), 1, 10), ''),
                    MIN(substr(COALESCE(u.created_at, ''), 1, 10)), '') AS assigned,
           COALESCE(MIN(cur.cutoff), '') AS cutoff,
           COALESCE(MIN(cur.hire_cutoff), '') AS hire_cutoff
    FROM saas_app_users a
    LEFT JOIN cur ON 1
    LEFT JOIN users u ON u.snapshot_id = cur.id
         AND u.upn_lower = COALESCE(a.matched_upn, a.email_lower)
    LEFT JOIN report_usage r ON r.snapshot_id = u.snapshot_id AND r.upn_lower = u.upn_lower
    WHERE COALESCE(a.deactivated_at, '') = ''
    GROUP BY a.saas_app_id, a.email_lower
)
SELECT app, COUNT(*), SUM(disabled), SUM({INACTIVE}), SUM({NEVER_ACTIVE}), SUM(known = 0), 0, 0,
       SUM({ACTIVE}), SUM(disabled = 1 OR {INACTIVE})
FROM m GROUP BY app
"""


def _stats(row: sqlite3.Row | tuple[object, ...], start: int) -> HolderStats:
    values = [int(v or 0) for v in tuple(row)[start:]]
    return HolderStats(*values)


def compute_sku_stats(
    conn: sqlite3.Connection, snapshot_id: int, window: tuple[str, str]
) -> dict[str, HolderStats]:
    """sku id -> holder stats of one current snapshot: one pass over its assignments."""
    return {r[1]: _stats(r, 2) for r in conn.execute(_SKU_STATS, (*window, snapshot_id))}


def load_sku_stats(
    conn: sqlite3.Connection, snapshot_ids: Sequence[int], params: str
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
    conn: sqlite3.Connection, snapshot_id: int, params: str, stats: dict[str, HolderStats]
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


def app_stats(conn: sqlite3.Connection, window: tuple[str, str]) -> dict[str, HolderStats]:
    """SaaS app id -> stats over its active app users."""
    return {r[0]: _stats(r, 1) for r in conn.execute(_APP_STATS, window)}
