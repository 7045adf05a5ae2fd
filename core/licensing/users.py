"""The Users screen: filtering, sorting and paging in SQL, then one query for the page's
licenses. `iter_users` streams every matching user in batches for CLI and CSV exports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from core.domain.licensing import UserFlag, UserQuery, UserRow, UserSkuRef, UserSort
from core.licensing.catalog import SkuCatalog
from core.licensing.usage_sql import (
    ASSIGNED,
    CURRENT_CTE,
    INACTIVE,
    KNOWN,
    LAST_ACTIVITY,
    NEVER_ACTIVE,
    OVERLAP,
)
from core.storage.dialect import DbConnection

BATCH = 500

# INDEXED BY: without ANALYZE statistics SQLite may pick the primary key on snapshot_id alone
# and scan every assignment of the tenant for each user.
_PER_USER = (
    "FROM user_skus us INDEXED BY user_skus_user "
    "WHERE us.snapshot_id = u.snapshot_id AND us.user_id = u.id"
)
_COLUMNS = f"""
    SELECT u.snapshot_id AS snapshot_id, u.id AS id, u.display_name AS display_name,
           u.user_principal_name AS upn, u.upn_lower AS upn_lower, u.mail AS mail,
           u.account_enabled AS account_enabled, u.user_type AS user_type,
           cur.tenant_id AS tenant_id, cur.tenant_name AS tenant_name,
           cur.connection_id AS connection_id, c.name AS connection_name,
           json_extract(c.config, '$.simulated_tenant') IS NOT NULL AS simulated,
           {KNOWN} AS known, {LAST_ACTIVITY} AS last_act,
           cur.cutoff AS cutoff, cur.hire_cutoff AS hire_cutoff,"""
_FROM = """
    FROM users u
    JOIN cur ON cur.id = u.snapshot_id
    JOIN connections c ON c.id = cur.connection_id
    LEFT JOIN report_usage r ON r.snapshot_id = u.snapshot_id AND r.upn_lower = u.upn_lower"""
# Filtering and sorting over every user: per-user facts as correlated subqueries, which SQLite
# evaluates only for the rows and columns a query needs.
_BASE = f"""
WITH {CURRENT_CTE},
base AS ({_COLUMNS}
           (CASE WHEN EXISTS (SELECT 1 {_PER_USER}) THEN 1 ELSE 0 END) AS licensed,
           (SELECT COUNT(*) {_PER_USER}) AS sku_count,
           (SELECT MIN({ASSIGNED}) {_PER_USER}) AS assigned,
           (CASE WHEN EXISTS (SELECT 1 {_PER_USER} AND us.direct = 1 AND us.group_count > 0)
                 THEN 1 ELSE 0 END) AS dup,
           (CASE WHEN EXISTS (SELECT 1 {_PER_USER} AND {OVERLAP}) THEN 1 ELSE 0 END) AS overlap
    {_FROM}
    WHERE {{where}}
)
"""
# One batch of known users: the same facts from one GROUP BY over their assignments, so each
# is computed once however many flags mention it.
_BATCH = f"""
WITH {CURRENT_CTE},
agg AS (
    SELECT us.snapshot_id AS snapshot_id, us.user_id AS user_id, COUNT(*) AS sku_count,
           MIN({ASSIGNED}) AS assigned,
           MAX(CASE WHEN us.direct = 1 AND us.group_count > 0 THEN 1 ELSE 0 END) AS dup
    FROM user_skus us INDEXED BY user_skus_user
    JOIN users u ON u.snapshot_id = us.snapshot_id AND u.id = us.user_id
    WHERE {{us_where}}
    GROUP BY us.snapshot_id, us.user_id
),
base AS ({_COLUMNS}
           (CASE WHEN a.sku_count > 0 THEN 1 ELSE 0 END) AS licensed,
           COALESCE(a.sku_count, 0) AS sku_count,
           a.assigned AS assigned, COALESCE(a.dup, 0) AS dup
    {_FROM}
    LEFT JOIN agg a ON a.snapshot_id = u.snapshot_id AND a.user_id = u.id
    WHERE {{where}}
)
"""

# Cheap column tests first: SQLite stops at the first false term, so the per-user subqueries
# run only for the users still in question.
FLAG_SQL: dict[UserFlag, str] = {
    UserFlag.INACTIVE: f"({INACTIVE} AND licensed = 1)",
    UserFlag.NEVER_ACTIVE: f"({NEVER_ACTIVE} AND licensed = 1)",
    UserFlag.DISABLED_WITH_LICENSE: "(account_enabled = 0 AND licensed = 1)",
    UserFlag.DUPLICATE_PATH: "(dup = 1)",
    UserFlag.USAGE_UNKNOWN: "(known = 0)",
    # Needs temp.ld_overlap (prepare_overlap) on the connection, as the holders' figures do.
    UserFlag.OVERLAP: "(overlap = 1)",
    UserFlag.LICENSED: "(licensed = 1)",
    UserFlag.UNLICENSED: "(licensed = 0)",
}
SORT_SQL: dict[UserSort, str] = {
    UserSort.DISPLAY_NAME: "display_name COLLATE NOCASE",
    UserSort.USER_PRINCIPAL_NAME: "upn_lower",
    UserSort.TENANT: "tenant_name COLLATE NOCASE",
    UserSort.ACCOUNT_ENABLED: "account_enabled",
    UserSort.USER_TYPE: "user_type COLLATE NOCASE",
    UserSort.LAST_ACTIVITY: "last_act",
    UserSort.LICENSES: "sku_count",
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(query: UserQuery) -> tuple[str, list[Any]]:
    clauses, params = ["TRUE"], []
    search = query.search.strip().lower()
    if search:
        pattern = f"%{_escape_like(search)}%"
        clauses.append("(u.display_name LIKE ? ESCAPE '\\' OR u.upn_lower LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    tenant = query.tenant.strip().lower()
    if tenant:
        clauses.append("(cur.tenant_id = ? OR lower(cur.tenant_name) = ? OR lower(c.name) = ?)")
        params += [tenant, tenant, tenant]
    return " AND ".join(clauses), params


def _flag(query: UserQuery) -> str:
    return FLAG_SQL[query.flag] if query.flag is not None else "TRUE"


def count_users(conn: DbConnection, query: UserQuery, window: tuple[str, str]) -> int:
    where, params = _filters(query)
    sql = _BASE.format(where=where) + f"SELECT COUNT(*) FROM base WHERE {_flag(query)}"
    return int(conn.execute(sql, (*window, *params)).fetchone()[0])


def _keys_sql(query: UserQuery, *, with_total: bool = False) -> tuple[str, list[Any]]:
    where, params = _filters(query)
    direction = "DESC" if query.descending else "ASC"
    total = ", COUNT(*) OVER ()" if with_total else ""
    sql = (
        _BASE.format(where=where)
        + f"SELECT snapshot_id, id{total} FROM base WHERE {_flag(query)} "
        + f"ORDER BY {SORT_SQL[query.sort]} {direction}, snapshot_id, id"
    )
    if query.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [max(0, int(query.limit)), max(0, int(query.offset))]
    elif query.offset:
        sql += " LIMIT -1 OFFSET ?"
        params.append(max(0, int(query.offset)))
    return sql, params


def page_keys(
    conn: DbConnection, query: UserQuery, window: tuple[str, str]
) -> tuple[list[tuple[int, str]], int]:
    """One page of keys and the number of matching users, in one pass when the page is
    not empty."""
    sql, params = _keys_sql(query, with_total=True)
    rows = conn.execute(sql, (*window, *params)).fetchall()
    if rows:
        return [(r[0], r[1]) for r in rows], int(rows[0][2])
    total = count_users(conn, query, window) if query.offset else 0
    return [], total


def iter_keys(
    conn: DbConnection, query: UserQuery, window: tuple[str, str]
) -> Iterator[list[tuple[int, str]]]:
    sql, params = _keys_sql(query)
    cursor = conn.execute(sql, (*window, *params))
    try:
        while batch := cursor.fetchmany(BATCH):
            yield [(r[0], r[1]) for r in batch]
    finally:
        cursor.close()


def _key_filter(keys: Sequence[tuple[int, str]], snapshot: str, user: str) -> tuple[str, list[Any]]:
    """`snapshot = ? AND user IN (…)` per snapshot, so SQLite looks each key up by index."""
    by_snapshot: dict[int, list[str]] = {}
    for snapshot_id, user_id in keys:
        by_snapshot.setdefault(snapshot_id, []).append(user_id)
    clauses, params = [], []
    for snapshot_id, ids in by_snapshot.items():
        clauses.append(f"({snapshot} = ? AND {user} IN ({', '.join('?' * len(ids))}))")
        params += [snapshot_id, *ids]
    return "(" + " OR ".join(clauses) + ")", params


def load_users(
    conn: DbConnection,
    keys: Sequence[tuple[int, str]],
    window: tuple[str, str],
    catalog: SkuCatalog,
) -> list[UserRow]:
    """The rows of these users, in the order of `keys`."""
    if not keys:
        return []
    where, params = _key_filter(keys, "u.snapshot_id", "u.id")
    us_where, us_params = _key_filter(keys, "us.snapshot_id", "us.user_id")
    flags = ", ".join(
        f"{FLAG_SQL[f]} AS {f.name.lower()}"
        for f in (
            UserFlag.INACTIVE,
            UserFlag.NEVER_ACTIVE,
            UserFlag.DISABLED_WITH_LICENSE,
            UserFlag.DUPLICATE_PATH,
        )
    )
    sql = _BATCH.format(where=where, us_where=us_where) + f"SELECT *, {flags} FROM base"
    result = conn.execute(sql, (*window, *us_params, *params))
    users = {(r["snapshot_id"], r["id"]): r for r in result}
    skus = _user_skus(conn, keys, catalog)
    out = []
    for key in keys:
        r = users.get(key)
        if r is None:
            continue
        refs = tuple(skus.get(key, ()))
        out.append(
            UserRow(
                tenant_id=r["tenant_id"] or "",
                tenant_name=r["tenant_name"] or "",
                connection_id=r["connection_id"],
                connection=r["connection_name"] or "",
                id=r["id"],
                user_principal_name=r["upn"] or "",
                display_name=r["display_name"] or "",
                mail=r["mail"] or "",
                account_enabled=bool(r["account_enabled"]),
                user_type=r["user_type"] or "",
                skus=refs,
                last_activity=r["last_act"] or None,
                usage_known=bool(r["known"]),
                inactive=bool(r["inactive"]),
                never_active=bool(r["never_active"]),
                disabled_with_license=bool(r["disabled_with_license"]),
                duplicate_path=bool(r["duplicate_path"]),
                overlap=any(ref.overlap for ref in refs),
                simulated=bool(r["simulated"]),
            )
        )
    return out


def _user_skus(
    conn: DbConnection, keys: Sequence[tuple[int, str]], catalog: SkuCatalog
) -> dict[tuple[int, str], list[UserSkuRef]]:
    where, params = _key_filter(keys, "us.snapshot_id", "us.user_id")
    sql = (
        "SELECT us.snapshot_id, us.user_id, us.sku_id, us.direct, us.group_ids, us.assigned_at, "
        f"k.sku_part_number, {OVERLAP} AS overlap FROM user_skus us INDEXED BY user_skus_user "
        "LEFT JOIN skus k ON k.snapshot_id = us.snapshot_id AND k.sku_id = us.sku_id "
        f"WHERE {where} ORDER BY k.sku_part_number"
    )
    out: dict[tuple[int, str], list[UserSkuRef]] = {}
    for r in conn.execute(sql, params):
        part = r["sku_part_number"] or ""
        out.setdefault((r["snapshot_id"], r["user_id"]), []).append(
            UserSkuRef(
                sku_id=r["sku_id"],
                sku_part_number=part,
                product=catalog.product_name(r["sku_id"], part),
                direct=bool(r["direct"]),
                groups=tuple(g for g in (r["group_ids"] or "").split(",") if g),
                assigned_at=r["assigned_at"],
                overlap=bool(r["overlap"]),
            )
        )
    return out
