"""The controller's pool: imports of different tenants run in parallel, one connection never
twice at once, and cancelling a running import through the controller keeps the old data."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Executor, Future

import pytest

from core.controller import Controller
from core.domain.imports import ImportStatus
from core.errors import ConnectionInUse
from core.exports import HISTORY
from core.simulator.demo import get_simulator, size_draft
from core.storage.db import this_process


def test_same_connection_never_runs_twice_but_tenants_run_in_parallel(controller) -> None:
    first = controller.create_connection(size_draft("size:300:1", name="Tenant one"))
    second = controller.create_connection(size_draft("size:300:2", name="Tenant two"))
    gate = threading.Event()
    both_running = threading.Event()
    seen: set[int] = set()
    lock = threading.Lock()

    def hold(event) -> None:  # keep both imports inside their users step until both got there
        if event.step == "users":
            with lock:
                seen.add(event.connection_id)
                if len(seen) == 2:
                    both_running.set()
            gate.wait(10)

    one = controller.start_import(first.id, on_progress=hold)
    two = controller.start_import(second.id, on_progress=hold)
    assert both_running.wait(10), "the two tenants did not import at the same time"
    with pytest.raises(ConnectionInUse, match="already being imported"):
        controller.start_import(first.id)
    gate.set()
    assert one.future.result(30).status is ImportStatus.SUCCEEDED
    assert two.future.result(30).status is ImportStatus.SUCCEEDED
    # Once finished, the connection can import again.
    again = controller.start_import(first.id)
    assert again.future.result(30).status is ImportStatus.SUCCEEDED


def test_cancel_through_the_controller_keeps_the_previous_import(controller) -> None:
    connection = controller.create_connection(size_draft("size:2000:3", name="Tenant three"))
    assert controller.import_now(connection.id).status is ImportStatus.SUCCEEDED
    before = controller.license_rows()
    get_simulator("size:2000:3").knobs.latency_s = 0.05  # slow pages so Cancel lands mid-read

    def cancel_on_users(event) -> None:
        # As the users step starts: the staging worker's counts reach us asynchronously, so
        # waiting for one (done > 0) could land after the last page, or after the commit.
        if event.step == "users":
            controller.cancel_import(connection.id)

    run = controller.start_import(connection.id, on_progress=cancel_on_users).future.result(60)
    assert run.status is ImportStatus.CANCELLED
    assert controller.license_rows() == before
    assert [r.status for r in controller.import_history(connection.id)] == [
        ImportStatus.CANCELLED,
        ImportStatus.SUCCEEDED,
    ]


class _InlineExecutor(Executor):
    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a pool does
            future.set_exception(exc)
        return future


def test_license_figures_are_prepared_right_after_an_import(
    app_paths, database, secret_store
) -> None:
    controller = Controller.assemble(
        paths=app_paths, database=database, secret_store=secret_store, executor=_InlineExecutor()
    )
    try:
        connection = controller.create_connection(size_draft("size:300:5", name="Warm"))
        assert controller.import_now(connection.id).status is ImportStatus.SUCCEEDED
        stored = database.thread_connection().execute(
            "SELECT COUNT(*) FROM holder_stats h JOIN snapshots s ON s.id = h.snapshot_id "
            "WHERE s.state = 'current'"
        )
        assert stored.fetchone()[0] > 0  # the window's first read finds them ready
    finally:
        controller.close()


@pytest.mark.parametrize("warm_figures", [False, True])
def test_only_a_window_builds_the_figures_after_an_import(
    app_paths, database, secret_store, monkeypatch: pytest.MonkeyPatch, warm_figures: bool
) -> None:
    """A CLI process or a worker would wait at exit for figures it throws away."""
    from core.bootstrap import assemble
    from core.licensing.service import LicensingService

    built: list[bool] = []
    read = LicensingService.license_rows
    monkeypatch.setattr(
        LicensingService, "license_rows", lambda self, *a: built.append(True) or read(self, *a)
    )
    services = assemble(
        paths=app_paths,
        database=database,
        secret_store=secret_store,
        warm_figures=warm_figures,
    )
    controller = Controller(services)
    try:
        connection = controller.create_connection(size_draft("size:200:1", name="Warm sim"))
        assert controller.import_now(connection.id).error is None
    finally:
        controller.close()  # waits for the pool, the work after the import included
    assert bool(built) is warm_figures


def test_the_history_names_the_machine_that_ran_each_import(controller) -> None:
    connection = controller.create_connection(size_draft("size:20:9", name="Tenant R"))
    controller.import_now(connection.id)

    [run] = controller.import_history(connection.id)
    assert run.run_by == this_process()  # host:pid, as the claims name their holders
    assert run.run_on == socket.gethostname()
    assert HISTORY.record(run, "")["run_by"] == this_process()
