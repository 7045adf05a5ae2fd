"""Which store to open: PostgreSQL when a database URL is given (`--database URL` or
LICENSEDESK_DATABASE_URL), else the SQLite file in the data folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from core.errors import StorageError
from core.storage.db import Database

URL_VARIABLE = "LICENSEDESK_DATABASE_URL"
_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str) -> bool:
    return location.startswith(_SCHEMES) or "=" in location


def database_url(explicit: str | None = None) -> str | None:
    """The URL chosen, if any: the argument, else the environment variable."""
    url = (explicit or os.environ.get(URL_VARIABLE, "")).strip()
    return url or None


def choose_database(url: str) -> None:
    """Use the database at `url` in this process and the processes it starts (`--database`).
    A URL with a password in it is refused."""
    url = url.strip()
    if url:
        _postgres_store()
        from core.storage.postgres import check_url

        check_url(url)
    os.environ[URL_VARIABLE] = url


def open_database(
    path: Path, *, url: str | None = None, backups_dir: Path | None = None
) -> Database:
    """The store: PostgreSQL at `url` (its temporary files in `path`'s folder), else SQLite at
    `path`. A URL with a password in it is refused (PGPASSWORD or ~/.pgpass instead)."""
    if url:
        return _postgres_store()(url, path, backups_dir=backups_dir)
    return Database(path, backups_dir=backups_dir)


def _postgres_store() -> Callable[..., Database]:
    try:
        from core.storage.postgres import PostgresDatabase
    except ImportError as exc:  # psycopg missing (a bundle built without it)
        raise StorageError(
            f"This build of LicenseDesk cannot use PostgreSQL ({exc}); unset "
            f"{URL_VARIABLE} or install the psycopg package."
        ) from None
    return PostgresDatabase


def open_location(location: str, path: Path) -> Database:
    """The store another process named by `Database.location` (a URL or a file path)."""
    if location.startswith(_SCHEMES):
        return open_database(path, url=location)
    return Database(Path(location))
