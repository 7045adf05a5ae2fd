"""SQLite access: one connection per thread or job, WAL, migrations with a backup first."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.errors import StorageError
from core.storage.schema import MIGRATIONS

log = logging.getLogger(__name__)

# An import still 'running' after this long was cut off by a crash.
STALE_IMPORT_AGE = timedelta(hours=12)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt is not None else None


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Database:
    """Owns the file path and hands out connections; never shares one across threads."""

    def __init__(self, path: Path, *, backups_dir: Path | None = None) -> None:
        self.path = path
        self.backups_dir = backups_dir or path.parent / "backups"
        self._local = threading.local()

    def connect(self, *, check_same_thread: bool = True) -> sqlite3.Connection:
        """A new connection (caller closes it). Autocommit off; use `transaction()`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def thread_connection(self) -> sqlite3.Connection:
        """This thread's long-lived connection (for readers and short writes)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        conn = conn or self.thread_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close_thread_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def schema_version(self) -> int:
        return int(self.thread_connection().execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Bring the schema to the newest version; back the file up before migrating it."""
        conn = self.thread_connection()
        version = self.schema_version()
        if version > len(MIGRATIONS):
            raise StorageError(
                f"This database was written by a newer LicenseDesk (schema {version}); "
                "update the app.",
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
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StorageError(
                    "The database could not be upgraded.", detail=f"migration {target}: {exc}"
                ) from exc
            log.info("database migrated to schema %d", target)
            version = target
        self._drop_unfinished_snapshots(conn)
        return version

    def _backup(self, conn: sqlite3.Connection, version: int) -> Path:
        self.backups_dir.mkdir(parents=True, exist_ok=True)
        stamp = utc_now().strftime("%Y%m%dT%H%M%S")
        target = self.backups_dir / f"{self.path.stem}-schema{version}-{stamp}.sqlite3"
        dest = sqlite3.connect(target)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        log.info("database backed up to %s before migration", target)
        return target

    def _drop_unfinished_snapshots(self, conn: sqlite3.Connection) -> None:
        # A crash mid-import leaves a 'building' snapshot; it was never visible, drop it. Only
        # old ones: another process (the CLI beside the window) may be importing right now.
        cutoff = iso(utc_now() - STALE_IMPORT_AGE)
        with self.transaction(conn):
            conn.execute(
                "DELETE FROM snapshots WHERE state = 'building' AND created_at < ?", (cutoff,)
            )
            conn.execute(
                "UPDATE import_runs SET status = 'failed', error = 'The app stopped during "
                "this import.' WHERE status = 'running' AND started_at < ?",
                (cutoff,),
            )
