"""The team database choice: which store opens (--database > LICENSEDESK_DATABASE_URL > the
saved choice > SQLite), where the password goes (the secret store, never the choice file or a
URL), how a failed connection is worded, and a PostgreSQL role that may only read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.cli import main
from core.controller import Controller
from core.domain.team import TeamDatabase, validate_team_database
from core.errors import READ_ONLY_ROLE, ReadOnlyStore, StorageError
from core.paths import AppPaths
from core.secrets import SecretStore
from core.storage.db import Database
from core.storage.location import (
    CHOICE_FILE,
    URL_VARIABLE,
    chosen_database_url,
    open_location,
    password_key,
    save_database_choice,
)
from core.storage.team import explain_failure
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


@pytest.fixture
def controller(
    app_paths: AppPaths, database: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    built = Controller.assemble(paths=app_paths, database=database, secret_store=secret_store)
    yield built
    built.close(timeout=5.0)


TEAM = TeamDatabase(host="db.example.org", port="5433", database="licensedesk", user="alice")
TEAM_URL = "postgresql://alice@db.example.org:5433/licensedesk"


@pytest.fixture(autouse=True)
def restore_url_variable() -> Iterator[None]:
    """A switch sets LICENSEDESK_DATABASE_URL for this process (as --database does): put it
    back as it was, present or not, for the tests after this one."""
    import os

    before = os.environ.get("LICENSEDESK_DATABASE_URL")
    yield
    if before is None:
        os.environ.pop("LICENSEDESK_DATABASE_URL", None)
    else:
        os.environ["LICENSEDESK_DATABASE_URL"] = before


def test_the_fields_make_a_url_without_a_password_and_read_back() -> None:
    assert TEAM.url() == TEAM_URL
    assert TeamDatabase.from_url(TEAM_URL) == TEAM
    odd = TeamDatabase(host="::1", port="5432", database="ld team", user="a@b")
    assert TeamDatabase.from_url(odd.url()) == odd


def test_bad_fields_are_named() -> None:
    errors = validate_team_database(TeamDatabase(host="db host", port="99999"))
    assert set(errors) == {"host", "port", "database", "user"}
    assert "65535" in errors["port"]
    assert validate_team_database(TEAM) == {}


def test_the_saved_choice_yields_to_the_variable_and_the_variable_to_database(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    assert chosen_database_url(app_paths.data_dir) is None  # SQLite
    save_database_choice(app_paths.data_dir, TEAM_URL)
    assert chosen_database_url(app_paths.data_dir) == TEAM_URL
    monkeypatch.setenv(URL_VARIABLE, "postgresql://bob@other:5432/ld")
    assert chosen_database_url(app_paths.data_dir) == "postgresql://bob@other:5432/ld"
    monkeypatch.setenv(URL_VARIABLE, "")  # set but empty: this computer's file
    assert chosen_database_url(app_paths.data_dir) is None
    Controller.use_database("postgresql://carol@third:5432/ld")  # what --database does
    assert chosen_database_url(app_paths.data_dir) == "postgresql://carol@third:5432/ld"
    monkeypatch.delenv(URL_VARIABLE)
    save_database_choice(app_paths.data_dir, None)
    assert chosen_database_url(app_paths.data_dir) is None


def test_a_choice_with_a_password_in_it_is_refused(app_paths: AppPaths) -> None:
    with pytest.raises(StorageError, match="must not contain a password"):
        save_database_choice(app_paths.data_dir, "postgresql://alice:s3cret@db/ld")
    assert not (app_paths.data_dir / CHOICE_FILE).exists()


def test_switching_keeps_the_password_in_the_keychain_only(
    controller: Controller, app_paths: AppPaths, memory_keyring: object
) -> None:
    controller.switch_database(TEAM, "s3cret-pw")
    saved = (app_paths.data_dir / CHOICE_FILE).read_text()
    assert json.loads(saved) == {"url": TEAM_URL}
    assert "s3cret" not in saved
    assert memory_keyring.entries == {  # type: ignore[attr-defined]
        ("licensedesk", "database/alice@db.example.org:5433/licensedesk"): "s3cret-pw"
    }
    # Another process of this user (an import's staging worker, the CLI) finds it.
    store = open_location(TEAM_URL + "?application_name=x", app_paths.database)
    assert store._password == "s3cret-pw"  # type: ignore[attr-defined]
    assert "s3cret" not in store.location and "s3cret" not in store.describe()
    controller.switch_database(None)
    assert not (app_paths.data_dir / CHOICE_FILE).exists()


def test_without_a_keychain_the_password_goes_to_the_chosen_secrets_file_only(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import keyring.backends.fail

    secrets_file = tmp_path / "secrets.json"
    monkeypatch.setenv("LICENSEDESK_SECRETS_FILE", str(secrets_file))
    store = SecretStore(backend=keyring.backends.fail.Keyring(), fallback_file=secrets_file)
    store.set(password_key(TEAM_URL), "file-pw")
    save_database_choice(app_paths.data_dir, TEAM_URL)
    assert "file-pw" not in (app_paths.data_dir / CHOICE_FILE).read_text()
    monkeypatch.setattr("keyring.get_keyring", keyring.backends.fail.Keyring)
    opened = open_location(TEAM_URL, app_paths.database)
    assert opened._password == "file-pw"  # type: ignore[attr-defined]


def test_the_cli_opens_the_saved_choice(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    # Nothing listens on port 1: the CLI tried the database saved, not the SQLite file.
    save_database_choice(app_paths.data_dir, "postgresql://alice@127.0.0.1:1/nowhere")
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "127.0.0.1:1/nowhere" in err, err
    assert len(err.strip().splitlines()) == 1
    # --database '' wins over the saved choice: this computer's file.
    assert main(["--database", "", "history"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('FATAL:  password authentication failed for user "alice"', "Wrong password for user"),
        ("fe_sendauth: no password supplied", "asks for a password"),
        ('FATAL:  database "licensedesk" does not exist', "There is no database licensedesk"),
        ('FATAL:  role "alice" does not exist', "There is no user alice"),
        (
            'could not translate host name "db.example.org" to address: Name or service not known',
            "The host db.example.org was not found",
        ),
        ("connection refused\n\tIs the server running", "Nothing answers at db.example.org"),
        ("timeout expired", "cannot be reached on port 5433"),
    ],
)
def test_connection_failures_are_worded_plainly(message: str, expected: str) -> None:
    params = {"host": "db.example.org", "port": "5433", "user": "alice", "dbname": "licensedesk"}
    assert expected in explain_failure(message, params)


def test_a_server_that_is_not_there_is_reported_in_one_line(controller: Controller) -> None:
    with pytest.raises(StorageError) as caught:
        controller.test_database(
            TeamDatabase(host="127.0.0.1", port="1", database="ld", user="alice"), "pw"
        )
    assert "Nothing answers at 127.0.0.1 on port 1" in caught.value.message
    assert "pw" not in caught.value.message.replace("port", "")


# PostgreSQL: a role with SELECT only


postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs LICENSEDESK_TEST_DATABASE_URL")


@pytest.fixture
def reader_url(
    database_schema: str, controller: Controller, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The test's schema, migrated and with one setting changed, opened as a new role that may
    only SELECT from its tables."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    controller.update_setting("inactive_days", "60")
    role = f"reader_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {database_schema} TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {database_schema} TO {role}")
    params = conninfo_to_dict(TEST_DATABASE_URL)
    host, port, dbname = params.get("host"), params.get("port"), params.get("dbname")
    url = f"postgresql://{role}@{host}:{port}/{dbname}?options=-csearch_path%3D{database_schema}"
    assert make_conninfo(url)
    monkeypatch.setenv(URL_VARIABLE, url)
    yield url
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


@postgres_only
def test_a_select_only_role_opens_read_only_and_cannot_write(reader_url: str) -> None:
    reader = Controller.open()
    try:
        opened = reader.opened_database()
        assert opened.read_only_reason == READ_ONLY_ROLE
        assert reader.settings().inactive_days == 60  # reads work
        assert reader.list_connections() == []
        with pytest.raises(ReadOnlyStore, match="^Read-only: your database role"):
            reader.update_setting("inactive_days", "30")
    finally:
        reader.close()


@postgres_only
def test_the_cli_refuses_writes_for_a_select_only_role_in_one_line(
    reader_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings", "get"]) == 0
    capsys.readouterr()
    for argv in (["settings", "set", "inactive_days", "30"], ["import", "--all"], ["demo"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err == f"error: {READ_ONLY_ROLE}\n", argv


@postgres_only
def test_a_select_only_role_on_a_schema_that_needs_migrating_is_refused(
    database_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    role = f"reader_{uuid.uuid4().hex[:10]}"
    empty = f"{database_schema}_empty"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {empty}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {empty} TO {role}")
    try:
        from psycopg.conninfo import conninfo_to_dict

        from core.storage.postgres import describe_url

        p = conninfo_to_dict(TEST_DATABASE_URL)
        url = f"postgresql://{role}@{p['host']}:{p['port']}/{p['dbname']}"
        monkeypatch.setenv(URL_VARIABLE, f"{url}?options=-csearch_path%3D{empty}")
        with pytest.raises(StorageError) as refused:
            Controller.open()
        assert refused.value.message == (
            f"The database {describe_url(url)} holds no LicenseDesk data yet and your "
            "database role can only read it: start LicenseDesk once as a role that can write "
            "(the schema's owner)."
        )
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            admin.execute(f"DROP SCHEMA {empty} CASCADE")
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


@postgres_only
def test_testing_the_team_database_reports_the_server(controller: Controller) -> None:
    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(TEST_DATABASE_URL)
    fields = TeamDatabase(
        host=str(p["host"]), port=str(p["port"]), database=str(p["dbname"]), user=str(p["user"])
    )
    check = controller.test_database(fields, "any-password")  # the test cluster trusts
    assert check.can_write and int(check.server_version.split(".")[0]) >= 14
    assert check.summary().startswith(f"Connected to {p['dbname']} on {p['host']}: PostgreSQL")
    missing = TeamDatabase(**{**fields.__dict__, "database": "no_such_db"})
    with pytest.raises(StorageError, match="There is no database no_such_db"):
        controller.test_database(missing, "")


def test_without_anywhere_to_keep_it_a_password_is_refused_not_forgotten(
    app_paths: AppPaths, database: Database
) -> None:
    import keyring.backends.fail

    store = SecretStore(backend=keyring.backends.fail.Keyring())
    controller = Controller.assemble(paths=app_paths, database=database, secret_store=store)
    try:
        with pytest.raises(StorageError, match="No keychain was found to keep the password"):
            controller.switch_database(TEAM, "pw")
        assert not (app_paths.data_dir / CHOICE_FILE).exists()
        controller.switch_database(TEAM)  # no password: ~/.pgpass or PGPASSWORD
        assert chosen_database_url(app_paths.data_dir) == TEAM_URL
    finally:
        controller.close()


def test_a_stored_password_reaches_the_staging_worker_through_its_environment_only(
    tmp_path: Path,
) -> None:
    """The import's staging process gets the password as libpq's PGPASSWORD in its own
    environment: it need not load the keychain again, and the URL stays without it."""
    pytest.importorskip("psycopg")
    from core.storage.postgres import PostgresDatabase

    url = "postgresql://ann@db.example.org:5432/licensedesk"
    with_password = PostgresDatabase(url, tmp_path / "x.sqlite3", password="s3cret")
    assert with_password.child_environment() == {"PGPASSWORD": "s3cret"}
    assert "s3cret" not in with_password.location
    assert PostgresDatabase(url, tmp_path / "x.sqlite3").child_environment() == {}
    assert Database(tmp_path / "file.sqlite3").child_environment() == {}
