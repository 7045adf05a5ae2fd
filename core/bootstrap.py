"""The composition root of core: builds each collaborator of the controller once, for the
window, the CLI and the tests alike. It is the one production module that knows the simulator:
it plugs it in for simulated (demo) connections, and the demo's tenants, prices and SaaS
Management organization come from here."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import requests

from core.connections.service import ConnectionService
from core.connections.wiring import Transport
from core.demo import DemoSetup
from core.domain.cancel import CancelToken
from core.domain.connection import ConnectionDraft, ConnectionSecrets
from core.import_pool import ImportPool
from core.import_queue import ImportQueue
from core.licensing.service import LicensingService
from core.paths import AppPaths
from core.saas.service import SaasManagementService
from core.secrets import SecretStore, open_secret_store
from core.settings import SettingsService
from core.simulation import SimulatedOrganization, Simulation
from core.storage.db import Database, utc_now
from core.storage.location import chosen_database_url, open_database, stored_password
from core.storage.report_budget import StoredReportBudget
from core.watch import ChangeWatch
from core.worker import EventListener, ImportWorker


class SimulatorPlug:
    """`core.simulator` as a `Simulation`, imported on first use (a window with no demo
    connection never loads it)."""

    def mount(self, session: requests.Session, tenant: str) -> None:
        from core.simulator.demo import get_simulator

        get_simulator(tenant).mount(session)

    def secrets(self, tenant: str) -> ConnectionSecrets:
        from core.simulator.demo import profile_spec

        spec = profile_spec(tenant)
        return ConnectionSecrets(client_secret=spec.client_secret, password=spec.password)

    def mount_saas(self, session: requests.Session) -> None:
        self.mount(session, "demo")

    def saas_organization(self) -> SimulatedOrganization:
        from core.simulator.demo import demo_saas_org

        return demo_saas_org()

    def demo_drafts(self) -> list[ConnectionDraft]:
        from core.simulator.demo import demo_drafts

        return demo_drafts()


SIMULATOR: Simulation = SimulatorPlug()


def transport(simulation: Simulation | None = SIMULATOR) -> Transport:
    """Sessions for connections, simulated ones served by the simulator plugged in."""
    return Transport(simulation)


@dataclass(frozen=True)
class Services:
    """Everything the controller is a facade over."""

    paths: AppPaths
    database: Database
    secrets: SecretStore
    settings: SettingsService
    connections: ConnectionService
    imports: ImportPool
    queue: ImportQueue  # "Execute now" requests for the headless workers
    watch: ChangeWatch  # what other processes changed, for a window's poll
    licensing: LicensingService
    saas: SaasManagementService
    demo: DemoSetup
    closing: CancelToken  # set on close: ends SaaS Management retry waits at once
    clock: Callable[[], datetime]


def assemble(
    *,
    paths: AppPaths,
    database: Database,
    secret_store: SecretStore,
    executor: Executor | None = None,
    max_parallel_imports: int = 4,
    clock: Callable[[], datetime] = utc_now,
    simulation: Simulation | None = SIMULATOR,
    warm_figures: bool = False,
) -> Services:
    """Build the services on an opened database (tests pass an inline executor).
    `warm_figures`: after each import, build the license figures on a pool thread so that a
    window's next read finds them in memory; a CLI process or a worker would only wait for
    figures it throws away."""
    settings = SettingsService(database, stats_changed=lambda conn: licensing.store_all_stats(conn))
    licensing = LicensingService(database, settings=settings.current, clock=clock)
    closing = CancelToken()
    saas = SaasManagementService(
        database,
        secret_store,
        licensing=licensing,
        clock=clock,
        cancel=closing,
        simulation=simulation,
    )

    def warm_license_rows() -> None:
        """Build the license rows once on a pool thread after an import (the statistics were
        stored by its commit), so the window's next read finds them in memory."""
        licensing.license_rows()

    imports = ImportPool(
        database.claims,
        executor=executor,
        max_parallel=max_parallel_imports,
        after_success=warm_license_rows if warm_figures else None,
        on_thread_exit=database.close_thread_connection,
    )
    connections = ConnectionService(
        database,
        secret_store,
        settings=settings,
        transport=transport(simulation),
        # Shared through SQLite with every other process on this database (CLI, scheduler).
        report_budget=StoredReportBudget(database),
        commit_hooks=[licensing.sync_after_import],
        deleted_hooks=[licensing.after_snapshots_changed],
        is_busy=imports.busy,
        clock=clock,
    )
    demo = DemoSetup(
        connections=connections,
        licensing=licensing,
        saas=saas,
        drafts=simulation.demo_drafts if simulation is not None else list,
        prices_csv=resources.files("resources") / "demo_prices.csv",
    )
    return Services(
        paths=paths,
        database=database,
        secrets=secret_store,
        settings=settings,
        connections=connections,
        imports=imports,
        queue=ImportQueue(database),
        watch=ChangeWatch(database, database.claims),
        licensing=licensing,
        saas=saas,
        demo=demo,
        closing=closing,
        clock=clock,
    )


def build_worker(services: Services, on_event: EventListener) -> ImportWorker:
    """A headless worker on the services' store, import pool and connections."""
    return ImportWorker(
        database=services.database,
        connections=services.connections,
        pool=services.imports,
        queue=services.queue,
        claims=services.database.claims,
        clock=services.clock,
        on_event=on_event,
    )


def open_services(
    paths: AppPaths | None = None,
    *,
    executor: Executor | None = None,
    max_parallel_imports: int = 4,
    clock: Callable[[], datetime] = utc_now,
    warm_figures: bool = False,
) -> Services:
    """Resolve paths, migrate the database, open the secret store and build the services
    (the window's and the CLI's start)."""
    paths = (paths or AppPaths.resolve()).ensure()
    store = open_secret_store(paths.data_dir)
    url = chosen_database_url(paths.data_dir)
    database = open_database(
        paths.database,
        url=url,
        backups_dir=paths.backups_dir,
        password=stored_password(url, store) if url else None,
    )
    database.migrate()
    return assemble(
        paths=paths,
        database=database,
        secret_store=store,
        executor=executor,
        max_parallel_imports=max_parallel_imports,
        clock=clock,
        warm_figures=warm_figures,
    )
