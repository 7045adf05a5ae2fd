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


@pytest.fixture
def app_paths(licensedesk_home: Path) -> AppPaths:
    return AppPaths(licensedesk_home).ensure()


@pytest.fixture
def database(app_paths: AppPaths) -> Iterator[Database]:
    db = Database(app_paths.database, backups_dir=app_paths.backups_dir)
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
