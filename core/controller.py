"""The controller: the only door from the desktop (and the CLI) into core.

A thin facade: each method hands over to one of the services it is given (built once by
`core.bootstrap`). Methods marked blocking do network or long database work: the desktop runs
them as jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path

from core.auth import admin_consent_steps
from core.bootstrap import Services, assemble, build_worker, open_services
from core.domain.beacon import BeaconVersion
from core.domain.cancel import CancelToken
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    Connection,
    ConnectionDraft,
    ConnectionSecrets,
    ConnectionTestReport,
    CredentialKind,
    ProxyMode,
    SignInResult,
    SourceType,
)
from core.domain.fields import FieldSpec
from core.domain.imports import ImportRun
from core.domain.licensing import (
    HOLDER_PAGE,
    LicenseDetail,
    LicenseRow,
    LicenseStatus,
    Overview,
    ProductRow,
    UnrecognizedSku,
    UserQuery,
    UserRow,
)
from core.domain.queue import QueuedImport, WorkerEvent, WorkerImport
from core.domain.saas import SaasConfig, SaasResult, SaasStatus, SaasZone, SwitchCounts
from core.domain.settings import AppSettings
from core.domain.team import (
    THIS_COMPUTER,
    DatabaseCheck,
    OpenedDatabase,
    TeamDatabase,
    validate_team_database,
)
from core.errors import StorageError
from core.exports import TABLES, csv_rows
from core.import_pool import ImportHandle, ProgressListener
from core.paths import AppPaths
from core.secrets import SecretStore
from core.storage.db import Database, utc_now


class Controller:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._paths = services.paths
        self._secrets = services.secrets
        self._settings = services.settings
        self._connections = services.connections
        self._imports = services.imports
        self._licensing = services.licensing
        self._saas = services.saas
        self._demo = services.demo
        self._clock = services.clock

    @staticmethod
    def use_database(url: str) -> None:
        """Open the PostgreSQL database at `url` from now on (`--database`; no password in
        it: PGPASSWORD or ~/.pgpass). Raises StorageError for a URL with a password."""
        from core.storage.location import choose_database

        choose_database(url)

    # Which database: this computer's SQLite file or a team's PostgreSQL database

    def opened_database(self) -> OpenedDatabase:
        """The store this controller has open: its URL (None: SQLite), a label for the window's
        title, and why it is read-only, if it is."""
        database = self._services.database
        url = database.location if database.location != str(database.path) else None
        if url:
            from core.storage.team import database_label

            label = database_label(url)
        else:
            label = THIS_COMPUTER
        return OpenedDatabase(url, label, database.read_only_reason())

    @staticmethod
    def validate_team_database(fields: TeamDatabase) -> dict[str, str]:
        """{field: message} of the Team database dialog (pure)."""
        return validate_team_database(fields)

    def test_database(self, fields: TeamDatabase, password: str = "") -> DatabaseCheck:
        """Connect once to the team database; empty `password`: the one stored for it, else
        libpq's (PGPASSWORD, ~/.pgpass). Raises StorageError saying why not. Blocking."""
        from core.storage.location import stored_password
        from core.storage.team import probe_database

        url = fields.url()
        return probe_database(url, password or stored_password(url, self._secrets))

    def switch_database(self, fields: TeamDatabase | None, password: str = "") -> None:
        """Use the team database `fields` (None: this computer's SQLite file) from the next
        open on, in this process and, saved in the data folder, in the next window and CLI.
        A password given goes to the secret store only (keyed by the URL without it)."""
        from core.storage.location import choose_database, password_key, save_database_choice

        url = fields.url() if fields is not None else None
        if url and password:
            if not self._secrets.keeps_secrets:
                # The window opens again with a new store: one in memory would lose it.
                raise StorageError(
                    "No keychain was found to keep the password: put it in ~/.pgpass, or set "
                    "LICENSEDESK_SECRETS_FILE to keep it in an owner-only file."
                )
            self._secrets.set(password_key(url), password)
        save_database_choice(self._paths.data_dir, url)
        choose_database(url or "")

    @staticmethod
    def return_to_database(url: str | None) -> None:
        """Save `url` (None: SQLite) as the choice again and use it in this process: the window
        goes back to the store it had when the one chosen could not be opened."""
        from core.storage.location import choose_database, save_database_choice

        save_database_choice(AppPaths.resolve().data_dir, url)
        choose_database(url or "")

    @classmethod
    def open(
        cls,
        paths: AppPaths | None = None,
        *,
        executor: Executor | None = None,
        max_parallel_imports: int = 4,
        warm_figures: bool = False,
    ) -> Controller:
        """Resolve paths, migrate the database and build a controller (app and CLI start;
        the window asks for `warm_figures`: the license figures built after each import)."""
        return cls(
            open_services(
                paths,
                executor=executor,
                max_parallel_imports=max_parallel_imports,
                warm_figures=warm_figures,
            )
        )

    @classmethod
    def assemble(
        cls,
        *,
        paths: AppPaths,
        database: Database,
        secret_store: SecretStore,
        executor: Executor | None = None,
        max_parallel_imports: int = 4,
        clock: Callable[[], datetime] = utc_now,
    ) -> Controller:
        """A controller on an opened database (tests pass an inline executor)."""
        return cls(
            assemble(
                paths=paths,
                database=database,
                secret_store=secret_store,
                executor=executor,
                max_parallel_imports=max_parallel_imports,
                clock=clock,
            )
        )

    def close(self, timeout: float = 10.0) -> None:
        self._services.closing.cancel()
        self._imports.close(timeout)

    # Settings

    def settings(self) -> AppSettings:
        return self._settings.current()

    def beacon_version(self) -> BeaconVersion:
        return self._settings.beacon_version()

    def update_setting(self, key: str, value: str) -> AppSettings:
        """Validate and store one setting; raises ValidationError naming the key."""
        return self._settings.update(key, value)

    def update_settings(self, values: dict[str, str]) -> dict[str, str]:
        """Store the settings that changed and are valid, in one transaction with the
        statistics that depend on them; returns {key: message} of those refused as invalid."""
        return self._settings.update_many(values)

    # Licenses

    def license_rows(self, include_retired: bool = True) -> list[LicenseRow]:
        return self._licensing.license_rows(include_retired)

    def license(self, license_id: int) -> LicenseRow:
        return self._licensing.license(license_id)

    def license_detail(
        self, license_id: int, holder_offset: int = 0, holder_limit: int = HOLDER_PAGE
    ) -> LicenseDetail:
        return self._licensing.license_detail(license_id, holder_offset, holder_limit)

    def set_license_status(
        self, license_id: int, new_status: LicenseStatus | str, reason: str = ""
    ) -> bool:
        return self._licensing.set_license_status(license_id, new_status, reason)

    def set_license_statuses(
        self, license_ids: list[int], new_status: LicenseStatus | str, reason: str = ""
    ) -> int:
        """Set the status of several licenses in one transaction with one reason (all or
        none); returns how many changed. Blocking."""
        return self._licensing.set_license_statuses(license_ids, new_status, reason)

    def product_rollup(self) -> list[ProductRow]:
        return self._licensing.product_rollup()

    def overview(self) -> Overview:
        return self._licensing.overview()

    def user_page(self, query: UserQuery) -> tuple[list[UserRow], int]:
        return self._licensing.user_page(query)

    def iter_user_rows(self, query: UserQuery | None = None) -> Iterator[UserRow]:
        return self._licensing.iter_user_rows(query)

    # Prices and SKU names

    def prices(self) -> dict[str, float]:
        return self._licensing.prices()

    def set_price(self, product_key: str, unit_price: float | str | None) -> None:
        self._licensing.set_price(product_key, unit_price)

    def import_prices_csv(self, path: Path | str) -> int:
        return self._licensing.import_prices_csv(path)

    def import_sku_names_csv(self, path: Path | str) -> int:
        return self._licensing.import_sku_names_csv(path)

    def unrecognized_skus(self) -> list[UnrecognizedSku]:
        return self._licensing.unrecognized_skus()

    # SaaS Management (test and import are blocking)

    def saas_config(self) -> SaasConfig:
        return self._saas.config()

    def saas_status(self) -> SaasStatus:
        return self._saas.status()

    def configure_saas(
        self,
        zone: SaasZone | str,
        org_id: str,
        refresh_token: str | None,
        token_url: str | None = None,
        api_url: str | None = None,
        simulated: bool = False,
    ) -> SaasConfig:
        return self._saas.configure(zone, org_id, refresh_token, token_url, api_url, simulated)

    def saas_retire_preview_count(self) -> int:
        return self._saas.retire_preview_count()

    def saas_switch_preview(self, enabled: bool) -> SwitchCounts:
        return self._saas.switch_preview(enabled)

    def enable_saas(self) -> SwitchCounts:
        return self._saas.enable()

    def disable_saas(self) -> SwitchCounts:
        return self._saas.disable()

    def set_saas_enabled(self, enabled: bool) -> SwitchCounts:
        return self.enable_saas() if enabled else self.disable_saas()

    def test_saas(self) -> SaasResult:
        return self._saas.test()

    def import_saas(self) -> SaasResult:
        return self._saas.import_now()

    # Where things are kept

    @property
    def data_dir(self) -> Path:
        return self._paths.data_dir

    @property
    def database_file(self) -> Path:
        return self._paths.database

    @property
    def log_file(self) -> Path:
        return self._paths.log_file

    @property
    def keychain_available(self) -> bool:
        return self._secrets.available

    @property
    def keeps_secrets(self) -> bool:
        """False where no keychain was found and secrets last only for this run."""
        return self._secrets.keeps_secrets

    def keychain_description(self) -> str:
        return self._secrets.describe()

    # Exports

    def csv_export(
        self, table: str, rows: Iterable[object]
    ) -> tuple[tuple[str, ...], Iterator[list[str]]]:
        """The header and cells of a table's CSV export ("licenses", "products", "users",
        "history", "connections", "overview", "warnings", "prices"): the same as
        `licensedesk-cli … --format csv`. The rows are read as the cells are iterated."""
        spec = TABLES[table]
        return spec.columns, csv_rows(spec, rows, self.settings().currency)

    # Connections

    def list_connections(self) -> list[Connection]:
        return self._connections.list_all()

    def get_connection(self, connection_id: int) -> Connection:
        return self._connections.get(connection_id)

    def draft_for_edit(self, connection_id: int) -> ConnectionDraft:
        """The saved connection as a draft; secrets stay empty (empty = keep the stored one)."""
        return self._connections.draft_for_edit(connection_id)

    def draft_of(self, connection: Connection) -> ConnectionDraft:
        """draft_for_edit of a connection already read (pure)."""
        return self._connections.draft_of(connection)

    def new_connection_draft(self, version: BeaconVersion | None = None) -> ConnectionDraft:
        """An empty draft of the first source type the beacon version offers (pure when the
        caller passes the version it read)."""
        return self._connections.new_draft(version)

    def connection_fields(
        self,
        source_type: SourceType,
        version: BeaconVersion,
        method: AuthMethod | None = None,
        credential_kind: CredentialKind = CredentialKind.SECRET,
        cloud: Cloud = Cloud.GLOBAL,
        *,
        tenant: str = "",
        proxy_mode: ProxyMode | None = None,
    ) -> list[FieldSpec]:
        """The connection dialog's rows for these choices (pure)."""
        return self._connections.fields(
            source_type,
            version,
            method,
            credential_kind,
            cloud,
            tenant=tenant,
            proxy_mode=proxy_mode,
        )

    def manual_entry(self, source_type: SourceType, version: BeaconVersion) -> bool:
        """Whether `version` has every Microsoft 365 field typed by hand (2018 R2)."""
        return self._connections.manual_entry(source_type, version)

    def validate_draft(
        self,
        draft: ConnectionDraft,
        *,
        editing_id: int | None = None,
        version: BeaconVersion | None = None,
        existing: list[Connection] | None = None,
    ) -> dict[str, str]:
        """{field: message}; with `version` and `existing` (read once by the dialog) it is
        pure, otherwise it reads them."""
        return self._connections.validate(
            draft, editing_id=editing_id, version=version, existing=existing
        )

    def create_connection(
        self, draft: ConnectionDraft, *, warnings: list[str] | None = None
    ) -> Connection:
        """Save a new connection. A tenant typed as a domain is looked up first: a second
        connection to a tenant is refused; if it cannot be looked up (offline) a sentence
        goes to `warnings` and the import checks it instead."""
        return self._connections.create(draft, warnings=warnings)

    def update_connection(
        self, connection_id: int, draft: ConnectionDraft, *, warnings: list[str] | None = None
    ) -> Connection:
        return self._connections.update(connection_id, draft, warnings=warnings)

    def delete_connection(self, connection_id: int) -> None:
        self._connections.delete(connection_id)

    def expiring_secrets(self, today: datetime | None = None) -> list[tuple[Connection, int]]:
        """Connections whose secret or certificate expires within 30 days: (connection, days)."""
        return self._connections.expiring_secrets(today)

    def test_connection(
        self, draft: ConnectionDraft, *, editing_id: int | None = None
    ) -> ConnectionTestReport:
        """Blocking."""
        return self._connections.test(draft, editing_id=editing_id)

    def sign_in(
        self,
        draft: ConnectionDraft,
        *,
        show_code: Callable[[str], None],
        cancel: CancelToken,
        editing_id: int | None = None,
    ) -> SignInResult:
        """Multi-tenant sign-in (device code or system browser). Blocking. For a connection
        not saved yet, save the draft with the result's `sign_in_id`."""
        return self._connections.sign_in(
            draft, show_code=show_code, cancel=cancel, editing_id=editing_id
        )

    # Imports

    def start_import(
        self,
        connection_id: int,
        *,
        on_progress: ProgressListener | None = None,
        incremental: bool = False,
    ) -> ImportHandle:
        """Start one import in the pool. `incremental` applies /users/delta changes to the
        current snapshot when a fresh change link exists (else it reads everything)."""
        connection = self._connections.get(connection_id)
        job = self._connections.import_job(connection, incremental=incremental)
        return self._imports.start(connection, job, on_progress=on_progress)

    def start_scheduled_import(
        self, connection_id: int, *, on_progress: ProgressListener | None = None
    ) -> ImportHandle | None:
        """Start the connection's scheduled import if it is still due once this process
        holds it (None: another process imports it, or just did)."""
        return self._imports.start_if_due(
            self._connections.get(connection_id),
            read_again=self._connections.get,
            job_for=self._connections.import_job,
            now=self._clock(),
            on_progress=on_progress,
        )

    def import_now(self, connection_id: int, *, incremental: bool = False) -> ImportRun:
        """Run one import to the end (CLI, benchmark). Blocking."""
        return self.start_import(connection_id, incremental=incremental).future.result()

    def running_imports(self) -> list[ImportHandle]:
        return self._imports.running()

    def cancel_import(self, connection_id: int) -> None:
        self._imports.cancel(connection_id)

    def cancel_all(self) -> None:
        self._imports.cancel_all()

    def wait_all(self, timeout: float | None = None) -> bool:
        return self._imports.wait_all(timeout)

    def import_history(
        self, connection_id: int | None = None, limit: int = 1000
    ) -> list[ImportRun]:
        return self._connections.history(connection_id, limit)

    def last_successful_imports(self) -> dict[int, datetime]:
        """Per connection, when its last successful import started: the data shown is from it
        (a later failed or cancelled run changes nothing)."""
        return self._connections.last_successful_imports()

    def due_connections(self, now: datetime | None = None) -> list[Connection]:
        """Connections whose schedule says an import is due (the app checks every minute)."""
        now = now or self._clock()
        connections = self.list_connections()
        return [c for c in connections if not self._imports.busy(c.id) and c.is_due(now)]

    # Demo

    def add_demo_connections(self, *, start_imports: bool = True) -> list[Connection]:
        """Create the demo tenants' connections (once), set up the demo SaaS Management
        organization (configured, simulated, not enabled) and import the tenants. The same for
        `licensedesk --demo`, the window's "Add demo tenants" and `licensedesk-cli demo`."""
        created = self._demo.add_connections()
        if start_imports:
            running = self._imports.running_ids()
            for connection in created:
                if connection.id not in running:
                    self.start_import(connection.id)
        return created

    def set_up_demo_saas(self) -> bool:
        """Point the SaaS Management connector at the simulated demo organization, left
        disabled. A connector already set up is kept. Returns whether it was set up now."""
        return self._demo.set_up_saas()

    # --- workers and the import queue

    def queue_import(self, connection_id: int, *, incremental: bool = False) -> QueuedImport:
        """Queue an import of the connection for the headless workers ("Execute now" run by
        `licensedesk-cli worker`); the OS user name is recorded as who asked."""
        connection = self._connections.get(connection_id)
        return self._services.queue.add(connection.id, incremental=incremental)

    def queued_imports(self, *, open_only: bool = False, limit: int = 100) -> list[QueuedImport]:
        """The workers' requests, newest first (`open_only`: not finished yet)."""
        return self._services.queue.recent(open_only=open_only, limit=limit)

    def data_version(self) -> str:
        """A token that changes whenever data the window shows changes, in any process (a
        worker's import, another analyst's status change, the CLI); cheap, for polling."""
        return self._services.watch.data_version()

    def worker_imports(self) -> list[WorkerImport]:
        """Imports waiting for a worker or running in another process, one per connection."""
        return self._services.watch.worker_imports()

    def run_worker(
        self,
        stop: CancelToken,
        *,
        on_event: Callable[[WorkerEvent], None],
        poll_seconds: float = 5.0,
        once: bool = False,
    ) -> int:
        """Run queued and due imports of every connection until `stop` is cancelled (`once`:
        what is queued and due now), sharing the work with other workers on this store; then
        cancel what still runs. Returns how many imports failed or were cancelled. Blocking."""
        worker = build_worker(self._services, on_event)
        worker.run(stop, poll_seconds=poll_seconds, once=once)
        return worker.failures

    def set_connection_secrets(self, connection_id: int, secrets: ConnectionSecrets) -> list[str]:
        """Store secrets of a saved connection in this computer's keychain or secrets file
        (a worker's, say); returns the names stored. Secrets it does not use are refused."""
        return self._connections.set_secrets(connection_id, secrets)


__all__ = ["Controller", "ImportHandle", "SignInResult", "admin_consent_steps"]
