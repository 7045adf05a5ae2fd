"""Which store to open: PostgreSQL when a database URL is chosen, else the SQLite file in the
data folder. Precedence: `--database URL` (which sets the variable for this process and the
ones it starts) > LICENSEDESK_DATABASE_URL > the choice saved from the window's File ▸ Team
database (`database.json` in the data folder) > SQLite. The variable set but empty means SQLite.

A password never goes into a URL or a file: the window's choice keeps it in the secret store
(keychain, or LICENSEDESK_SECRETS_FILE) under a key made of the URL without password
(`password_key`); without one there, libpq's PGPASSWORD or ~/.pgpass are used."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import StorageError
from core.storage.db import Database

if TYPE_CHECKING:
    from core.secrets import SecretStore

URL_VARIABLE = "LICENSEDESK_DATABASE_URL"
CHOICE_FILE = "database.json"
_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str) -> bool:
    return location.startswith(_SCHEMES) or "=" in location


def database_url(explicit: str | None = None) -> str | None:
    """The URL chosen, if any: the argument, else the environment variable."""
    url = (explicit or os.environ.get(URL_VARIABLE, "")).strip()
    return url or None


def chosen_database_url(data_dir: Path) -> str | None:
    """The URL to open, None for SQLite: the variable (`--database` sets it) when it is set,
    even empty, else the choice saved in `data_dir`."""
    if URL_VARIABLE in os.environ:
        return database_url()
    return saved_database_url(data_dir)


def saved_database_url(data_dir: Path) -> str | None:
    """The URL saved by `save_database_choice`, None when none is (or it cannot be read)."""
    try:
        data = json.loads((data_dir / CHOICE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url.strip() or None if isinstance(url, str) else None


def save_database_choice(data_dir: Path, url: str | None) -> None:
    """Remember `url` (None: this computer's SQLite file) for the next start of the window and
    the CLI on this data folder. A URL with a password in it is refused."""
    url = (url or "").strip()
    if url:
        _postgres_store()
        from core.storage.postgres import check_url

        check_url(url)
    path = data_dir / CHOICE_FILE
    if not url:
        path.unlink(missing_ok=True)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=f".{CHOICE_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"url": url}, fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def choose_database(url: str) -> None:
    """Use the database at `url` in this process and the processes it starts (`--database`;
    empty: SQLite). A URL with a password in it is refused."""
    url = url.strip()
    if url:
        _postgres_store()
        from core.storage.postgres import check_url

        check_url(url)
    os.environ[URL_VARIABLE] = url


def password_key(url: str) -> str:
    """The secret store's key of the password for `url`: user@host:port/db, so the same
    database named with `postgres://` or extra options finds the same password."""
    _postgres_store()
    from core.storage.postgres import describe_url

    return f"database/{describe_url(url)}"


def stored_password(url: str, secrets: SecretStore) -> str | None:
    return secrets.get(password_key(url))


def open_database(
    path: Path,
    *,
    url: str | None = None,
    backups_dir: Path | None = None,
    password: str | None = None,
) -> Database:
    """The store: PostgreSQL at `url` (its temporary files in `path`'s folder; `password`
    from the secret store, else libpq's own), else SQLite at `path`. A URL with a password in
    it is refused."""
    if url:
        return _postgres_store()(url, path, backups_dir=backups_dir, password=password)
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
    """The store another process named by `Database.location` (a URL or a file path). A
    password the window stored for that URL is read from the secret store (this user's, as the
    process that started us), unless libpq's PGPASSWORD gives one."""
    if location.startswith(_SCHEMES):
        password = None
        if not os.environ.get("PGPASSWORD"):
            from core.paths import AppPaths
            from core.secrets import open_secret_store

            password = stored_password(location, open_secret_store(AppPaths.resolve().data_dir))
        return open_database(path, url=location, password=password)
    return Database(Path(location))
