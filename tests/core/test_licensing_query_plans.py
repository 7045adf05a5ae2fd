"""The SaaS Management statistics look each app user up by UPN (the users_upn index), so they
never grow with users × app users (3.3 s to 15 s on the demo before, a third of a second after)."""

from __future__ import annotations

import pytest

from core.licensing import stats, usage_sql
from core.licensing.catalog import load_catalog
from core.storage.db import Database

pytestmark = pytest.mark.sqlite_only("SQLite's query plans (INDEXED BY)")

UPN_LOOKUP = "users_upn (snapshot_id=? AND upn_lower=?)"


def _plan(database: Database, sql: str, params: tuple[str, ...] = ()) -> list[str]:
    conn = database.thread_connection()
    usage_sql.prepare_overlap(conn, load_catalog(None))
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_saas_statistics_find_app_users_by_upn(database: Database) -> None:
    plan = _plan(database, stats._SAAS_STATS, usage_sql.window_params(90, 14))
    users = [step for step in plan if " u " in f" {step} "]
    assert users and all(UPN_LOOKUP in step for step in users), plan


def test_unattributed_app_users_are_found_by_upn(database: Database) -> None:
    plan = _plan(database, stats._UNATTRIBUTED)
    users = [step for step in plan if " u " in f" {step} "]
    assert users and all(UPN_LOOKUP in step for step in users), plan
    assert not any(step.startswith("SCAN u") for step in plan), plan


def test_holder_statistics_compute_the_cut_off_dates_once(database: Database) -> None:
    plan = _plan(database, stats._SKU_STATS, (*usage_sql.window_params(90, 14), "1"))
    assert "MATERIALIZE cur" in plan, plan
