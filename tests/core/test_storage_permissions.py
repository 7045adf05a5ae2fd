"""The data folder is owner-only (0700) and the database with its -wal/-shm files, backups,
locks and report scratch space owner-only (0600/0700): they hold names and UPNs. Folders and
files an older version left readable by others are tightened at start."""

from __future__ import annotations

import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from core.paths import AppPaths
from core.storage.db import Database, utc_now
from core.storage.locks import ImportLock
from core.storage.schema import MIGRATIONS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_data_folder_and_database_files_are_owner_only(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "new" / "data").ensure()
    database = Database(paths.database, backups_dir=paths.backups_dir)
    database.migrate()
    conn = database.thread_connection()
    with database.transaction(conn):
        conn.execute("INSERT INTO settings (key, value) VALUES ('currency', 'EUR')")
    lock = ImportLock.acquire(database.locks_dir, 1, name="x", started_at=utc_now())
    lock.release()

    assert mode(paths.data_dir) == 0o700
    for suffix in ("", "-wal", "-shm"):
        assert mode(Path(f"{paths.database}{suffix}")) == 0o600, suffix
    assert mode(database.locks_dir) == 0o700
    assert mode(database.locks_dir / "import-1.lock") == 0o600
    database.close_thread_connection()


def test_backup_before_migration_is_owner_only(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "data").ensure()
    old = sqlite3.connect(paths.database)
    old.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    old.close()
    database = Database(paths.database, backups_dir=paths.backups_dir)
    database.migrate()
    backups = list(paths.backups_dir.iterdir())
    assert backups
    assert mode(paths.backups_dir) == 0o700
    assert all(mode(b) == 0o600 for b in backups)
    database.close_thread_connection()


def test_existing_loose_folder_and_database_are_tightened_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database_file = folder / "licensedesk.sqlite3"
    database_file.touch()
    database_file.chmod(0o644)

    paths = AppPaths(folder).ensure()
    database = Database(paths.database)
    database.migrate()

    assert mode(folder) == 0o700
    assert mode(database_file) == 0o600
    database.close_thread_connection()
