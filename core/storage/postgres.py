"""The PostgreSQL store (psycopg 3): the same `Database` interface and SQL as the SQLite one.

`PgConnection` wraps a psycopg connection in the part of sqlite3's API the code uses
(`execute` with `?` placeholders, `executemany`, rows by position or name, explicit
transactions), translating each statement once through `core.storage.dialect.POSTGRES`.
A writing transaction takes a transaction-scoped advisory lock first: PostgreSQL's equivalent
of SQLite's BEGIN IMMEDIATE (one writer at a time per store; readers never wait), so the
read-then-write steps (taking a queued request, the one-connection-per-tenant check) behave the
same on both engines. A connection's import claim is a session advisory lock on a connection
of its own (`PgClaims`), which dies with the process that holds it.

Every key of the store's locks includes a number derived from its schema, so several stores
(schemas) in one database never see each other's locks.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Dumper, Loader
from psycopg.conninfo import conninfo_to_dict

from core.errors import READ_ONLY_ROLE, ConnectionInUse, StorageError
from core.storage.claims import ConnectionClaims
from core.storage.db import NEWER_SCHEMA, Database, check_schema_read_only
from core.storage.dialect import POSTGRES, DbConnection, Dialect
from core.storage.schema import postgres_migrations

log = logging.getLogger(__name__)

_INT4_OID = 23
_NUMERIC_OID = 1700


class PasswordInUrl(StorageError):
    pass


def check_url(url: str) -> dict[str, Any]:
    """The URL's connection parameters; refuse one that carries a password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StorageError(f"The database address is not valid: {exc}") from None
    if params.get("password"):
        raise PasswordInUrl(
            "The database address must not contain a password: give it in the PGPASSWORD "
            "environment variable or in ~/.pgpass instead."
        )
    return params


def describe_url(url: str) -> str:
    """user@host:port/db, for messages (never a password: refused before)."""
    p = check_url(url)
    where = p.get("host") or "localhost"
    return f"{p.get('user', '')}@{where}:{p.get('port', 5432)}/{p.get('dbname', '')}".lstrip("@")


class _BoolAsInt(Dumper):
    """SQLite has no booleans: flags are INTEGER 0/1 columns on both engines."""

    oid = _INT4_OID

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """SUM over BIGINT and friends return NUMERIC: integers stay int, as in SQLite."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if text.lstrip("-").isdigit():
            return int(text)
        return float(text)


class PgRow(tuple[Any, ...]):
    """A row by position or by column name, like Row."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> PgRow:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [c.name for c in cursor.description or ()]
    index = {n: i for i, n in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)

    return make


