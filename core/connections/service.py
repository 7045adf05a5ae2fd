"""Connections: saved with their secrets in the keychain, checked, signed in to, and the import
job of each. Blocking calls (test, sign-in, the import job) run off the GUI thread."""

from __future__ import annotations

import secrets as token_ids
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from core.auth import MemoryTokenCacheStore, sign_in_device_code, sign_in_interactive
from core.connections.check import run_connection_test
from core.connections.fields import fields_for
from core.connections.rules import validate
from core.connections.tenant_claim import claim_tenant, refuse_taken_tenant
from core.connections.versions import M365FieldMode, m365_field_mode, source_type_options
from core.connections.wiring import (
    Transport,
    build_graph,
    build_tokens,
    cache_store_for,
    delete_secrets,
    load_secrets,
    reports_available,
    save_secrets,
)
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
    effective_method,
)
from core.domain.fields import FieldSpec
from core.domain.imports import ImportRun
from core.errors import ConnectionInUse, LicenseDeskError, ValidationError
from core.graph import ReportBudget
from core.import_pool import ImportJob, ProgressListener
from core.imports.engine import ImportRequest, run_import
from core.secrets import SecretStore
from core.settings import SettingsService
from core.storage.db import Database, utc_now
from core.storage.dialect import DbConnection
from core.storage.repositories import (
    ConnectionRepository,
    ImportRunRepository,
    connection_as_draft,
)
from core.storage.snapshots import CommitHook

# Secrets and certificates expiring within this many days are flagged.
EXPIRY_WARNING_DAYS = 30


