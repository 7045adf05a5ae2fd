"""The two SQL engines the store runs on, and what differs between them.

The code writes SQLite's SQL once, with `?` placeholders. Where PostgreSQL needs another
fragment, `Dialect.translate` supplies it, table-driven and cached per statement:

- `?` placeholders become `%s` (and a literal `%` is doubled, as psycopg wants);
- `INSERT OR REPLACE INTO t (cols) …` becomes `… ON CONFLICT (t's key) DO UPDATE SET …` and
  `INSERT OR IGNORE` becomes `… ON CONFLICT DO NOTHING` (the keys come from `CONFLICT_KEYS`);
- `INDEXED BY index` (a SQLite planner hint) goes; `LIMIT -1` (SQLite's hint that keeps a
  CTE a co-routine, each row's expressions computed once) becomes `OFFSET 0`, PostgreSQL's
  fence against inlining the CTE into the expressions that use its columns;
- `temp.` (SQLite's temporary schema) becomes `pg_temp.`; `CROSS JOIN … ON` (SQLite's join
  order hint) becomes `JOIN … ON`;
- `x COLLATE NOCASE` becomes `lower(x) COLLATE "C"` (every text column is `COLLATE "C"` there,
  SQLite's byte order, so orderings match to the row); `LIKE` (ASCII case-blind in SQLite)
  becomes `ILIKE`; `IS ?` / `IS NOT ?` become `IS [NOT] DISTINCT FROM`.

Schema text goes through `Dialect.ddl` (identity keys, DOUBLE PRECISION, no WITHOUT ROWID), and
functions SQLite has built in and PostgreSQL lacks (`date(text, modifier)`, the two-argument
scalar `max`/`min` over text) are created by the PostgreSQL store's first migration, so the
licensing SQL is the same text on both engines.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable


def database_errors() -> tuple[type[Exception], ...]:
    """The errors either engine raises under a statement, for an `except` clause. psycopg's
    are among them once it is loaded, which opening a PostgreSQL store does before any can be
    raised: a process on SQLite never pays for importing psycopg (0.1 to 0.2 s per process,
    the CLI's and its staging worker's start-up)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)


def storage_errors() -> tuple[type[Exception], ...]:
    """database_errors(), or the file system's."""
    return (*database_errors(), OSError)


