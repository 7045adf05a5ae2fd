"""Shared fixtures. QT_QPA_PLATFORM is set before anything can import Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("MSAL_FORCE_REGION", None)

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.errors  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
import responses  # noqa: E402

from core.paths import AppPaths  # noqa: E402
from core.secrets import SecretStore  # noqa: E402
from core.storage.db import Database  # noqa: E402
from core.storage.location import URL_VARIABLE, database_url, open_database  # noqa: E402
from tests.auth_fakes import FakeSts  # noqa: E402


class InMemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps entries in a dict, so tests never touch the OS."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError(username)
        del self.entries[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[InMemoryKeyring]:
    """Every test gets a fresh in-memory keychain; the OS keychain is never used."""
    previous = keyring.get_keyring()
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def licensedesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LICENSEDESK_HOME", str(home))
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    return home


# The whole suite runs a second time on PostgreSQL with this set (.ci/postgres): each test
# gets a schema of its own in that database, named in LICENSEDESK_DATABASE_URL, so the store
# every part of the app opens (the CLI's processes and the import's staging worker included)
# is a fresh PostgreSQL one.
TEST_DATABASE_URL = os.environ.get("LICENSEDESK_TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "tests the SQLite file"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def _test_schemas() -> Iterator[list[str]]:
    """The schemas the tests made, dropped at the end of the session: a widget or thread a
    test leaves behind may still read its store (as it would a SQLite file in tmp_path)."""
    made: list[str] = []
    yield made
    if not made:
        return
    import psycopg

    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for schema in made:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(autouse=True)
def database_schema(
    monkeypatch: pytest.MonkeyPatch, _test_schemas: list[str]
) -> Iterator[str | None]:
    """On PostgreSQL, a fresh schema for this test; None on SQLite."""
    if not ON_POSTGRES:
        monkeypatch.delenv(URL_VARIABLE, raising=False)
        yield None
        return
    import uuid

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    _test_schemas.append(schema)
    glue = "&" if "?" in TEST_DATABASE_URL else "?"
    monkeypatch.setenv(URL_VARIABLE, f"{TEST_DATABASE_URL}{glue}options=-csearch_path%3D{schema}")
    yield schema


def open_test_database(path: Path, *, backups_dir: Path | None = None) -> Database:
    """The store a test opens itself: this test's PostgreSQL schema, else SQLite at `path`."""
    return open_database(path, url=database_url(), backups_dir=backups_dir)


@pytest.fixture
def app_paths(licensedesk_home: Path) -> AppPaths:
    return AppPaths(licensedesk_home).ensure()


@pytest.fixture
def database(app_paths: AppPaths, database_schema: str | None) -> Iterator[Database]:
    db = open_test_database(app_paths.database, backups_dir=app_paths.backups_dir)
    db.migrate()
    yield db
    db.close_thread_connection()


@pytest.fixture
def secret_store(memory_keyring: InMemoryKeyring, app_paths: AppPaths) -> SecretStore:
    return SecretStore(backend=memory_keyring, blob_dir=app_paths.data_dir)


@pytest.fixture
def sts() -> Iterator[FakeSts]:
    """A fake Microsoft login service (see tests/auth_fakes.py)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSts(mock)


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()