class ConnectionService:
    def __init__(
        self,
        database: Database,
        secret_store: SecretStore,
        *,
        settings: SettingsService,
        transport: Transport,
        report_budget: ReportBudget,
        commit_hooks: list[CommitHook] | None = None,
        is_busy: Callable[[int], bool] = lambda _id: False,
        deleted_hooks: list[Callable[[DbConnection], None]] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._secrets = secret_store
        self._settings = settings
        self._transport = transport
        self._report_budget = report_budget
        self._commit_hooks = list(commit_hooks or [])
        self._is_busy = is_busy
        # Run in the transaction that deletes a connection (and its snapshots).
        self._deleted_hooks = list(deleted_hooks or [])
        self._clock = clock
        self._connections = ConnectionRepository()
        self._runs = ImportRunRepository()
        # Multi-tenant sign-ins done before their connection exists, by sign-in id.
        self._pending: dict[str, MemoryTokenCacheStore] = {}

    # Reading

    def list_all(self) -> list[Connection]:
        return self._connections.list(self._db())

    def get(self, connection_id: int) -> Connection:
        found = self._connections.get(self._db(), connection_id)
        if found is None:
            raise LicenseDeskError(f"There is no connection with id {connection_id}.")
        return found

    def find_existing(self, name: str) -> Connection | None:
        return self._connections.find_by_name(self._db(), name)

    def draft_for_edit(self, connection_id: int) -> ConnectionDraft:
        """The saved connection as a draft; secrets stay empty (empty = keep the stored one)."""
        return self.draft_of(self.get(connection_id))

    @staticmethod
    def draft_of(connection: Connection) -> ConnectionDraft:
        return connection_as_draft(connection, ConnectionSecrets())

    def history(self, connection_id: int | None = None, limit: int = 1000) -> list[ImportRun]:
        return self._runs.list(self._db(), connection_id=connection_id, limit=limit)

    def last_successful_imports(self) -> dict[int, datetime]:
        return self._runs.last_successful_starts(self._db())

    def expiring_secrets(self, today: datetime | None = None) -> list[tuple[Connection, int]]:
        """Connections whose secret or certificate expires within 30 days: (connection, days)."""
        day = (today or self._clock()).date()
        out = []
        for connection in self.list_all():
            if connection.secret_expires_on is None:
                continue
            days = (connection.secret_expires_on - day).days
            if days <= EXPIRY_WARNING_DAYS:
                out.append((connection, days))
        return out

    # The dialog's rows and rules

    def new_draft(self, version: BeaconVersion | None = None) -> ConnectionDraft:
        """An empty draft of the first source type the beacon version offers."""
        version = version if version is not None else self._settings.beacon_version()
        source_type = source_type_options(version)[0][1]
        method = effective_method(source_type, None)
        return ConnectionDraft(name="", source_type=source_type, method=method)

    @staticmethod
    def fields(
        source_type: SourceType,
        version: BeaconVersion,
        method: AuthMethod | None = None,
        credential_kind: CredentialKind = CredentialKind.SECRET,
        cloud: Cloud = Cloud.GLOBAL,
        *,
        tenant: str = "",
        proxy_mode: ProxyMode | None = None,
    ) -> list[FieldSpec]:
        return fields_for(
            source_type,
            version,
            method,
            credential_kind,
            cloud,
            tenant=tenant,
            proxy_mode=proxy_mode,
        )

    @staticmethod
    def manual_entry(source_type: SourceType, version: BeaconVersion) -> bool:
        return m365_field_mode(source_type, version) is M365FieldMode.MANUAL

    def validate(
        self,
        draft: ConnectionDraft,
        *,
        editing_id: int | None = None,
        version: BeaconVersion | None = None,
        existing: list[Connection] | None = None,
    ) -> dict[str, str]:
        """{field: message}; `version` and `existing` are read here unless the caller (the
        dialog, which read them once off the GUI thread) passes them."""
        return validate(
            draft,
            version=version if version is not None else self._settings.beacon_version(),
            existing=existing if existing is not None else self.list_all(),
            editing_id=editing_id,
            require_secrets=editing_id is None and not draft.is_simulated,
        )

    # Writing

    def create(self, draft: ConnectionDraft, *, warnings: list[str] | None = None) -> Connection:
        """Save a new connection. A tenant typed as a domain is looked up first: a second
        connection to a tenant is refused; if it cannot be looked up (offline) a sentence
        goes to `warnings` and the import checks it instead."""
        errors = self.validate(draft)
        if errors:
            raise ValidationError(errors)
        tenant_id = self._claim(draft, editing_id=None, warnings=warnings)
        with self._database.transaction(self._db()) as conn:
            new_id = self._connections.insert(conn, draft)
            if tenant_id:
                self._connections.set_tenant_id(conn, new_id, tenant_id)
        try:
            save_secrets(self._secrets, new_id, draft.secrets)
            pending = self._pending.pop(draft.sign_in_id, None) if draft.sign_in_id else None
            store = cache_store_for(draft, self._secrets, new_id)
            if pending is not None and store is not None and pending.load():
                store.save(pending.load() or "")
        except LicenseDeskError:
            with self._database.transaction(self._db()) as conn:
                self._connections.delete(conn, new_id)
            raise
        return self.get(new_id)

    def update(
        self, connection_id: int, draft: ConnectionDraft, *, warnings: list[str] | None = None
    ) -> Connection:
        errors = self.validate(draft, editing_id=connection_id)
        if errors:
            raise ValidationError(errors)
        before = self.get(connection_id)
        tenant_id = self._claim(draft, editing_id=connection_id, warnings=warnings)
        with self._database.transaction(self._db()) as conn:
            self._connections.update(conn, connection_id, draft)
            if tenant_id or before.tenant.strip().lower() != draft.tenant.strip().lower():
                self._connections.set_tenant_id(conn, connection_id, tenant_id)
        save_secrets(self._secrets, connection_id, draft.secrets)
        return self.get(connection_id)

    def set_secrets(self, connection_id: int, secrets: ConnectionSecrets) -> list[str]:
        """Store the given secrets of a saved connection in this computer's keychain (or
        secrets file), for a worker that imports it; returns the names stored. A secret the
        connection does not sign in with is refused, naming the ones it does."""
        connection = self.get(connection_id)
        given = [name for name, value in secrets.items() if value]
        if connection.is_simulated:
            raise ValidationError(
                {
                    name: "a simulated connection signs in with the simulator's own credentials"
                    for name in given
                }
            )
        used = {
            spec.name
            for spec in self.fields(
                connection.source_type,
                self._settings.beacon_version(),
                connection.method,
                connection.credential_kind,
                connection.cloud,
                proxy_mode=connection.proxy_mode,
            )
            if spec.secret
        }
        wanted = ", ".join(sorted(used)) or "none"
        errors = {
            name: f"“{connection.name}” does not use it (it uses: {wanted})"
            for name in given
            if name not in used
        }
        if errors:
            raise ValidationError(errors)
        save_secrets(self._secrets, connection_id, secrets)
        return given

    def delete(self, connection_id: int) -> None:
        if self._is_busy(connection_id):
            raise ConnectionInUse("This connection is importing; cancel the import first.")
        with self._database.transaction(self._db()) as conn:
            self._connections.delete(conn, connection_id)
            for hook in self._deleted_hooks:
                hook(conn)
        delete_secrets(self._secrets, connection_id)

    # Test and sign-in (blocking)

    def test(
        self, draft: ConnectionDraft, *, editing_id: int | None = None
    ) -> ConnectionTestReport:
        draft = self._with_stored_secrets(draft, editing_id)
        try:  # a second connection to a tenant fails here, before any sign-in
            self._claim(draft, editing_id=editing_id)
        except ValidationError as exc:
            tenant = exc.errors.get("tenant", exc.message)
            return ConnectionTestReport(ok=False, error=tenant, error_field="tenant")
        session = self._transport.session(draft)
        try:
            pending = self._pending.get(draft.sign_in_id) if draft.sign_in_id else None
            cache = pending or cache_store_for(draft, self._secrets, editing_id)
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
        connection being created (under the returned sign-in id), or writes it to the edited
        connection's keychain entry."""
        if draft.method is not AuthMethod.MULTI_TENANT:
            raise LicenseDeskError("Only multi-tenant connections sign in interactively.")
        sign_in_id = ""
        if editing_id is not None:
            store = cache_store_for(draft, self._secrets, editing_id)
        else:
            sign_in_id = draft.sign_in_id or token_ids.token_hex(8)
            store = self._pending.setdefault(sign_in_id, MemoryTokenCacheStore())
        assert store is not None  # a multi-tenant draft always has a token cache
        session = self._transport.session(draft)
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
        return replace(result, sign_in_id=sign_in_id)

    # Importing

    def import_job(self, connection: Connection, *, incremental: bool = False) -> ImportJob:
        """The import of `connection`, to run on a pool thread. `incremental` applies
        /users/delta changes to the current snapshot when a fresh change link exists."""
        self._database.check_writable()

        def job(progress: ProgressListener, cancel: CancelToken) -> ImportRun:
            return self._run_import(connection, progress, cancel, incremental)

        return job

    def _run_import(
        self,
        connection: Connection,
        progress: ProgressListener,
        cancel: CancelToken,
        incremental: bool,
    ) -> ImportRun:
        draft = self._transport.with_secrets(
            connection_as_draft(connection, load_secrets(self._secrets, connection.id))
        )
        settings = self._settings.current()
        session = self._transport.session(draft)
        try:
            tokens = build_tokens(
                draft,
                session=session,
                cache_store=cache_store_for(draft, self._secrets, connection.id),
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
                database=self._database,
                reports_available=reports_available(draft),
                snapshots_kept=settings.snapshots_kept,
                commit_hooks=self._commit_hooks,
                now=self._clock,
                delta_link=base[0] if base else None,
                previous_snapshot_id=base[1] if base else None,
                previous_sign_in=base[2] if base else False,
                delta_select=base[3] if base else "",
            )
            return run_import(request, progress=progress, cancel=cancel)
        finally:
            session.close()

    # Internals

    def _claim(
        self,
        draft: ConnectionDraft,
        *,
        editing_id: int | None,
        warnings: list[str] | None = None,
    ) -> str | None:
        return claim_tenant(
            draft,
            self._db(),
            transport=self._transport,
            editing_id=editing_id,
            warnings=warnings,
        )

    def _with_stored_secrets(
        self, draft: ConnectionDraft, editing_id: int | None
    ) -> ConnectionDraft:
        if draft.is_simulated:
            return self._transport.with_secrets(draft)
        if editing_id is None:
            return draft
        stored = load_secrets(self._secrets, editing_id)
        merged = {name: value or getattr(stored, name) for name, value in draft.secrets.items()}
        return replace(draft, secrets=ConnectionSecrets(**merged))

    def _db(self) -> DbConnection:
        return self._database.thread_connection()


def _ignore(_message: str) -> None:
    """A simulated sign-in has no code for the user to type."""


def _cancelled_now(cancel: CancelToken) -> Callable[[float], bool]:
    """A device-code wait that does not wait (the simulator answers on the next poll)."""
    return lambda _seconds: cancel.cancelled
