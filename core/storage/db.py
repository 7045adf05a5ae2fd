"""SQLite access: one connection per thread or job, WAL, migrations with a backup first."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from core.errors import ReadOnlyStore, StorageError
from core.storage.claims import ConnectionClaims
from core.storage.dialect import SQLITE, DbConnection, Dialect, database_errors
from core.storage.files import (
    PRIVATE_DIR,
    create_private_file,
    ensure_private_dir,
    is_writable,
    storage_error,
    tighten,
)
from core.storage.locks import FileClaims
from core.storage.schema import MIGRATIONS

log = logging.getLogger(__name__)

INTERRUPTED_ERROR = "The import was stopped before it finished (the process ended or was killed)."
# Report folders of an import: tmp/reports-run<run id>-<random>.
_REPORTS_DIR = re.compile(r"^reports-run(\d+)-")


def this_process() -> str:
    """host:pid: who runs an import or took a queued request, as the store records it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt is not None else None


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


NEWER_SCHEMA = (
    "This database was written by a newer LicenseDesk (schema {version}); update the app."
)


def check_schema_read_only(
    version: int, newest: int, *, store: str, why: str, fix: str, detail: str
) -> None:
    """A store that cannot be written must already have this version's schema: say in one
    line what it has instead (nothing yet, an older or a newer schema), why it cannot be
    changed here, and what to do."""
    if version > newest:
        raise StorageError(NEWER_SCHEMA.format(version=version), detail=detail)
    if version == 0:
        raise StorageError(
            f"{store} holds no LicenseDesk data yet and {why}: {fix}.", detail=detail
        )
    if version < newest:
        raise StorageError(
            f"{store} needs an upgrade (schema {version} of {newest}) and {why}: {fix}.",
            detail=detail,
        )


