"""The Users screen: filtering, sorting and paging in SQL, then one query for the page's
licenses. `iter_users` streams every matching user in batches for CLI and CSV exports."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from core.domain import UserFlag, UserQuery, UserRow, UserSkuRef, UserSort
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

BATCH = 500

_PER_USER = "FROM user_skus us WHERE us.snapshot_id = u.snapshot_id AND us.user_id = u.id"
_BASE = f"""
WITH {CURRENT_CTE},
base AS (
    SELECT u.snapshot_id AS snapshot_id, u.id AS id, u.display_name AS display_name,
           u.user_principal_name AS upn, u.upn_lower AS upn_lower, u.mail AS mail,
           u.account_enabled AS account_enabled, u.user_type AS user_type,
           cur.tenant_id AS tenant_id, cur.tenant_name AS tenant_name,
           cur.connection_id AS connection_id, c.name AS connection_name,
           {KNOWN} AS known, {LAST_ACTIVITY} AS last_act,
           cur.cutoff AS cutoff, cur.hire_cutoff AS hire_cutoff,
           (SELECT COUNT(*) {_PER_USER}) AS sku_count,
           (SELECT MIN({ASSIGNED}) {_PER_USER}) AS assigned,
           (SELECT COUNT(*) {_PER_USER} AND us.direct = 1 AND us.group_count > 0) AS dup_count
    FROM users u
    JOIN cur ON cur.id = u.snapshot_id
    JOIN connections c ON c.id = cur.connection_id
    LEFT JOIN report_usage r ON r.snapshot_id = u.snapshot_id AND r.upn_lower = u.upn_lower
    WHERE {{where}}
)
"""

FLAG_SQL: dict[UserFlag, str] = {
    UserFlag.INACTIVE: f"(sku_count > 0 AND {INACTIVE})",
    UserFlag.NEVER_ACTIVE: f"(sku_count > 0 AND {NEVER_ACTIVE})",
    UserFlag.DISABLED_WITH_LICENSE: "(sku_count > 0 AND account_enabled = 0)",
    UserFlag.DUPLICATE_PATH: "(dup_count > 0)",
    UserFlag.USAGE_UNKNOWN: "(known = 0)",
    UserFlag.LICENSED: "(sku_count > 0)",
    UserFlag.UNLICENSED: "(sku_count = 0)",
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
    clauses, params = ["1"], []
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
    return FLAG_SQL[query.flag] if query.flag is not None else "1"


def count_users(conn: sqlite3.Connection, query: UserQuery, window: tuple[str, str]) -> int:
    where, params = _filters(query)
    sql = _BASE.format(where=where) + f"SELECT COUNT(*) FROM base WHERE {_flag(query)}"
    return int(conn.execute(sql, (*window, *params)).fetchone()[0])


def _keys_sql(query: UserQuery) -> tuple[str, list[Any]]:
    where, params = _filters(query)
    direction = "DESC" if query.descending else "ASC"
    sql = (
        _BASE.format(where=where)
        + f"SELECT snapshot_id, id FROM base WHERE {_flag(query)} "
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
    conn: sqlite3.Connection, query: UserQuery, window: tuple[str, str]
) -> list[tuple[int, str]]:
    sql, params = _keys_sql(query)
    return [(r[0], r[1]) for r in conn.execute(sql, (*window, *params))]


def iter_keys(
    conn: sqlite3.Connection, query: UserQuery, window: tuple[str, str]
) -> Iterator[list[tuple[int, str]]]:
    sql, params = _keys_sql(query)
    cursor = conn.execute(sql, (*window, *params))
    try:
        while batch := cursor.fetchmany(BATCH):
            yield [(r[0], r[1]) for r in batch]
    finally:
        cursor.close()


def _values(keys: Sequence[tuple[int, str]]) -> tuple[str, list[Any]]:
    placeholders = ", ".join("(?, ?)" for _ in keys)
    params: list[Any] = [v for key in keys for v in key]
    return f"(VALUES {placeholders})", params


def load_users(
    conn: sqlite3.Connection,
    keys: Sequence[tuple[int, str]],
    window: tuple[str, str],
    catalog: SkuCatalog,
) -> list[UserRow]:
    """The rows of these users, in the order of `keys`."""
    if not keys:
        return []
    values, params = _values(keys)
    flags = ", ".join(
        f"{FLAG_SQL[f]} AS {f.name.lower()}"
        for f in (
            UserFlag.INACTIVE,
            UserFlag.NEVER_ACTIVE,
            UserFlag.DISABLED_WITH_LICENSE,
            UserFlag.DUPLICATE_PATH,
        )
    )
    sql = _BASE.format(where=f"(u.snapshot_id, u.id) IN {values}") + f"SELECT *, {flags} FROM base"
    users = {(r["snapshot_id"], r["id"]): r for r in conn.execute(sql, (*window, *params))}
    skus = _user_skus(conn, values, params, catalog)
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
            )
        )
    return out


def _user_skus(
    conn: sqlite3.Connection, values: str, params: list[Any], catalog: SkuCatalog
) -> dict[tuple[int, str], list[UserSkuRef]]:
    sql = (
        "SELECT us.snapshot_id, us.user_id, us.sku_id, us.direct, us.group_ids, us.assigned_at, "
        f"k.sku_part_number, {OVERLAP} AS overlap FROM user_skus us "
        "LEFT JOIN skus k ON k.snapshot_id = us.snapshot_id AND k.sku_id = us.sku_id "
        f"WHERE (us.snapshot_id, us.user_id) IN {values} ORDER BY k.sku_part_number"
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