# The key an `INSERT OR REPLACE` replaces on, per table (its primary key).
CONFLICT_KEYS: dict[str, str] = {
    "skus": "snapshot_id, sku_id",
    "subscriptions": "snapshot_id, id",
    "users": "snapshot_id, id",
    "user_skus": "snapshot_id, sku_id, user_id",
    "report_usage": "snapshot_id, upn_lower",
    "holder_stats": "snapshot_id, params, sku_id",
    "saas_stats": "inputs, license_id, app_id",
    "saas_terms": "license_id, term_id",
    "saas_app_users": "saas_app_id, email_lower",
    "settings": "key",
    "prices": "product_key",
}


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row and the PostgreSQL rows)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Any: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class DbConnection(Protocol):
    """What the code uses of a connection: sqlite3.Connection, or the PostgreSQL wrapper."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    def executescript(self, sql: str, /) -> Any: ...

    def close(self) -> None: ...

    @property
    def in_transaction(self) -> bool: ...


@runtime_checkable
class BulkLoader(Protocol):
    """A connection that loads rows faster than executemany (PostgreSQL: COPY)."""

    def copy_rows(self, table: str, columns: str, rows: Iterable[Sequence[Any]], /) -> None: ...


class Dialect:
    """SQLite: the SQL as written."""

    name = "sqlite"
    # A column that grows whenever a row is added or replaced (cache keys).
    row_version = "rowid"
    # One write transaction at a time per store, whatever rows it writes: two writers of one
    # import's snapshot must take turns (and a long one holds everybody else off).
    one_writer = True

    def translate(self, sql: str) -> str:
        return sql

    def ddl(self, sql: str) -> str:
        return sql

    def last_per_key(self, keys: str) -> tuple[str, str]:
        """What goes after SELECT and after `ORDER BY keys` so that a SELECT from a staging
        table yields one row per key, the last staged (SQLite: INSERT OR REPLACE keeps the
        last one written anyway)."""
        return "", ""

    def empty(self, table: str) -> str:
        return f"DELETE FROM {table}"

    def refresh_statistics(self, tables: str) -> str | None:
        """What to run after a bulk load so the planner knows the new rows (None: nothing;
        SQLite's queries name their indexes)."""
        return None


SQLITE = Dialect()


class PostgresDialect(Dialect):
    name = "postgresql"
    row_version = "xmin::text::bigint"
    # Row locks: transactions writing different rows (one import's users and its usage) run
    # side by side.
    one_writer = False

    def translate(self, sql: str) -> str:
        return _translate(sql)

    def ddl(self, sql: str) -> str:
        return _ddl(sql)

    def last_per_key(self, keys: str) -> tuple[str, str]:
        # ON CONFLICT DO UPDATE refuses to touch a row twice in one statement.
        return f"DISTINCT ON ({keys}) ", ", ctid DESC"

    def empty(self, table: str) -> str:
        return f"TRUNCATE {table}"

    def refresh_statistics(self, tables: str) -> str | None:
        # Autovacuum analyzes later; the holder figures are computed right after the load.
        return f"ANALYZE {tables}"


POSTGRES = PostgresDialect()


def dialect_of(conn: object) -> Dialect:
    """The dialect of a connection (a plain sqlite3 connection has none of its own)."""
    found = getattr(conn, "dialect", None)
    return found if isinstance(found, Dialect) else SQLITE


_INDEXED_BY = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)
_LIMIT_ALL = re.compile(r"\bLIMIT\s+-1\b", re.IGNORECASE)
_NO_LIMIT_OFFSET = re.compile(r"\bLIMIT\s+-1\s+(?=OFFSET\b)", re.IGNORECASE)
_TEMP = re.compile(r"\btemp\.(?=\w)", re.IGNORECASE)
_NOCASE = re.compile(r"([\w.]+)\s+COLLATE\s+NOCASE\b", re.IGNORECASE)
_IS_NOT = re.compile(r"\bIS\s+NOT\s+\?")
_IS = re.compile(r"\bIS\s+\?")
_LIKE = re.compile(r"\bLIKE\b")
_CROSS_JOIN = re.compile(r"\bCROSS\s+JOIN\b(?=[^()]*?\bON\b)", re.IGNORECASE)
_OR_REPLACE = re.compile(
    r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE | re.DOTALL
)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)


_TEMP_INDEX = re.compile(r"\bINDEX\s+IF\s+NOT\s+EXISTS\s+temp\.(\w+)\s+ON\s+(\w+)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _translate(sql: str) -> str:
    out = sql
    if out.lstrip()[:6].upper() == "CREATE":  # temporary tables made on the fly
        out = _TEMP_INDEX.sub(r"INDEX IF NOT EXISTS \1 ON pg_temp.\2", _ddl(out))
    out = _INDEXED_BY.sub("", out)
    out = _NO_LIMIT_OFFSET.sub("", out)  # no limit, from an offset
    out = _LIMIT_ALL.sub("OFFSET 0", out)
    out = _TEMP.sub("pg_temp.", out)
    out = _NOCASE.sub(r'lower(\1) COLLATE "C"', out)
    out = _IS_NOT.sub("IS DISTINCT FROM ?", out)
    out = _IS.sub("IS NOT DISTINCT FROM ?", out)
    out = _LIKE.sub("ILIKE", out)
    out = _CROSS_JOIN.sub("JOIN", out)
    replace = _OR_REPLACE.match(out)
    if replace:
        table, columns = replace.group(1), replace.group(2)
        keys = CONFLICT_KEYS[table.lower()]
        key_set = {k.strip() for k in keys.split(",")}
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in (c.strip() for c in columns.split(","))
            if c not in key_set
        )
        out = f"INSERT INTO {table} ({columns}){out[replace.end() :]}"
        out = out.rstrip().rstrip(";")
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        out += f" ON CONFLICT ({keys}) {action}"
    elif _OR_IGNORE.match(out):
        out = _OR_IGNORE.sub("INSERT INTO", out).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return placeholders(out)


def placeholders(sql: str) -> str:
    """`?` outside string literals and quoted names -> `%s`; every `%` -> `%%`."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


_DDL_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\bid INTEGER PRIMARY KEY\b"),
        "id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\s+COLLATE NOCASE"), ""),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def _ddl(sql: str) -> str:
    for pattern, replacement in _DDL_RULES:
        sql = pattern.sub(replacement, sql)
    return sql
