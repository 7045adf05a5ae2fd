"""Incremental imports see license and account changes: Graph's /users/delta reports a user only
when a property named in the link's $select changed, and the simulator now does the same."""

from __future__ import annotations

import pytest

from core.domain.imports import ImportStatus
from core.imports.delta import DELTA_SELECT
from core.imports.engine import STALE_DELTA_LINK
from core.simulator.adapter import Simulator
from core.simulator.demo import profile_spec
from core.simulator.model import TenantModel
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from tests.integration.test_simulated_imports import (
    PROFILE,
    assert_matches_truth,
    import_with,
    make_connection,
)


def snapshot_rows(db: Database) -> tuple[set[tuple], set[tuple]]:
    """Every stored column of the current snapshot's users and user SKUs, without its id."""
    conn = db.thread_connection()
    users = conn.execute(
        "SELECT u.* FROM users u JOIN snapshots s ON s.id = u.snapshot_id WHERE s.state = 'current'"
    ).fetchall()
    skus = conn.execute(
        "SELECT us.* FROM user_skus us JOIN snapshots s ON s.id = us.snapshot_id "
        "WHERE s.state = 'current'"
    ).fetchall()
    return (
        {tuple(v for k, v in dict(r).items() if k != "snapshot_id") for r in users},
        {tuple(v for k, v in dict(r).items() if k != "snapshot_id") for r in skus},
    )


def licensed_enabled_users(model: TenantModel) -> tuple[int, int]:
    """Two different licensed, enabled users."""
    found = [
        i
        for i in model.indexes()
        if model.user(i, ("assignedLicenses", "accountEnabled"))["assignedLicenses"]
        and model.user(i, ("accountEnabled",))["accountEnabled"]
    ]
    return found[0], found[1]


def full_import_rows(sim: Simulator, tmp_path) -> tuple[set[tuple], set[tuple]]:
    full_db = Database(tmp_path / "full.sqlite3")
    full_db.migrate()
    run = import_with(sim, full_db, make_connection(full_db))
    assert run.status is ImportStatus.SUCCEEDED
    return snapshot_rows(full_db)


def incremental(sim: Simulator, database: Database, connection, **overrides):
    base = ConnectionRepository().incremental_base(database.thread_connection(), connection.id)
    assert base is not None
    link, snapshot_id, sign_in, selected = base
    values = {"delta_select": selected, **overrides}
    return import_with(
        sim,
        database,
        connection,
        delta_link=link,
        previous_snapshot_id=snapshot_id,
        previous_sign_in=sign_in,
        **values,
    )


def test_incremental_import_sees_a_removed_license_and_a_disabled_account(
    database, tmp_path
) -> None:
    model = TenantModel(profile_spec(PROFILE))
    sim = Simulator([model])
    connection = make_connection(database)
    assert import_with(sim, database, connection).status is ImportStatus.SUCCEEDED
    unlicensed, disabled = licensed_enabled_users(model)
    model.remove_licenses(unlicensed)
    model.set_account_enabled(disabled, False)
    assert model.user(unlicensed)["assignedLicenses"] == []
    assert model.user(disabled)["accountEnabled"] is False

    run = incremental(sim, database, connection)

    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS, run.error
    assert any("Incremental import: 2 changed users" in w for w in run.warnings)
    assert_matches_truth(run, model, database)
    assert snapshot_rows(database) == full_import_rows(sim, tmp_path)
    delta_calls = [e.url for e in sim.log if "/users/delta" in e.url]
    assert delta_calls and all("$select=id&" not in url for url in delta_calls)


def test_the_stored_link_remembers_its_select(database) -> None:
    model = TenantModel(profile_spec(PROFILE))
    connection = make_connection(database)
    assert import_with(Simulator([model]), database, connection).status is ImportStatus.SUCCEEDED
    base = ConnectionRepository().incremental_base(database.thread_connection(), connection.id)
    assert base is not None and base[3] == DELTA_SELECT
    assert "assignedLicenses" in DELTA_SELECT and "accountEnabled" in DELTA_SELECT
    assert "licenseAssignmentStates" not in DELTA_SELECT


@pytest.mark.parametrize("selected", ["", "id"])
def test_a_link_of_the_old_id_only_kind_is_not_trusted(database, tmp_path, selected) -> None:
    model = TenantModel(profile_spec(PROFILE))
    sim = Simulator([model])
    connection = make_connection(database)
    assert import_with(sim, database, connection).status is ImportStatus.SUCCEEDED
    # What older versions stored: a link made with $select=id, its select not recorded.
    old_link = next(
        p.delta_link
        for p in _graph_pages(sim, "/users/delta?$select=id&$deltatoken=latest")
        if p.delta_link
    )
    with database.transaction(database.thread_connection()) as conn:
        ConnectionRepository().set_delta_link(conn, connection.id, old_link, selected)
    unlicensed, disabled = licensed_enabled_users(model)
    model.remove_licenses(unlicensed)
    model.set_account_enabled(disabled, False)

    run = incremental(sim, database, connection)

    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS, run.error
    assert STALE_DELTA_LINK in run.warnings
    assert not any("Incremental import" in w for w in run.warnings)
    assert_matches_truth(run, model, database)
    assert snapshot_rows(database) == full_import_rows(sim, tmp_path)
    base = ConnectionRepository().incremental_base(database.thread_connection(), connection.id)
    assert base is not None and base[3] == DELTA_SELECT  # re-baselined


def _graph_pages(sim: Simulator, path: str):
    import requests

    from core.bootstrap import transport
    from core.connections.wiring import build_tokens
    from core.graph import GraphClient
    from core.simulator.demo import size_draft

    draft = transport().with_secrets(size_draft(PROFILE))
    session = sim.mount(requests.Session())
    tokens = build_tokens(draft, session=session, cache_store=None)
    return GraphClient(session, tokens, "https://graph.microsoft.com").iter_pages(path)


def test_links_saved_before_schema_3_have_no_select(app_paths, monkeypatch) -> None:
    from core.storage import db as db_module

    full = list(db_module.MIGRATIONS)
    monkeypatch.setattr(db_module, "MIGRATIONS", full[:2])
    db = Database(app_paths.database, backups_dir=app_paths.backups_dir)
    db.migrate()
    connection = make_connection(db)
    conn = db.thread_connection()
    with db.transaction(conn):
        conn.execute(
            "INSERT INTO delta_links VALUES (?, 'https://graph.microsoft.com/v1.0/users/delta"
            "?$deltatoken=old', ?)",
            (connection.id, "2026-11-30T00:00:00+00:00"),
        )
    monkeypatch.setattr(db_module, "MIGRATIONS", full)
    assert db.migrate() == len(full)
    row = conn.execute("SELECT selected FROM delta_links").fetchone()
    assert row["selected"] == ""  # not DELTA_SELECT: the engine reads all users instead
