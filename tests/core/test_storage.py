from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from core.domain.cloud import Cloud
from core.domain.connection import ConnectionDraft, ConnectionSecrets, Schedule, ScheduleKind
from core.storage.db import Database, check_schema_read_only
from core.storage.repositories import ConnectionRepository, connection_as_draft
from core.storage.schema import SCHEMA_VERSION


def test_migrate_sets_schema_version_and_wal(database: Database) -> None:
    conn = database.thread_connection()
    assert database.schema_version() == SCHEMA_VERSION
    if database.dialect.name == "sqlite":
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrate_backs_up_before_upgrading_an_existing_database(app_paths, monkeypatch) -> None:
    from core.storage import db as db_module

    db = Database(app_paths.database, backups_dir=app_paths.backups_dir)
    db.migrate()
    db.thread_connection().execute("INSERT INTO settings VALUES ('currency', 'EUR')")
    monkeypatch.setattr(db_module, "MIGRATIONS", [*db_module.MIGRATIONS, "CREATE TABLE x (a);"])
    assert db.migrate() == SCHEMA_VERSION + 1
    backups = list(app_paths.backups_dir.glob("*.sqlite3"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT value FROM settings").fetchone()[0] == "EUR"
    assert old.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_connection_round_trips_without_secrets(database: Database) -> None:
    repo = ConnectionRepository()
    conn = database.thread_connection()
    draft = ConnectionDraft(
        name="Contoso HQ",
        tenant="contoso.onmicrosoft.com",
        client_id="11111111-1111-1111-1111-111111111111",
        cloud=Cloud.GCC_HIGH,
        schedule=Schedule(ScheduleKind.DAILY, daily_at="03:30"),
        secret_expires_on=date(2027, 1, 31),
        secrets=ConnectionSecrets(client_secret="s3cr3t-value"),
    )
    new_id = repo.insert(conn, draft)
    stored = conn.execute("SELECT config FROM connections").fetchone()[0]
    assert "s3cr3t-value" not in stored
    saved = repo.get(conn, new_id)
    assert saved is not None
    assert saved.name == "Contoso HQ"
    assert saved.cloud is Cloud.GCC_HIGH
    assert saved.schedule.daily_at == "03:30"
    assert saved.secret_expires_on == date(2027, 1, 31)
    assert saved.secrets.client_secret == ""
    assert repo.find_by_tenant(conn, "CONTOSO.onmicrosoft.com") == saved
    back = connection_as_draft(saved, ConnectionSecrets(client_secret="x"))
    assert back.tenant == draft.tenant and back.secrets.client_secret == "x"


def test_without_keychain_secrets_stay_in_memory_unless_a_file_is_chosen(
    app_paths, monkeypatch
) -> None:
    import os
    import stat

    import keyring.backends.fail

    from core.bootstrap import open_services

    monkeypatch.setattr("keyring.get_keyring", lambda: keyring.backends.fail.Keyring())
    memory_only = open_services(app_paths)
    try:
        assert not memory_only.secrets.available
        assert "memory only" in memory_only.secrets.describe()
        memory_only.secrets.set("connection/1/client_secret", "s3cret")
        assert not (app_paths.data_dir / "secrets.json").exists()
    finally:
        memory_only.imports.close()

    monkeypatch.setenv("LICENSEDESK_SECRETS_FILE", "1")
    with_file = open_services(app_paths)
    try:
        with_file.secrets.set("connection/1/client_secret", "s3cret")
        path = app_paths.data_dir / "secrets.json"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert "owner-only file" in with_file.secrets.describe()
    finally:
        with_file.imports.close()
    reopened = open_services(app_paths)
    try:
        assert reopened.secrets.get("connection/1/client_secret") == "s3cret"
    finally:
        reopened.imports.close()


def test_report_budget_is_shared_by_every_process_on_the_database(database: Database) -> None:
    import pytest

    from core.graph import ReportBudgetExceeded
    from core.storage.report_budget import StoredReportBudget

    now = [1_750_000_000.0]
    window_app = StoredReportBudget(database, clock=lambda: now[0])
    cli = StoredReportBudget(database, clock=lambda: now[0])  # another process, same file
    for i in range(14):
        (window_app if i % 2 else cli).acquire("contoso")
        now[0] += 10
    with pytest.raises(ReportBudgetExceeded, match="next request is possible"):
        cli.acquire("contoso")
    window_app.acquire("fabrikam")  # each tenant has its own window
    assert window_app.remaining("contoso") == 0
    now[0] += 600 - 140 + 1  # the first request leaves the window
    cli.acquire("contoso")
    assert cli.remaining("contoso") == 0
    rows = database.thread_connection().execute("SELECT COUNT(*) FROM report_requests")
    assert rows.fetchone()[0] == 15  # 14 of contoso in the window, 1 of fabrikam


def test_settings_are_read_by_prefix_and_written_and_removed_in_one_place(
    database: Database,
) -> None:
    from core.storage.repositories import SettingsRepository

    settings = SettingsRepository()
    conn = database.thread_connection()
    with database.transaction(conn):
        settings.set_many(conn, {"saas_zone": "eu", "saasXorg": "x", "currency": "EUR"})
    assert settings.with_prefix(conn, "saas_") == {"saas_zone": "eu"}  # "_" is no wildcard
    with database.transaction(conn):
        settings.set_many(conn, {"saas_zone": None, "currency": "USD"})
    assert settings.with_prefix(conn, "saas_") == {}
    assert settings.get(conn, "currency") == "USD"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (0, "The store holds no LicenseDesk data yet and it is read-only: fix it."),
        (3, "The store needs an upgrade (schema 3 of 8) and it is read-only: fix it."),
        (9, "This database was written by a newer LicenseDesk (schema 9); update the app."),
    ],
)
def test_a_store_that_cannot_be_written_says_what_schema_it_has(
    version: int, expected: str
) -> None:
    """An empty schema is not 'an upgrade from schema 0', nor a newer one an upgrade."""
    from core.errors import StorageError

    with pytest.raises(StorageError) as refused:
        check_schema_read_only(
            version, 8, store="The store", why="it is read-only", fix="fix it", detail=""
        )
    assert refused.value.message == expected
    check_schema_read_only(8, 8, store="The store", why="", fix="", detail="")  # up to date
