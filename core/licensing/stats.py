"""Aggregates over holders, computed in SQL (tenants reach 1,000,000 users): per (snapshot,
SKU) for the Office 365 connectors, per app for SaaS Management. Nothing here builds a list of
users in Python."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
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
    OVERLAP_TABLE,
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


def _sku_stats_sql(snapshots: str, holders: str) -> str:
    """Holder stats per (snapshot, SKU) over the snapshots of the CTE `snapshots` (named
    cur) and the assignments matching `holders`."""
    return f"""
WITH {snapshots},
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
    WHERE {holders}
    LIMIT -1  -- keeps h a co-routine, so each holder's expressions are computed once
)
SELECT snapshot_id, sku_id, {_SUMS} FROM h GROUP BY snapshot_id, sku_id
"""


# MATERIALIZED: each snapshot's cut-off dates are computed once, not once per holder (a fifth
# of the statistics' time at 100,000 users).
_CURRENT_ONCE = CURRENT_CTE.replace("cur AS (", "cur AS MATERIALIZED (", 1)
# One snapshot by id, whatever its state: inside the import's commit, other connections still
# see the new snapshot as 'building'.
_SNAPSHOT_ONCE = _CURRENT_ONCE.replace("WHERE s.state = 'current'", "WHERE s.id = ?")
assert _SNAPSHOT_ONCE != _CURRENT_ONCE
_SKU_STATS = _sku_stats_sql(_CURRENT_ONCE, "us.snapshot_id = ?")
# The holders whose user id sorts below SPLIT, and the others. Object ids are GUIDs in
# lower-case hex, so each side has about half of them (any other ids only unbalance it).
SPLIT = "8"
_SKU_STATS_HALVES = (
    _sku_stats_sql(_SNAPSHOT_ONCE, "us.snapshot_id = ? AND us.user_id < ?"),
    _sku_stats_sql(_SNAPSHOT_ONCE, "us.snapshot_id = ? AND us.user_id >= ?"),
)
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


def compute_sku_stats_in_halves(
    conn: DbConnection,
    snapshot_id: int,
    window: tuple[str, str],
    connect: Callable[[], DbConnection],
) -> dict[str, HolderStats]:
    """Like `compute_sku_stats`, with half of the holders on a second connection (`connect`
    opens one) on a thread: SQLite runs both halves at once, so the import's commit, where
    the second core is otherwise idle, takes about half the time. `conn` has temp.ld_overlap
    prepared for the snapshot; the other connection gets a copy of its rows."""
    overlap = conn.execute(
        "SELECT snapshot_id, product_sku_id, suite_sku_id FROM temp.ld_overlap "
        "WHERE snapshot_id = ?",
        (snapshot_id,),
    ).fetchall()
    params = (*window, snapshot_id, snapshot_id, SPLIT)
    other: list[tuple[object, ...]] = []
    failure: list[BaseException] = []

    def second_half() -> None:
        helper = connect()
        try:
            helper.execute(OVERLAP_TABLE)
            helper.executemany("INSERT OR IGNORE INTO temp.ld_overlap VALUES (?, ?, ?)", overlap)
            other.extend(tuple(r) for r in helper.execute(_SKU_STATS_HALVES[1], params))
        except BaseException as exc:  # raised again in the caller's thread
            failure.append(exc)
        finally:
            helper.close()

    thread = threading.Thread(target=second_half, name="holder-stats")
    thread.start()
    try:
        first = [tuple(r) for r in conn.execute(_SKU_STATS_HALVES[0], params)]
    finally:
        thread.join()
    if failure:
        raise failure[0]
    out: dict[str, HolderStats] = {}
    for row in first + other:
        sku_id, part = str(row[1]), _stats(row, 2)
        out[sku_id] = _sum(out[sku_id], part) if sku_id in out else part
    return out


def _sum(a: HolderStats, b: HolderStats) -> HolderStats:
    return HolderStats(*(x + y for x, y in zip(astuple(a), astuple(b), strict=True)))


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


SaasStats = tuple[dict[int, HolderStats], dict[str, int]]


def store_saas_stats(conn: DbConnection, inputs: str, stats: SaasStats) -> None:
    """Replace the stored SaaS Management statistics with these, computed for `inputs`."""
    by_license, unattributed = stats
    conn.execute("DELETE FROM saas_stats")
    rows = [(inputs, 0, "", *astuple(HolderStats()))]
    rows += [(inputs, lid, "", *astuple(s)) for lid, s in by_license.items()]
    rows += [(inputs, 0, app, n, *([0] * 8)) for app, n in unattributed.items()]
    conn.executemany(
        f"INSERT OR REPLACE INTO saas_stats (inputs, license_id, app_id, {_STAT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def load_saas_stats(conn: DbConnection, inputs: str) -> SaasStats | None:
    """The stored SaaS Management statistics for `inputs`, or None if they were not stored."""
    rows = conn.execute(
        f"SELECT license_id, app_id, {_STAT_COLUMNS} FROM saas_stats WHERE inputs = ?",
        (inputs,),
    ).fetchall()
    if not rows:
        return None
    by_license = {int(r[0]): _stats(r, 2) for r in rows if r[0] and not r[1]}
    unattributed = {str(r[1]): int(r[2]) for r in rows if r[1]}
    return by_license, unattributed


def saas_stats(
    conn: DbConnection, window: tuple[str, str]
) -> tuple[dict[int, HolderStats], dict[str, int]]:
    """SaaS Management license id -> stats over the active app users it is attributed; and
    app id -> active users attributed to none of the app's licenses."""
    by_license = {r[0]: _stats(r, 1) for r in conn.execute(_SAAS_STATS, window)}
    unattributed = {r[0]: int(r[1]) for r in conn.execute(_UNATTRIBUTED)}
    return by_license, unattributed
