"""Fixtures of the hostile-service tests: exact Graph answers and a stored connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from core.controller import Controller
from core.domain.connection import Connection, ConnectionDraft
from core.graph import DEFAULT_REPORT_BUDGET
from core.paths import AppPaths
from core.secrets import SecretStore
from core.simulator.demo import reset_simulators
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def connection(database: Database) -> Connection:
    conn = database.thread_connection()
    repo = ConnectionRepository()
    with database.transaction(conn):
        cid = repo.insert(conn, ConnectionDraft(name="Contoso HQ", tenant="contoso.com"))
    found = repo.get(conn, cid)
    assert found is not None
    return found


@pytest.fixture
def controller(
    app_paths: AppPaths, database: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    DEFAULT_REPORT_BUDGET.reset()
    reset_simulators()
    ctl = Controller.assemble(paths=app_paths, database=database, secret_store=secret_store)
    yield ctl
    ctl.close()
    reset_simulators()
