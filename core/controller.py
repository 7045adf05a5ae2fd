"""The controller: the only door from the desktop (and the CLI) into core.

It owns the executor that runs imports of different tenants in parallel (bounded) and never
the same connection twice, and it composes the licensing and SaaS Management services.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from core.auth import (
    MemoryTokenCacheStore,
    admin_consent_steps,
    sign_in_device_code,
    sign_in_interactive,
)
from core.connections.check import run_connection_test
from core.connections.fields import fields_for
from core.connections.rules import validate
from core.connections.tenant_claim import claim_tenant, refuse_taken_tenant
from core.connections.versions import M365FieldMode, m365_field_mode, source_type_options
from core.connections.wiring import (
    build_graph,
    build_session,
    build_tokens,
    cache_store_for,
    delete_secrets,
    load_secrets,
    reports_available,
    save_secrets,
    with_simulated_secrets,
)
from core.domain.beacon import BeaconVersion, parse_beacon_version
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
    ScheduleKind,
    SourceType,
    effective_method,
)
from core.domain.fields import FieldSpec
from core.domain.imports import ImportProgress, ImportRun, ImportStatus
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
from core.domain.saas import SaasConfig, SaasResult, SaasStatus, SaasZone, SwitchCounts
from core.domain.settings import AppSettings, parse_setting, settings_from_rows
from core.errors import ConnectionInUse, LicenseDeskError, StorageError, ValidationError
from core.exports import TABLES, csv_rows
from core.imports.engine import ImportRequest, run_import
from core.licensing import status as license_status
from core.licensing.service import LicensingService
from core.paths import AppPaths
from core.saas.service import SaasManagementService
from core.secrets import SecretStore
from core.storage.db import Database, from_iso, utc_now
from core.storage.locks import ImportLock, LockHolder, is_locked
from core.storage.report_budget import StoredReportBudget
from core.storage.repositories import (
    ConnectionRepository,
    ImportRunRepository,
    SettingsRepository,
    connection_as_draft,
)

log = logging.getLogger(__name__)

ProgressListener = Callable[[ImportProgress], None]
# Settings the stored holder statistics depend on (spec §7: inactivity and new-hire window).
STATS_SETTINGS = frozenset({"inactive_days", "min_assignment_age_days"})
# Secrets and certificates expiring within this many days are flagged.
EXPIRY_WARNING_DAYS = 30


@dataclass
class ImportHandle:
    connection_id: int
    connection_name: str
    cancel_token: CancelToken
    future: Future[ImportRun]
    latest: ImportProgress | None = field(default=None)
    # The connection's lock in the data folder: held while the import runs.
    lock: ImportLock | None = field(default=None, repr=False)
    started_at: datetime = field(default_factory=utc_now)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def done(self) -> bool:
        return self.future.done()


@dataclass(frozen=True)
class SignInResult:
    tenant_id: str
    username: str


class Controller:
    def __init__(
        self,
        *,
        paths: AppPaths,
        database: Database,
        secret_store: SecretStore,
        executor: Executor | None = None,
        max_parallel_imports: int = 4,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.paths = paths
        self.database = database
        self.secrets = secret_store
        self._executor = executor or ThreadPoolExecutor(
            max_workers=max_parallel_imports, thread_name_prefix="import"
        )
        self._owns_executor = executor is None
        self._clock = clock
        self._connections = ConnectionRepository()
        self._settings = SettingsRepository()
        self._runs = ImportRunRepository()
        self._lock = threading.Lock()
        self._running: dict[int, ImportHandle] = {}
        # Multi-tenant sign-ins done in the dialog before the connection exists.
        self._pending_caches: dict[str, MemoryTokenCacheStore] = {}
        # Shared through SQLite with every other process on this database (CLI, scheduler).
        self._report_budget = StoredReportBudget(database)
        self.licensing = LicensingService(database, settings=self.settings, clock=clock)
        self._closing = CancelToken()  # ends SaaS Management retry waits on close
        self.saas = SaasManagementService(
            database, secret_store, licensing=self.licensing, clock=clock, cancel=self._closing
        )

    @classmethod
    def open(cls, paths: AppPaths | None = None, **kwargs: object) -> Controller:
        """Resolve paths, migrate the database and build a controller (app and CLI start)."""
        paths = (paths or AppPaths.resolve()).ensure()
        database = Database(paths.database, backups_dir=paths.backups_dir)
        database.migrate()
        store = SecretStore(blob_dir=paths.data_dir, fallback_file=_secrets_file_choice(paths))
        return cls(paths=paths, database=database, secret_store=store, **kwargs)  # type: ignore[arg-type]

    def close(self, timeout: float = 10.0) -> None:
        self._closing.cancel()
        self.cancel_all()
        self.wait_all(timeout)
        if self._owns_executor and isinstance(self._executor, ThreadPoolExecutor):
            self._executor.shutdown(wait=False, cancel_futures=True)

    # Settings

    def settings(self) -> AppSettings:
        return settings_from_rows(self._settings.get_all(self._db()))

    def beacon_version(self) -> BeaconVersion:
        return parse_beacon_version(self.settings().effective_beacon_version())

    def update_setting(self, key: str, value: str) -> AppSettings:
        """Validate and store one setting; raises ValidationError naming the key."""
        parsed = parse_setting(key, value)
        with self.database.transaction(self._db()) as conn:
            self._settings.set(conn, key, str(parsed))
        if key in STATS_SETTINGS:
            # The holder statistics depend on it: stored again now, so reads stay reads.
            self.licensing.refresh_stored_stats()
        return self.settings()

    # Licenses

    def set_license_statuses(
        self, license_ids: list[int], new_status: LicenseStatus | str, reason: str = ""
    ) -> int:
        """Set the status of several licenses in one transaction with one reason (all or
        none); returns how many changed. Blocking: the desktop runs it as a job."""
        parsed = (
            new_status
            if isinstance(new_status, LicenseStatus)
            else license_status.parse_status(new_status)
        )
        with self.database.transaction(self._db()) as conn:
            return license_status.set_statuses_by_user(
                conn, list(license_ids), parsed, reason, self._clock()
            )

    def license_rows(self, include_retired: bool = True) -> list[LicenseRow]:
        return self.licensing.license_rows(include_retired)

    def license(self, license_id: int) -> LicenseRow:
        return self.licensing.license(license_id)

    def license_detail(
        self, license_id: int, holder_offset: int = 0, holder_limit: int = HOLDER_PAGE
    ) -> LicenseDetail:
        return self.licensing.license_detail(license_id, holder_offset, holder_limit)

    def set_license_status(
        self, license_id: int, new_status: LicenseStatus | str, reason: str = ""
    ) -> bool:
        return self.licensing.set_license_status(license_id, new_status, reason)

    def product_rollup(self) -> list[ProductRow]:
        return self.licensing.product_rollup()

    def overview(self) -> Overview:
        return self.licensing.overview()

    def user_page(self, query: UserQuery) -> tuple[list[UserRow], int]:
        return self.licensing.user_page(query)

    def iter_user_rows(self, query: UserQuery | None = None) -> Iterator[UserRow]:
        return self.licensing.iter_user_rows(query)

    # Prices and SKU names

    def prices(self) -> dict[str, float]:
        return self.licensing.prices()

    def set_price(self, product_key: str, unit_price: float | str | None) -> None:
        self.licensing.set_price(product_key, unit_price)

    def import_prices_csv(self, path: Path | str) -> int:
        return self.licensing.import_prices_csv(path)

    def import_sku_names_csv(self, path: Path | str) -> int:
        return self.licensing.import_sku_names_csv(path)

    def unrecognized_skus(self) -> list[UnrecognizedSku]:
        return self.licensing.unrecognized_skus()

    # SaaS Management (test and import are blocking: the desktop runs them as jobs)

    def saas_config(self) -> SaasConfig:
        return self.saas.config()

    def saas_status(self) -> SaasStatus:
        return self.saas.status()

    def configure_saas(
        self,
        zone: SaasZone | str,
        org_id: str,
        refresh_token: str | None,
        token_url: str | None = None,
        api_url: str | None = None,
        simulated: bool = False,
    ) -> SaasConfig:
        return self.saas.configure(zone, org_id, refresh_token, token_url, api_url, simulated)

    def saas_retire_preview_count(self) -> int:
        return self.saas.retire_preview_count()

    def saas_switch_preview(self, enabled: bool) -> SwitchCounts:
        return self.saas.switch_preview(enabled)

    def enable_saas(self) -> SwitchCounts:
        return self.saas.enable()

    def disable_saas(self) -> SwitchCounts:
        return self.saas.disable()

    def test_saas(self) -> SaasResult:
        return self.saas.test()

    def import_saas(self) -> SaasResult:
        return self.saas.import_now()

    # Where things are kept

    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir

    @property
    def log_file(self) -> Path:
        return self.paths.log_file

    @property
    def keychain_available(self) -> bool:
        return self.secrets.available

    @property
    def keeps_secrets(self) -> bool:
        """False where no keychain was found and secrets last only for this run."""
        return self.secrets.keeps_secrets

    def keychain_description(self) -> str:
        return self.secrets.describe()

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
        return self._connections.list(self._db())

    def get_connection(self, connection_id: int) -> Connection:
        found = self._connections.get(self._db(), connection_id)
        if found is None:
            raise LicenseDeskError(f"There is no connection with id {connection_id}.")
        return found

    def find_connection(self, name: str) -> Connection:
        found = self._connections.find_by_name(self._db(), name)
        if found is None:
            raise LicenseDeskError(f"There is no connection named “{name}”.")
        return found

    def draft_for_edit(self, connection_id: int) -> ConnectionDraft:
        """The saved connection as a draft; secrets stay empty (empty = keep the stored one)."""
        return connection_as_draft(self.get_connection(connection_id), ConnectionSecrets())

    def new_connection_draft(self) -> ConnectionDraft:
        """An empty draft of the first source type the beacon version offers."""
        source_type = source_type_options(self.beacon_version())[0][1]
        method = effective_method(source_type, None)
        return ConnectionDraft(name="", source_type=source_type, method=method)

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
        return fields_for(
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
        return m365_field_mode(source_type, version) is M365FieldMode.MANUAL

    def validate_draft(
        self, draft: ConnectionDraft, *, editing_id: int | None = None
    ) -> dict[str, str]:
        return validate(
            draft,
            version=self.beacon_version(),
            existing=self.list_connections(),
            editing_id=editing_id,
            require_secrets=editing_id is None and not draft.is_simulated,
        )

    def create_connection(
        self, draft: ConnectionDraft, *, warnings: list[str] | None = None
    ) -> Connection:
        """Save a new connection. A tenant typed as a domain is looked up first: a second
        connection to a tenant is refused; if it cannot be looked up (offline) a sentence
        goes to `warnings` and the import checks it instead."""
        errors = self.validate_draft(draft)
        if errors:
            raise ValidationError(errors)
        tenant_id = claim_tenant(draft, self._db(), editing_id=None, warnings=warnings)
        with self.database.transaction(self._db()) as conn:
            new_id = self._connections.insert(conn, draft)
            if tenant_id:
                self._connections.set_tenant_id(conn, new_id, tenant_id)
        try:
            save_secrets(self.secrets, new_id, draft.secrets)
            pending = self._pending_caches.pop(draft.name.strip().lower(), None)
            store = cache_store_for(draft, self.secrets, new_id)
            if pending is not None and store is not None and pending.load():
                store.save(pending.load() or "")
        except LicenseDeskError:
            with self.database.transaction(self._db()) as conn:
                self._connections.delete(conn, new_id)
            raise
        return self.get_connection(new_id)

    def update_connection(
        self, connection_id: int, draft: ConnectionDraft, *, warnings: list[str] | None = None
    ) -> Connection:
        errors = self.validate_draft(draft, editing_id=connection_id)
        if errors:
            raise ValidationError(errors)
        before = self.get_connection(connection_id)
        tenant_id = claim_tenant(draft, self._db(), editing_id=connection_id, warnings=warnings)
        with self.database.transaction(self._db()) as conn:
            self._connections.update(conn, connection_id, draft)
            if tenant_id or before.tenant.strip().lower() != draft.tenant.strip().lower():
                self._connections.set_tenant_id(conn, connection_id, tenant_id)
        save_secrets(self.secrets, connection_id, draft.secrets)
        return self.get_connection(connection_id)

    def delete_connection(self, connection_id: int) -> None:
        if connection_id in self._running_ids() or is_locked(self._locks_dir, connection_id):
            raise ConnectionInUse("This connection is importing; cancel the import first.")
        with self.database.transaction(self._db()) as conn:
            self._connections.delete(conn, connection_id)
        delete_secrets(self.secrets, connection_id)

    def expiring_secrets(self, today: datetime | None = None) -> list[tuple[Connection, int]]:
        """Connections whose secret or certificate expires within 30 days: (connection, days)."""
        day = (today or self._clock()).date()
        out = []
        for connection in self.list_connections():
            if connection.secret_expires_on is None:
                continue
            days = (connection.secret_expires_on - day).days
            if days <= EXPIRY_WARNING_DAYS:
                out.append((connection, days))
        return out

    # Test and sign-in (blocking: the desktop runs them as jobs)

    def test_connection(
        self, draft: ConnectionDraft, *, editing_id: int | None = None
    ) -> ConnectionTestReport:
        draft = self._with_stored_secrets(draft, editing_id)
        try:  # a second connection to a tenant fails here, before any sign-in
            claim_tenant(draft, self._db(), editing_id=editing_id)
        except ValidationError as exc:
            tenant = exc.errors.get("tenant", exc.message)
            return ConnectionTestReport(ok=False, error=tenant, error_field="tenant")
        session = build_session(draft)
        try:
            cache = self._pending_caches.get(draft.name.strip().lower()) or cache_store_for(
                draft, self.secrets, editing_id
            )
            tokens = build_tokens(draft, session=session, cache_store=cache)
            graph = build_graph(
                draft,
                session=session,
                tokens=tokens,
                report_budget=self._report_budget,
                max_retries=2,
            )
            report = run_connection_test(
                graph, reports_available=reports_available(draft), method=draft.method
            )
        finally:
            session.close()
        return refuse_taken_tenant(report, draft, self._db(), editing_id=editing_id)

    def sign_in(
        self,
        draft: ConnectionDraft,
        *,
        show_code: Callable[[str], None],
        cancel: CancelToken,
        editing_id: int | None = None,
    ) -> SignInResult:
        """Multi-tenant sign-in (device code or system browser); keeps the token cache for the
        connection being created, or writes it to the edited connection's keychain entry."""
        if draft.method is not AuthMethod.MULTI_TENANT:
            raise LicenseDeskError("Only multi-tenant connections sign in interactively.")
        session = build_session(draft)
        store = (
            cache_store_for(draft, self.secrets, editing_id)
            if editing_id is not None
            else self._pending_caches.setdefault(
                draft.name.strip().lower(), MemoryTokenCacheStore()
            )
        )
        assert store is not None  # a multi-tenant draft always has a token cache
        try:
            if draft.is_simulated:
                # The simulator's administrator approves at once: no browser opens and no code
                # is shown; every request goes to the simulator mounted on the session.
                result = sign_in_device_code(
                    draft,
                    session=session,
                    cache_store=store,
                    show_code=_ignore,
                    cancel=cancel,
                    wait=_cancelled_now(cancel),
                )
            elif draft.use_device_code:
                result = sign_in_device_code(
                    draft, session=session, cache_store=store, show_code=show_code, cancel=cancel
                )
            else:
                result = sign_in_interactive(
                    draft, session=session, cache_store=store, cancel=cancel
                )
        finally:
            session.close()
        return SignInResult(tenant_id=result.tenant_id, username=result.username)

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
        connection = self.get_connection(connection_id)
        if self.database.read_only:
            raise StorageError(
                f"The database {self.database.path} is read-only, so nothing can be imported "
                "into it."
            )
        with self._lock:
            running = self._running.get(connection_id)
            if running is not None and not running.done:
                holder = LockHolder(os.getpid(), socket.gethostname(), running.started_at, "")
                raise ConnectionInUse(replace(holder, name=connection.name).describe())
            # Across processes: the CLI beside the window, a second scheduled run.
            started = utc_now()
            lock = ImportLock.acquire(
                self._locks_dir, connection_id, name=connection.name, started_at=started
            )
            cancel = CancelToken()
            future: Future[ImportRun] = Future()
            handle = ImportHandle(connection_id, connection.name, cancel, future, lock=lock)
            handle.started_at = started
            self._running[connection_id] = handle

        def progress(event: ImportProgress) -> None:
            handle.latest = event
            if on_progress is not None:
                on_progress(event)

        def job() -> ImportRun:
            try:
                return self._run_import(connection, progress, cancel, incremental)
            finally:
                self.database.close_thread_connection()
                lock.release()

        try:
            inner = self._executor.submit(job)
        except BaseException:
            lock.release()
            with self._lock:
                self._running.pop(connection_id, None)
            raise
        inner.add_done_callback(lambda f: self._finish(handle, f))
        return handle

    def start_all_imports(
        self, *, on_progress: ProgressListener | None = None
    ) -> list[ImportHandle]:
        handles = []
        for connection in self.list_connections():
            # A connection another process imports (the CLI beside the window) is left to it.
            busy = connection.id in self._running_ids() or is_locked(self._locks_dir, connection.id)
            if not busy:
                handles.append(self.start_import(connection.id, on_progress=on_progress))
        return handles

    def import_now(self, connection_id: int, *, incremental: bool = False) -> ImportRun:
        """Run one import to the end (CLI, benchmark)."""
        return self.start_import(connection_id, incremental=incremental).future.result()

    def running_imports(self) -> list[ImportHandle]:
        with self._lock:
            return [h for h in self._running.values() if not h.done]

    def cancel_import(self, connection_id: int) -> None:
        with self._lock:
            handle = self._running.get(connection_id)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for handle in self.running_imports():
            handle.cancel()

    def wait_all(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for handle in self.running_imports():
            remaining = None
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
            try:
                handle.future.result(timeout=remaining)
            except Exception:
                if not handle.done:
                    return False
        return True

    def import_history(
        self, connection_id: int | None = None, limit: int = 1000
    ) -> list[ImportRun]:
        return self._runs.list(self._db(), connection_id=connection_id, limit=limit)

    def last_successful_imports(self) -> dict[int, datetime]:
        """Per connection, when its last successful import started: the data shown is from it
        (a later failed or cancelled run changes nothing)."""
        rows = (
            self._db()
            .execute(
                "SELECT connection_id, MAX(started_at) FROM import_runs "
                "WHERE connection_id IS NOT NULL AND status IN (?, ?) GROUP BY connection_id",
                (ImportStatus.SUCCEEDED.value, ImportStatus.SUCCEEDED_WITH_WARNINGS.value),
            )
            .fetchall()
        )
        out = {}
        for connection_id, started in rows:
            when = from_iso(started)
            if when is not None:
                out[int(connection_id)] = when
        return out

    def due_connections(self, now: datetime | None = None) -> list[Connection]:
        """Connections whose schedule says an import is due (the app checks every minute)."""
        now = now or self._clock()
        due = []
        for connection in self.list_connections():
            if connection.id in self._running_ids() or is_locked(self._locks_dir, connection.id):
                continue
            if _is_due(connection, now):
                due.append(connection)
        return due

    def run_due_imports(self, *, on_progress: ProgressListener | None = None) -> list[ImportHandle]:
        return [self.start_import(c.id, on_progress=on_progress) for c in self.due_connections()]

    # Demo

    def add_demo_connections(self, *, start_imports: bool = True) -> list[Connection]:
        """Create the demo tenants' connections (once), set up the demo SaaS Management
        organization (configured, simulated, not enabled) and import the tenants. The same for
        `licensedesk --demo`, the window's "Add demo tenants" and `licensedesk-cli demo`."""
        from core.simulator.demo import demo_drafts

        created = []
        for draft in demo_drafts():
            existing = self._connections.find_by_name(self._db(), draft.name)
            connection = existing or self.create_connection(draft)
            created.append(connection)
        if not self.licensing.prices():
            # Sample list prices (USD per user per month) so the demo shows cost and waste;
            # the user's own prices are never overwritten.
            with resources.as_file(resources.files("resources") / "demo_prices.csv") as path:
                self.licensing.import_prices_csv(path)
        self.set_up_demo_saas()
        if start_imports:
            for connection in created:
                if connection.id not in self._running_ids():
                    self.start_import(connection.id)
        return created

    def set_up_demo_saas(self) -> bool:
        """Point the SaaS Management connector at the simulated demo organization, left
        disabled (enabling it then shows the connector retiring the Office 365 licenses). A
        connector already set up is kept. Returns whether it was set up now."""
        if self.saas.config().configured:
            return False
        self.saas.configure(SaasZone.NAM, "", None, simulated=True)
        return True

    # Internals

    def _run_import(
        self,
        connection: Connection,
        progress: ProgressListener,
        cancel: CancelToken,
        incremental: bool,
    ) -> ImportRun:
        draft = with_simulated_secrets(
            connection_as_draft(connection, load_secrets(self.secrets, connection.id))
        )
        settings = self.settings()
        session = build_session(draft)
        try:
            tokens = build_tokens(
                draft,
                session=session,
                cache_store=cache_store_for(draft, self.secrets, connection.id),
            )
            graph = build_graph(
                draft,
                session=session,
                tokens=tokens,
                report_budget=self._report_budget,
                cancel=cancel,
            )
            base = (
                self._connections.incremental_base(self._db(), connection.id)
                if incremental
                else None
            )
            request = ImportRequest(
                connection=connection,
                graph=graph,
                database=self.database,
                reports_available=reports_available(draft),
                snapshots_kept=settings.snapshots_kept,
                commit_hooks=[self.licensing.sync_after_import],
                now=self._clock,
                delta_link=base[0] if base else None,
                previous_snapshot_id=base[1] if base else None,
                previous_sign_in=base[2] if base else False,
                delta_select=base[3] if base else "",
            )
            return run_import(request, progress=progress, cancel=cancel)
        finally:
            session.close()

    def _finish(self, handle: ImportHandle, inner: Future[ImportRun]) -> None:
        if handle.lock is not None:
            handle.lock.release()  # also when the pool dropped the job unrun
        exc = inner.exception()
        if exc is not None:
            log.error("import job of %s raised: %r", handle.connection_name, exc)
            handle.future.set_exception(exc)
        else:
            run = inner.result()
            handle.future.set_result(run)
            if run.status in (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS):
                self._warm_licensing()

    def _warm_licensing(self) -> None:
        """Build the license rows once on a pool thread after an import (the statistics were
        stored by its commit), so the window's next read finds them in memory."""

        def warm() -> None:
            try:
                self.licensing.license_rows()
            except Exception:
                log.exception("could not prepare the license figures after an import")
            finally:
                self.database.close_thread_connection()

        with contextlib.suppress(RuntimeError):  # the pool is shutting down with the app
            self._executor.submit(warm)

    @property
    def _locks_dir(self) -> Path:
        return self.database.locks_dir

    def _running_ids(self) -> set[int]:
        return {h.connection_id for h in self.running_imports()}

    def _with_stored_secrets(
        self, draft: ConnectionDraft, editing_id: int | None
    ) -> ConnectionDraft:
        if draft.is_simulated:
            return with_simulated_secrets(draft)
        if editing_id is None:
            return draft
        stored = load_secrets(self.secrets, editing_id)
        merged = {name: value or getattr(stored, name) for name, value in draft.secrets.items()}
        return replace(draft, secrets=ConnectionSecrets(**merged))

    def _db(self) -> sqlite3.Connection:
        return self.database.thread_connection()


def _ignore(_message: str) -> None:
    """A simulated sign-in has no code for the user to type."""


def _cancelled_now(cancel: CancelToken) -> Callable[[float], bool]:
    """A device-code wait that does not wait (the simulator answers on the next poll)."""
    return lambda _seconds: cancel.cancelled


def _secrets_file_choice(paths: AppPaths) -> Path | None:
    """Where no keychain exists, secrets live for this run only, unless the user explicitly
    chose an owner-only file by setting LICENSEDESK_SECRETS_FILE (a path, or 1 for the data
    folder's secrets.json). With a keychain the variable is ignored."""
    choice = os.environ.get("LICENSEDESK_SECRETS_FILE", "").strip()
    if not choice:
        return None
    return paths.data_dir / "secrets.json" if choice == "1" else Path(choice).expanduser()


def _is_due(connection: Connection, now: datetime) -> bool:
    schedule = connection.schedule
    last = connection.last_import_at
    if schedule.kind is ScheduleKind.MANUAL:
        return False
    if schedule.kind is ScheduleKind.EVERY_N_HOURS:
        return last is None or now - last >= timedelta(hours=schedule.every_hours)
    hour, minute = (int(p) for p in schedule.daily_at.split(":"))
    local_now = now.astimezone()
    slot = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if local_now < slot:
        slot -= timedelta(days=1)
    return last is None or last.astimezone() < slot


__all__ = ["Controller", "ImportHandle", "SignInResult", "admin_consent_steps"]