class PgCursor:
    """The result of one statement, with sqlite3.Cursor's reading methods."""

    lastrowid = None

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int = 1000) -> list[Any]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor) if self._cursor.description else iter(())

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """A psycopg connection with the part of DbConnection's API the code uses."""

    dialect: Dialect = POSTGRES

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        raw.adapters.register_dumper(bool, _BoolAsInt)
        raw.adapters.register_loader(_NUMERIC_OID, _NumericLoader)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> PgCursor:
        cur = self.raw.cursor(row_factory=_row_factory)
        cur.execute(POSTGRES.translate(sql), tuple(parameters))
        return PgCursor(cur)

    def executemany(self, sql: str, rows: Any) -> PgCursor:
        cur = self.raw.cursor(row_factory=_row_factory)
        rows = [tuple(r) for r in rows]
        if rows:
            cur.executemany(POSTGRES.translate(sql), rows)
        return PgCursor(cur)

    def copy_rows(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """Bulk load with COPY … FROM STDIN (binary-free text protocol, the same adapters)."""
        with (
            self.raw.cursor() as cur,
            cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def executescript(self, script: str) -> None:
        """Several statements, no parameters (schema text)."""
        self.raw.execute(script.encode())

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def connect(
    url: str, *, application: str = "licensedesk", password: str | None = None
) -> PgConnection:
    """A new autocommit connection (transactions are explicit, as on SQLite). `password`: the
    one the secret store keeps for `url`; None leaves it to libpq (PGPASSWORD, ~/.pgpass)."""
    check_url(url)
    extra: dict[str, Any] = {"password": password} if password else {}
    raw = psycopg.connect(
        url, autocommit=True, application_name=application, connect_timeout=30, **extra
    )
    # JIT compiling the holder figures costs more than it saves at these sizes (1 s of 3).
    raw.execute("SET jit = off")
    return PgConnection(raw)


def schema_key(conn: PgConnection) -> int:
    """A number for the store's schema: the first half of every advisory lock key."""
    row = conn.execute("SELECT hashtext(current_schema()) & 2147483647").fetchone()
    return int(row[0])


class PgClaim:
    """A held claim: a session advisory lock on a connection of its own."""

    def __init__(self, conn: PgConnection, key: tuple[int, int]) -> None:
        self._conn: PgConnection | None = conn
        self._key = key

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("SELECT pg_advisory_unlock(?, ?)", self._key)
        except psycopg.Error:
            pass  # closing the session releases it as well
        finally:
            conn.close()

    @property
    def held(self) -> bool:
        return self._conn is not None


class PgClaims:
    """The PostgreSQL store's connection claims (`core.storage.claims.ConnectionClaims`):
    reaches every process on every machine that uses the same database and schema."""

    def __init__(self, url: str, probe: Any, password: str | None = None) -> None:
        self._url = url
        self._probe = probe  # () -> PgConnection for reads of pg_locks
        self._password = password

    def acquire(self, connection_id: int, *, name: str, started_at: datetime) -> PgClaim:
        who = f"licensedesk import {connection_id} pid {os.getpid()} on {socket.gethostname()}"
        conn = connect(self._url, application=who[:63], password=self._password)
        try:
            key = (schema_key(conn), int(connection_id))
            got = conn.execute("SELECT pg_try_advisory_lock(?, ?)", key).fetchone()[0]
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            raise ConnectionInUse(self._holder(key, name))
        return PgClaim(conn, key)

    def _holder(self, key: tuple[int, int], name: str) -> str:
        row = (
            self._probe()
            .execute(
                "SELECT a.application_name, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2 "
                "AND l.granted LIMIT 1",
                key,
            )
            .fetchone()
        )
        if row is None or not row[0]:
            return f"{name} is already being imported by another process."
        when = row[1].astimezone().strftime("%H:%M") if row[1] else "?"
        holder = str(row[0]).split(" ", 3)[-1]
        return f"{name} is already being imported (started {when} by {holder})."

    def is_claimed(self, connection_id: int) -> bool:
        return self._claimed("AND l.objid::bigint = ?", (int(connection_id),))

    def any_claimed(self) -> bool:
        return self._claimed("", ())

    def _claimed(self, extra: str, params: tuple[int, ...]) -> bool:
        conn = self._probe()
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' "
            f"AND l.objsubid = 2 AND l.granted AND l.classid::bigint = ? {extra})",
            (schema_key(conn), *params),
        ).fetchone()
        return bool(row[0])


class PgTransactions:
    """Explicit transactions on a PgConnection, one writer at a time per store."""

    @staticmethod
    @contextmanager
    def write(conn: PgConnection, *, store_lock: bool = True) -> Iterator[PgConnection]:
        conn.execute("BEGIN")
        try:
            if store_lock:
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(current_schema()) & 2147483647)"
                )
            yield conn
        except BaseException:
            if not conn.raw.closed:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")


