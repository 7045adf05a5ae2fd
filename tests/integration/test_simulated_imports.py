"""End-to-end imports of simulated tenants through the real engine (msal, Graph client, SQLite):
counts equal the model's ground truth, also under throttling, 503s and dropped connections, and
an incremental (delta) import after mutations equals a full import."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from core.bootstrap import transport
from core.connections.wiring import build_tokens
from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportRun, ImportStatus
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.simulator.adapter import Knobs, Simulator
from core.simulator.demo import profile_spec, size_draft
from core.simulator.model import TenantModel
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository

PROFILE = "size:400:11"


def make_connection(database: Database, profile: str = PROFILE) -> Connection:
    conn = database.thread_connection()
    repo = ConnectionRepository()
    with database.transaction(conn):
        cid = repo.insert(conn, size_draft(profile, name="Sim tenant"))
    found = repo.get(conn, cid)
    assert found is not None
    return found


def import_with(sim: Simulator, database: Database, connection: Connection, **extra) -> ImportRun:
    draft = transport().with_secrets(connection)
    session = sim.mount(requests.Session())
    tokens = build_tokens(draft, session=session, cache_store=None)
    graph = GraphClient(
        session,
        tokens,
        "https://graph.microsoft.com",
        sleep=lambda s: None,
        report_budget=ReportBudget(),
        max_retries=8,
    )
    request = ImportRequest(connection=connection, graph=graph, database=database, **extra)
    return run_import(request, progress=lambda e: None, cancel=CancelToken())


def consumption(db: Database) -> dict[str, int]:
    rows = db.thread_connection().execute(
        "SELECT us.sku_id, COUNT(*) FROM user_skus us JOIN snapshots s ON s.id = us.snapshot_id "
        "WHERE s.state = 'current' GROUP BY us.sku_id"
    )
    return {r[0]: r[1] for r in rows}


def current_users(db: Database) -> set[tuple]:
    rows = db.thread_connection().execute(
        "SELECT u.id, u.user_principal_name, u.account_enabled, us.sku_id, us.direct, "
        "us.group_ids FROM users u JOIN snapshots s ON s.id = u.snapshot_id AND "
        "s.state = 'current' LEFT JOIN user_skus us ON us.snapshot_id = u.snapshot_id AND "
        "us.user_id = u.id"
    )
    return {tuple(r) for r in rows}


def assert_matches_truth(run: ImportRun, model: TenantModel, db: Database) -> None:
    truth = model.truth()
    assert run.status in (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS), run.error
    assert run.counts.users == truth.users
    assert run.counts.licensed_users == truth.licensed_users
    assert run.counts.skus == len(truth.skus)
    by_sku = consumption(db)
    for sku_id, sku in truth.skus.items():
        assert by_sku.get(sku_id, 0) == sku.consumed, sku.part_number
    stored = {
        r["sku_id"]: r
        for r in db.thread_connection().execute(
            "SELECT k.* FROM skus k JOIN snapshots s ON s.id = k.snapshot_id "
            "WHERE s.state = 'current'"
        )
    }
    for sku_id, sku in truth.skus.items():
        row: sqlite3.Row = stored[sku_id]
        assert (row["enabled"], row["warning"], row["suspended"], row["consumed_units"]) == (
            sku.enabled,
            sku.warning,
            sku.suspended,
            sku.consumed,
        )


def test_full_import_equals_ground_truth(database) -> None:
    model = TenantModel(profile_spec(PROFILE))
    sim = Simulator([model])
    run = import_with(sim, database, make_connection(database))
    assert_matches_truth(run, model, database)
    assert run.counts.report_rows == sum(model.truth().report_rows.values())
    assert sim.report_auth_violations == 0


@pytest.mark.parametrize(
    "knobs",
    [
        Knobs(throttle_after=3, retry_after_s=0.0),
        Knobs(error_503_rate=0.3, seed=5),
        Knobs(drop_rate=0.3, seed=9),
    ],
    ids=["throttled", "503s", "dropped-connections"],
)
def test_faults_are_retried_to_the_same_result(database, knobs) -> None:
    model = TenantModel(profile_spec(PROFILE))
    sim = Simulator([model], knobs=knobs)
    run = import_with(sim, database, make_connection(database))
    assert_matches_truth(run, model, database)
    statuses = [entry.status for entry in sim.log]
    assert any(s in (429, 503) for s in statuses) or knobs.drop_rate


def test_non_premium_tenant_falls_back_and_concealed_names_give_usage_unknown(database) -> None:
    model = TenantModel(profile_spec("fabrikam"))
    sim = Simulator([model])
    run = import_with(sim, database, make_connection(database, "fabrikam"))
    assert_matches_truth(run, model, database)
    assert any("Entra ID P1/P2" in w for w in run.warnings)
    assert any("conceal" in w for w in run.warnings)


def test_incremental_import_after_mutations_equals_a_full_import(database, tmp_path) -> None:
    model = TenantModel(profile_spec(PROFILE))
    sim = Simulator([model])
    connection = make_connection(database)
    first = import_with(sim, database, connection)
    assert first.status is ImportStatus.SUCCEEDED
    model.mutate(seed=3, changes=40)
    base = ConnectionRepository().incremental_base(database.thread_connection(), connection.id)
    assert base is not None
    sim.log.clear()
    delta_run = import_with(
        sim,
        database,
        connection,
        delta_link=base[0],
        previous_snapshot_id=base[1],
        previous_sign_in=base[2],
        delta_select=base[3],
    )
    assert delta_run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("Incremental import" in w for w in delta_run.warnings)
    assert_matches_truth(delta_run, model, database)
    after_delta = current_users(database)
    delta_calls = [e for e in sim.log if "/v1.0/users" in e.url]

    full_db = Database(tmp_path / "full.sqlite3")
    full_db.migrate()
    full_run = import_with(sim, full_db, make_connection(full_db))
    assert_matches_truth(full_run, model, full_db)
    assert current_users(full_db) == after_delta
    # The incremental run read the delta pages and the changed users in batches of 15: far
    # fewer users than a full read, and no full /users listing.
    filtered = [e for e in delta_calls if "filter=" in e.url]
    assert all(e in filtered or "/users/delta" in e.url for e in delta_calls)
    assert 1 <= len(filtered) <= 40 // 15 + 1


def test_the_reports_download_while_the_users_page_in(database) -> None:
    """Independent downloads do not wait for each other: with a small latency per request,
    report requests reach Graph before the last user page has been asked for."""
    profile = "size:3000:5"  # six pages of users
    model = TenantModel(profile_spec(profile))
    sim = Simulator([model], knobs=Knobs(latency_s=0.05))
    run = import_with(sim, database, make_connection(database, profile))
    assert_matches_truth(run, model, database)
    endpoints = [entry.endpoint for entry in sim.log]
    last_users_page = max(i for i, e in enumerate(endpoints) if e == "users")
    first_report = min(i for i, e in enumerate(endpoints) if e.startswith("report:"))
    assert first_report < last_users_page, endpoints
