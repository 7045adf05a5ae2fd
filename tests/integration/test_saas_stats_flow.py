"""SaaS Management statistics flow forward with every write that changes the current
snapshots: after a connection is deleted, a read (another process, nothing in memory) finds
them stored and computes nothing (issue 10, point 1)."""

from __future__ import annotations

import pytest

import core.licensing.service as service_module
from core.controller import Controller


def test_deleting_a_connection_stores_the_saas_statistics_again(
    controller: Controller, app_paths, database, secret_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    connections = controller.add_demo_connections(start_imports=False)
    for connection in connections:
        assert controller.import_now(connection.id).error is None
    controller.set_up_demo_saas()  # the demo may have set it up already
    controller.enable_saas()
    assert controller.import_saas().ok
    controller.delete_connection(connections[-1].id)
    expected = {r.id: r for r in controller.license_rows()}

    def no_computing(*_args: object) -> None:
        raise AssertionError("the SaaS statistics were computed by a read")

    monkeypatch.setattr(service_module, "saas_stats", no_computing)
    fresh = Controller.assemble(paths=app_paths, database=database, secret_store=secret_store)
    try:
        assert {r.id: r for r in fresh.license_rows()} == expected
    finally:
        fresh.close()