class Database:
    """Owns the file path and hands out connections; never shares one across threads.

    The SQLite store; `core.storage.postgres.PostgresDatabase` is the same interface on
    PostgreSQL (`core.storage.location.open_database` picks one)."""

    dialect: Dialect = SQLITE

    def __init__(
        self, path: Path, *, backups_dir: Path | None = None, read_only: bool | None = None
    ) -> None:
        """`read_only` None: read-only when the file exists and its file, folder or mount
        cannot be written (reading commands then still work: no migration, no WAL writes)."""
        self.path = path
        self.backups_dir = backups_dir or path.parent / "backups"
        self.read_only = (
            read_only if read_only is not None else path.exists() and not is_writable(path)
        )
        self._local = threading.local()

    @property
    def location(self) -> str:
        """What another process opens the same store with (`open_database`)."""
        return str(self.path)

    def describe(self) -> str:
        return str(self.path)

    def child_environment(self) -> dict[str, str]:
        """What a process started on the same store (an import's staging worker) needs in its
        environment besides `location`: nothing for a file."""
        return {}

    def read_only_reason(self) -> str:
        """One line saying why nothing can be changed; empty when the store can be written."""
        if not self.read_only:
            return ""
        return (
            f"Read-only: the database {self.path} cannot be written (its file, folder or "
            "mount is read-only); you can view the data but not change it."
        )

    def check_writable(self) -> None:
        """Refuse a write on a store opened read-only, in the one line the user reads."""
        if self.read_only:
            raise ReadOnlyStore(self.read_only_reason(), detail=self.describe())

    @property
    def locks_dir(self) -> Path:
        return self.path.parent / "locks"

    @property
    def claims(self) -> ConnectionClaims:
        """Who imports which connection: a file lock per connection beside the database."""
        return FileClaims(self.locks_dir)

    @property
    def tmp_dir(self) -> Path:
        """Owner-only scratch space of imports (usage reports), cleaned at start."""
        return self.path.parent / "tmp"

    def connect(self, *, check_same_thread: bool = True) -> DbConnection:
        """A new connection (caller closes it). Autocommit off; use `transaction()`."""
        try:
            if self.read_only:
                return self._connect_read_only(check_same_thread)
            ensure_private_dir(self.path.parent)
            create_private_file(self.path)  # before SQLite: -wal and -shm take its mode
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(exc, self.path) from None
        return conn

    def _connect_read_only(self, check_same_thread: bool) -> DbConnection:
        # mode=ro reads the WAL too; where the -shm cannot be made (read-only folder or
        # mount), `immutable` reads the file alone, which a cleanly closed database is.
        last: sqlite3.Error | None = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?{flags}",
                uri=True,
                timeout=30.0,
                isolation_level=None,
                check_same_thread=check_same_thread,
            )
            try:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                conn.close()
                last = exc
                continue
            conn.row_factory = sqlite3.Row  # not query_only: reads fill temporary tables
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        assert last is not None
        raise last

    def thread_connection(self) -> DbConnection:
        """This thread's long-lived connection (for readers and short writes)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, conn: DbConnection | None = None) -> Iterator[DbConnection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        self.check_writable()
        conn = conn or self.thread_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def snapshot_transaction(self, conn: DbConnection) -> AbstractContextManager[DbConnection]:
        """A transaction that writes only rows of a snapshot still being built, which no other
        transaction writes: SQLite has one write lock for everything, so `transaction`; a
        server with row locks needs no store-wide lock for it (`Dialect.one_writer`)."""
        return self.transaction(conn)

    def close_thread_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def schema_version(self) -> int:
        return int(self.thread_connection().execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Bring the schema to the newest version; back the file up before migrating it; clean
        up after imports that were killed. A read-only database is only checked."""
        try:
            if self.read_only:
                return self._check_read_only()
            return self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(exc, self.path) from None

    def _check_read_only(self) -> int:
        version = self.schema_version()
        check_schema_read_only(
            version,
            len(MIGRATIONS),
            store=f"The database {self.path}",
            why="it is read-only",
            fix="open it once with write access",
            detail=str(self.path),
        )
        return version

    def _migrate(self) -> int:
        conn = self.thread_connection()
        version = self.schema_version()
        if version > len(MIGRATIONS):
            raise StorageError(
                NEWER_SCHEMA.format(version=version),
                detail=str(self.path),
            )
        if 0 < version < len(MIGRATIONS):
            # One copy of the database as it was, before any of this run's migrations touch it
            # (a new, empty database needs none).
            self._backup(conn, version)
        for target in range(version + 1, len(MIGRATIONS) + 1):
            try:
                conn.executescript(
                    "BEGIN IMMEDIATE;\n"
                    + MIGRATIONS[target - 1]
                    + f"\nPRAGMA user_version = {target};\nCOMMIT;"
                )
            except database_errors() as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StorageError(
                    "The database could not be upgraded.", detail=f"migration {target}: {exc}"
                ) from exc
            log.info("database migrated to schema %d", target)
            version = target
        self.recover_interrupted_imports(conn)
        return version

    def _backup(self, conn: DbConnection, version: int) -> Path:
        self.backups_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        tighten(self.backups_dir, PRIVATE_DIR)
        stamp = utc_now().strftime("%Y%m%dT%H%M%S")
        target = self.backups_dir / f"{self.path.stem}-schema{version}-{stamp}.sqlite3"
        create_private_file(target)
        assert isinstance(conn, sqlite3.Connection)
        dest = sqlite3.connect(target)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        log.info("database backed up to %s before migration", target)
        return target

    def recover_interrupted_imports(self, conn: DbConnection | None = None) -> int:
        """Clean up after imports that are not running any more (killed, power cut): their
        'running' history rows become 'interrupted', their partial snapshots and report files
        go, and the file shrinks back. An import whose lock is held is running (this process,
        or the CLI beside the window) and is left alone. Returns the runs marked."""
        conn = conn or self.thread_connection()
        claims = self.claims
        runs = [
            int(r[0])
            for r in conn.execute(
                "SELECT id, connection_id FROM import_runs WHERE status = 'running'"
            )
            if r[1] is None or not claims.is_claimed(int(r[1]))
        ]
        snapshots = [
            int(r[0])
            for r in conn.execute(
                "SELECT id, connection_id FROM snapshots WHERE state = 'building'"
            )
            if not claims.is_claimed(int(r[1]))
        ]
        if runs or snapshots:
            with self.transaction(conn):
                conn.executemany(
                    "UPDATE import_runs SET status = 'interrupted', ended_at = ?, error = ? "
                    "WHERE id = ? AND status = 'running'",
                    [(iso(utc_now()), INTERRUPTED_ERROR, run_id) for run_id in runs],
                )
                conn.executemany(
                    "DELETE FROM snapshots WHERE id = ? AND state = 'building'",
                    [(sid,) for sid in snapshots],
                )
            log.warning(
                "cleaned up after %d interrupted import(s), %d partial snapshot(s)",
                len(runs),
                len(snapshots),
            )
        self._remove_stale_report_files(conn)
        if snapshots:
            self._shrink(conn)
        return len(runs)

    def _remove_stale_report_files(self, conn: DbConnection) -> None:
        if not self.tmp_dir.is_dir():
            return
        running = {
            int(r[0]) for r in conn.execute("SELECT id FROM import_runs WHERE status = 'running'")
        }
        for entry in self.tmp_dir.iterdir():
            match = _REPORTS_DIR.match(entry.name)
            if match and int(match.group(1)) not in running:
                shutil.rmtree(entry, ignore_errors=True)

    def _shrink(self, conn: DbConnection) -> None:
        """Give the pages of removed partial snapshots back to the file system. VACUUM
        rewrites the file, so only while no import of any process is writing."""
        if self.claims.any_claimed():
            log.info("not compacting the database: an import is running")
            return
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
        if free == 0:
            return
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        log.info("database compacted (%d free pages returned)", free)