class PostgresDatabase(Database):
    """The store on PostgreSQL. The data folder (`path`'s folder) still holds the imports'
    temporary report files; the data itself lives in the database's current schema."""

    dialect: Dialect = POSTGRES

    def __init__(
        self,
        url: str,
        path: Path,
        *,
        backups_dir: Path | None = None,
        password: str | None = None,
    ) -> None:
        super().__init__(path, backups_dir=backups_dir, read_only=False)
        check_url(url)
        self.url = url
        self._password = password  # never part of the URL, a message or a log line

    @property
    def location(self) -> str:
        return self.url

    def describe(self) -> str:
        return describe_url(self.url)

    def child_environment(self) -> dict[str, str]:
        # libpq's own variable, in the environment of our own child only (readable by this
        # user alone): the staging worker need not open the keychain, slow to load, again.
        return {"PGPASSWORD": self._password} if self._password else {}

    @property
    def claims(self) -> ConnectionClaims:
        return PgClaims(self.url, self.thread_connection, self._password)

    def connect(self, *, check_same_thread: bool = True) -> DbConnection:
        try:
            return connect(self.url, password=self._password)
        except psycopg.Error as exc:
            raise StorageError(
                f"The database {self.describe()} could not be reached: {_first_line(exc)}",
                detail=str(exc),
            ) from None

    @contextmanager
    def transaction(self, conn: DbConnection | None = None) -> Iterator[DbConnection]:
        """BEGIN … COMMIT with the store's write lock (SQLite's BEGIN IMMEDIATE)."""
        self.check_writable()
        conn = conn or self.thread_connection()
        assert isinstance(conn, PgConnection)
        with PgTransactions.write(conn) as held:
            yield held

    @contextmanager
    def snapshot_transaction(self, conn: DbConnection) -> Iterator[DbConnection]:
        """BEGIN … COMMIT without the store's write lock: a building snapshot's rows are
        written by its own import alone, so its users and its usage move side by side and
        other writers are not held off by a million-user move."""
        self.check_writable()
        assert isinstance(conn, PgConnection)
        with PgTransactions.write(conn, store_lock=False) as held:
            yield held

    def schema_version(self) -> int:
        conn = self.thread_connection()
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name = 'licensedesk_schema')"
        ).fetchone()
        if not row[0]:
            return 0
        found = conn.execute("SELECT MAX(version) FROM licensedesk_schema").fetchone()
        return int(found[0] or 0)

    def read_only_reason(self) -> str:
        return READ_ONLY_ROLE if self.read_only else ""

    def migrate(self) -> int:
        """Migrate when the schema needs it; a role that can only read opens the store
        read-only (no write at all, not even the clean-up after killed imports)."""
        try:
            if not role_can_write(self.thread_connection()):
                self.read_only = True
                return self._check_read_only_pg()
            return self._migrate_pg()
        except psycopg.Error as exc:
            raise StorageError(
                f"The database {self.describe()} failed: {_first_line(exc)}", detail=str(exc)
            ) from None

    def _check_read_only_pg(self) -> int:
        version = self.schema_version()
        check_schema_read_only(
            version,
            len(postgres_migrations()),
            store=f"The database {self.describe()}",
            why="your database role can only read it",
            fix="start LicenseDesk once as a role that can write (the schema's owner)",
            detail=self.describe(),
        )
        return version

    def _migrate_pg(self) -> int:
        conn = self.thread_connection()
        assert isinstance(conn, PgConnection)
        migrations = postgres_migrations()
        with self.transaction(conn):  # one migrator at a time
            version = self.schema_version()
            if version > len(migrations):
                raise StorageError(
                    NEWER_SCHEMA.format(version=version),
                    detail=self.describe(),
                )
            for target in range(version + 1, len(migrations) + 1):
                conn.executescript(migrations[target - 1])
                conn.execute("INSERT INTO licensedesk_schema (version) VALUES (?)", (target,))
                log.info("database migrated to schema %d", target)
                version = target
        self.recover_interrupted_imports(conn)
        return version

    def _shrink(self, conn: DbConnection) -> None:
        """Nothing to give back by hand: autovacuum reuses the space of removed rows."""


def role_can_write(conn: DbConnection) -> bool:
    """Whether this session may change the store: not a read-only session (a standby, or
    default_transaction_read_only), and INSERT, UPDATE and DELETE on every table of the
    schema, or no table yet and CREATE on the schema (a fresh one to migrate)."""
    row = conn.execute(
        "SELECT current_setting('transaction_read_only') = 'off', "
        "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'), "
        "NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT ("
        "has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE') "
        "AND has_table_privilege(c.oid, 'DELETE'))), "
        "COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false)"
    ).fetchone()
    session_writes, has_tables, tables_writable, can_create = (bool(v) for v in row)
    return session_writes and (tables_writable if has_tables else can_create)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
