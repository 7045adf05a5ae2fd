"""run_import: one connection's tenant into one atomic snapshot (spec §4).

The engine receives a ready GraphClient (token provider, session, retries inside) and writes
through a SnapshotWriter. Progress is reported per step and per page; the cancel token is
checked between pages and before the commit. Whatever happens, the history row is finished and
a snapshot that did not become current is discarded, so the previous data stays intact.
"""

from __future__ import annotations

import json
import logging
import queue
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportCounts, ImportProgress, ImportRun, ImportStatus
from core.errors import (
    AuthError,
    DeltaExpiredError,
    GraphError,
    ImportCancelled,
    LicenseDeskError,
    MalformedResponseError,
    PermissionMissingError,
    PremiumRequiredError,
    ThrottledError,
)
from core.graph import GraphClient, ReportBudgetExceeded
from core.graph.roles import DELEGATED_METHODS, forbidden_message
from core.imports.delta import DELTA_SELECT, apply_delta, latest_delta_link
from core.imports.parse import (
    SIGN_IN_FIELD,
    USER_FIELDS,
    USERS_TOP,
    USERS_TOP_WITH_SIGN_IN,
    sku_row,
    subscription_row,
)
from core.imports.progress_record import ProgressRecorder
from core.imports.stager import StagingWorker
from core.storage.db import Database, iso, utc_now
from core.storage.dialect import DbConnection, database_errors
from core.storage.files import PRIVATE_DIR, is_disk_full, storage_error
from core.storage.repositories import ConnectionRepository, ImportRunRepository
from core.storage.snapshots import CommitHook, SnapshotWriter

log = logging.getLogger(__name__)

ProgressCallback = Callable[[ImportProgress], None]

CONCEALED_HELP = (
    "Usage reports of {tenant} conceal user names, so usage is unknown for its users (they "
    "are never counted inactive). To fix it, in the Microsoft 365 admin center go to Settings > "
    "Org settings > Reports and clear “Display concealed user, group, and site names in all "
    "reports”; it takes effect at the next report refresh."
)
STALE_DELTA_LINK = (
    "The stored change link was made by an older version that did not track license and "
    "account changes, so all users were read again; the next incremental import uses the "
    "new link."
)
REPORTS = (
    ("active", "getOffice365ActiveUserDetail(period='{period}')"),
    ("apps", "getM365AppUserDetail(period='{period}')"),
    ("activations", "getOffice365ActivationsUserDetail"),
)


@dataclass
class ImportRequest:
    connection: Connection
    graph: GraphClient
    database: Database
    reports_available: bool = True  # v1.0 reports exist in Global only, or /beta when opted in
    snapshots_kept: int = 30
    commit_hooks: Sequence[CommitHook] = ()
    now: Callable[[], datetime] = utc_now
    # Incremental import: the stored delta link and the snapshot it applies to.
    delta_link: str | None = None
    previous_snapshot_id: int | None = None
    previous_sign_in: bool = False
    delta_select: str = ""  # the $select the stored link was made with ('' = unknown)


@dataclass
class _State:
    run_id: int
    warnings: list[str] = field(default_factory=list)
    skus: int = 0
    subscriptions: int = 0
    users: int = 0
    licensed_users: int = 0
    report_rows: int = 0
    delta_link: str | None = None

    def counts(self) -> ImportCounts:
        return ImportCounts(
            self.skus, self.subscriptions, self.users, self.licensed_users, self.report_rows
        )


def run_import(
    request: ImportRequest, *, progress: ProgressCallback, cancel: CancelToken
) -> ImportRun:
    runs = ImportRunRepository()
    db = request.database
    with db.transaction(db.thread_connection()) as conn:
        run_id = runs.start(conn, request.connection)
    state = _State(run_id)
    writer = SnapshotWriter(db, request.connection, run_id)
    stager: StagingWorker | None = None
    status, error, detail = ImportStatus.FAILED, None, None
    recorder = ProgressRecorder(db, run_id)  # for the windows of the team

    def report(event: ImportProgress) -> None:
        recorder(event)
        progress(event)

    try:
        # It starts while the token and the organization are read.
        stager = StagingWorker(db.location, db.child_environment())
        _Importer(request, writer, stager, state, report, cancel).run()
        status = ImportStatus.SUCCEEDED_WITH_WARNINGS if state.warnings else ImportStatus.SUCCEEDED
    except ImportCancelled:
        status, error = ImportStatus.CANCELLED, "Cancelled by the user."
    except LicenseDeskError as exc:
        error, detail = exc.message, exc.detail or None
        log.warning("import of %s failed: %s", request.connection.name, exc.message)
    except Exception as exc:  # the disk, or a bug: record it, keep the previous data
        if isinstance(exc, database_errors()) or is_disk_full(exc):
            failure = storage_error(exc, db.path, doing="The import")
            error, detail = failure.message, failure.detail
            log.warning("import of %s failed: %s", request.connection.name, error)
        else:
            log.exception("import of %s crashed", request.connection.name)
            error, detail = "The import stopped on an unexpected error.", repr(exc)
    finally:
        recorder.close()
        committed = status in (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS)
        if stager is not None and committed:
            stager.close()
        elif stager is not None:
            stager.kill()  # stopped before the snapshot it writes to is discarded
        if not committed:
            try:
                writer.discard()
            except Exception:
                log.exception("could not discard the unfinished snapshot")
        writer.close()
    try:
        with db.transaction(db.thread_connection()) as conn:
            runs.finish(
                conn,
                run_id,
                status=status,
                counts=state.counts(),
                warnings=state.warnings,
                error=error,
                error_detail=detail,
                snapshot_id=writer.snapshot_id if committed else None,
            )
            run = runs.get(conn, run_id)
    except database_errors() as exc:
        # Even the history row could not be written (a full disk): the next start marks it
        # interrupted and removes the partial snapshot.
        raise storage_error(exc, db.path, doing="The import") from None
    assert run is not None
    return run


class _Importer:
    def __init__(
        self,
        request: ImportRequest,
        writer: SnapshotWriter,
        stager: StagingWorker,
        state: _State,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> None:
        self.req = request
        self.graph = request.graph
        self.writer = writer
        self.stager = stager
        self.state = state
        self.cancel = cancel
        self._progress = progress
        self.connection = request.connection
        self._users_staged = False  # full read: counts come from the worker at the end
        self._downloads: _UsageDownloads | None = None
        self._reports_handed = 0  # the usage is folded once all reports are handed over
        self._last = ImportProgress(self.connection.id, "token", 0, None, "")
        self.graph.on_wait = self._waiting

    def report(self, step: str, done: int, total: int | None, message: str) -> None:
        self._last = ImportProgress(self.connection.id, step, done, total, message)
        self._progress(self._last)

    def _waiting(self, seconds: float, reason: str) -> None:
        """Graph asked for a pause before a retry: say so in the current step."""
        self._progress(replace(self._last, message=f"waiting {seconds:.0f} s: {reason}"))

    def run(self) -> None:
        self.report("token", 0, None, "Signing in")
        self.graph.tokens.get_token()
        self.cancel.raise_if_cancelled()
        tenant_id, tenant_name = self.organization()
        # The usage reports download while the users page in: independent requests need not
        # wait for each other (the report budget and Graph's throttling still apply).
        downloads = self._downloads = self.start_usage_downloads()
        try:
            self.skus()
            self.subscriptions()
            sign_in = self.users()
            reports_imported, concealed, refresh_date = self.usage(downloads)
        except BaseException:
            if downloads is not None:
                downloads.close(abort=True)
            raise
        if downloads is not None:
            downloads.close()
        self.count_users()
        self.cancel.raise_if_cancelled()
        self.writer.set_usage_meta(
            as_of=refresh_date or iso(self.req.now()) or "",
            report_refresh_date=refresh_date,
            sign_in_imported=sign_in,
            reports_imported=reports_imported,
            concealed_names=concealed,
        )
        self.report("commit", 0, None, "Saving the snapshot")
        self.cancel.raise_if_cancelled()

        def record_tenant(conn, _sid: int) -> None:  # type: ignore[no-untyped-def]
            repo = ConnectionRepository()
            # Again inside the commit: another connection may have claimed it meanwhile.
            self._check_tenant_unclaimed(tenant_id, tenant_name, conn)
            repo.set_tenant(conn, self.connection.id, tenant_id, tenant_name)
            repo.set_delta_link(conn, self.connection.id, self.state.delta_link, DELTA_SELECT)

        self.writer.commit(
            snapshots_kept=self.req.snapshots_kept,
            hooks=[record_tenant, *self.req.commit_hooks],
        )
        self.report("done", 1, 1, "Import finished")

    def organization(self) -> tuple[str, str]:
        self.report("organization", 0, None, "Reading the organization")
        body = self.graph.get_json("/organization")
        items = body.get("value")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise MalformedResponseError(
                "Microsoft Graph returned no organization for /organization.",
                url=self.graph.url("/organization"),
            )
        org = items[0]
        if not isinstance(org.get("id"), str) or not org["id"]:
            raise MalformedResponseError(
                f"Microsoft Graph sent id = {json.dumps(org.get('id'))[:60]} for the "
                "organization on /organization; expected its tenant ID.",
                url=self.graph.url("/organization"),
            )
        tenant_id = str(org["id"]).lower()
        domains = [d.get("name", "") for d in org.get("verifiedDomains") or []]
        expected = (self.connection.tenant_id or self.connection.tenant).strip().lower()
        if expected and expected != tenant_id and expected not in {d.lower() for d in domains}:
            raise AuthError(
                f"This connection is for tenant {expected}, but the credentials opened tenant "
                f"{org.get('displayName') or tenant_id} ({tenant_id}). Check the tenant and the "
                "app registration.",
                field="tenant",
            )
        name = str(org.get("displayName") or tenant_id)
        self._check_tenant_unclaimed(tenant_id, name)  # before anything is written
        snapshot_id = self.writer.begin(
            tenant_id=tenant_id, tenant_name=name, domains=domains, now=self.req.now()
        )
        self.stager.attach(snapshot_id)
        return tenant_id, name

    def _check_tenant_unclaimed(
        self, tenant_id: str, name: str, conn: DbConnection | None = None
    ) -> None:
        """One connection per tenant, however it was typed: refuse a tenant another
        connection already imports (by its tenant ID, typed or looked up)."""
        conn = conn or self.req.database.thread_connection()
        other = ConnectionRepository().find_by_tenant(
            conn, tenant_id, exclude_id=self.connection.id
        )
        if other is not None:
            raise LicenseDeskError(
                f"Tenant {name} ({tenant_id}) already has the connection “{other.name}”, so "
                "this connection would import it a second time; nothing was imported. Remove "
                "one of the two connections.",
                field="tenant",
            )

    def skus(self) -> None:
        self.report("skus", 0, None, "Reading subscribed SKUs")
        items = self.graph.get_items("/subscribedSkus")
        self.writer.write_skus(sku_row(item) for item in items)
        self.state.skus = len(items)
        self.cancel.raise_if_cancelled()

    def subscriptions(self) -> None:
        self.report("subscriptions", 0, None, "Reading subscriptions")
        count = 0
        try:
            for page in self.graph.iter_pages("/directory/subscriptions"):
                self.writer.write_subscriptions(subscription_row(i) for i in page.items)
                count += len(page.items)
        except PermissionMissingError as exc:
            why = forbidden_message(exc, self.connection.method)
            self.state.warnings.append(
                f"Subscriptions (trials, renewal dates) were not read: {why}"
            )
        except GraphError as exc:
            if isinstance(exc, (ThrottledError, MalformedResponseError)):
                raise
            self.state.warnings.append(f"Subscriptions were not read: {exc.message}")
        self.state.subscriptions = count

    def users(self) -> bool:
        """Read every user page by page; returns whether signInActivity was imported."""
        if self.req.delta_link and self.req.previous_snapshot_id:
            if self.req.delta_select != DELTA_SELECT:
                self.state.warnings.append(STALE_DELTA_LINK)
            else:
                try:
                    return self._users_incremental()
                except DeltaExpiredError:
                    self.writer.clear_users()
                    self.state.warnings.append(
                        "The stored change link had expired (older than 7 days), so all users "
                        "were read again."
                    )
        self.state.delta_link = self._latest_delta_link()
        try:
            self._read_users(with_sign_in=True)
            return True
        except (PremiumRequiredError, PermissionMissingError) as exc:
            if isinstance(exc, PermissionMissingError) and exc.permission != "AuditLog.Read.All":
                raise
            self.state.warnings.append(self._sign_in_warning(exc))
            self.stager.clear("users")
            self.stager.sync()
            self._read_users(with_sign_in=False)
            return False

    def _sign_in_warning(self, exc: GraphError) -> str:
        if isinstance(exc, PermissionMissingError) and self.connection.method in DELEGATED_METHODS:
            why = forbidden_message(exc, self.connection.method)
            return f"Sign-in activity was not imported: {why} Last activity comes from the reports."
        reason = (
            "the tenant has no Microsoft Entra ID P1/P2 license"
            if isinstance(exc, PremiumRequiredError)
            else "the AuditLog.Read.All permission is missing"
        )
        return (
            f"Sign-in activity was not imported because {reason}; last activity comes "
            "from the usage reports only."
        )

    def count_users(self) -> None:
        if self._users_staged:
            self.state.users = int(self.stager.sync()["users"])
            self.state.licensed_users = self.writer.licensed_user_count()

    def _latest_delta_link(self) -> str | None:
        # Taken before the full read, so changes made during it show up next time.
        try:
            return latest_delta_link(self.graph)
        except GraphError as exc:
            if isinstance(exc, (ThrottledError, MalformedResponseError)):
                raise
            log.info("no delta link for %s: %s", self.connection.name, exc.message)
            return None

    def _users_incremental(self) -> bool:
        assert self.req.delta_link and self.req.previous_snapshot_id
        sign_in = self.req.previous_sign_in
        select = f"{USER_FIELDS},{SIGN_IN_FIELD}" if sign_in else USER_FIELDS
        self.report("users", 0, None, "Reading changed users")
        link, changed = apply_delta(
            self.graph,
            self.writer,
            delta_link=self.req.delta_link,
            previous_snapshot_id=self.req.previous_snapshot_id,
            select=select,
            cancel=self.cancel,
            progress=lambda n: self.report("users", n, None, f"Applied {n:,} changed users"),
        )
        self.state.delta_link = link
        self.state.users = self.writer.user_count()
        self.state.licensed_users = self.writer.licensed_user_count()
        self.state.warnings.append(
            f"Incremental import: {changed:,} changed users were read; the sign-in activity "
            "of the others is from the last full import."
        )
        return sign_in

    def _read_users(self, *, with_sign_in: bool) -> None:
        select = f"{USER_FIELDS},{SIGN_IN_FIELD}" if with_sign_in else USER_FIELDS
        top = USERS_TOP_WITH_SIGN_IN if with_sign_in else USERS_TOP
        self.state.users = 0
        self.report("users", 0, None, "Reading users")
        params = {"$select": select, "$top": str(top)}
        for page in self.graph.iter_raw_pages("/users", params):
            done = self.stager.users_page(page.body, page.url)
            self.report("users", done, None, f"Read {done:,} users")
            self.cancel.raise_if_cancelled()
            self._hand_over_reports()
        # The worker moves the staged users into the snapshot while the reports download;
        # `count_users` waits for it.
        self.stager.flush_users()
        self._users_staged = True

    def start_usage_downloads(self) -> _UsageDownloads | None:
        """Start reading the report settings and the three reports on a thread of their own;
        None where the reports are not available."""
        if not self.req.reports_available:
            return None
        # Reports are streamed to files (owner-only folder) and read by the worker from there:
        # a report of a million users never sits in memory. In the data folder, named by the
        # run: a killed import's files go at the next start.
        self.req.database.tmp_dir.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        folder = tempfile.TemporaryDirectory(
            prefix=f"reports-run{self.state.run_id}-", dir=self.req.database.tmp_dir
        )
        downloads = _UsageDownloads(self, Path(folder.name), folder.cleanup)
        downloads.start()
        return downloads

    def _hand_over_reports(self) -> None:
        """Give the worker the reports downloaded so far: it stages them between user pages,
        while it would otherwise wait for the next page; once all are in, it folds them."""
        if self._downloads is None:
            return
        for kind, path, url in self._downloads.take_ready():
            self.stager.report(kind, path, url)
            self._reports_handed += 1
            if self._reports_handed == len(REPORTS):
                self.stager.flush_usage()

    def usage(self, downloads: _UsageDownloads | None) -> tuple[bool, bool, str | None]:
        """Report settings and the three reports -> (imported, concealed, refresh date)."""
        if downloads is None:
            self.state.warnings.append(
                "Usage reports are not available in this cloud through Microsoft Graph v1.0; "
                "turn on beta reports in the connection to read them. Usage is unknown."
            )
            return False, False, None
        self.report("reports", 0, len(REPORTS), "Reading the usage reports")
        try:
            concealed = downloads.wait_settings()
            downloads.wait()
            self._hand_over_reports()  # the last ones, and the fold
            self.report("reports", len(REPORTS), len(REPORTS), "Reading the usage reports")
            stats = self.stager.sync()["reports"]
        except (PermissionMissingError, ThrottledError) as exc:
            if isinstance(exc, ThrottledError) and not isinstance(exc, ReportBudgetExceeded):
                raise
            self.stager.clear("usage")
            self.stager.sync()
            self.state.report_rows = 0
            why = (
                forbidden_message(exc, self.connection.method)
                if isinstance(exc, PermissionMissingError)
                else exc.message
            )
            self.state.warnings.append(f"Usage reports were not read: {why}")
            return False, downloads.concealed, None
        finally:
            self.stager.sync()  # the worker is done with the files before they go
        self.state.report_rows = sum(r["rows"] for r in stats.values())
        refresh_date = max(
            (r["refresh_date"] for r in stats.values() if r["refresh_date"]), default=None
        )
        all_concealed = all(r["hidden"] > 0 and r["rows"] == r["hidden"] for r in stats.values())
        concealed = concealed or all_concealed
        if concealed:
            self.stager.clear("usage")
            self.stager.sync()
            self.state.warnings.append(
                CONCEALED_HELP.format(tenant=self.connection.tenant_name or self.connection.name)
            )
        return True, concealed, refresh_date

    def report_settings_concealed(self) -> tuple[bool, str | None]:
        """Whether the tenant conceals names, and the warning to give when that is unknown.

        /admin/reportSettings lives beside the reports: v1.0 in the Global cloud only, /beta
        elsewhere. It is optional: whatever goes wrong, concealment is still detected from
        the report rows."""
        url = self.graph.report_api_url("/admin/reportSettings")
        try:
            body = self.graph.get_json(url)
        except PermissionMissingError:
            return False, None  # without ReportSettings.Read.All, as documented: no warning
        except ImportCancelled:
            raise
        except LicenseDeskError as exc:
            return False, (
                f"The report settings were not read ({exc.message}); concealed names are "
                "detected from the report rows instead."
            )
        settings = body.get("value", body) if isinstance(body.get("value"), dict) else body
        return bool(settings.get("displayConcealedNames")), None


class _UsageDownloads:
    """The report settings and the three usage reports, read on a thread of their own while
    the users page in. Only the downloads run there: the files go to the staging worker from
    the import's own thread, in order, once the users are staged. A failure is kept and raised
    in the import's thread when it asks for the results."""

    def __init__(self, importer: _Importer, folder: Path, cleanup: Callable[[], None]) -> None:
        self._importer = importer
        self._folder = folder
        self._cleanup = cleanup
        self._settings_ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"reports-{importer.connection.id}", daemon=True
        )
        self._ready: queue.SimpleQueue[tuple[str, Path, str]] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._warning: str | None = None
        self.concealed = False

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        importer = self._importer
        try:
            self.concealed, self._warning = importer.report_settings_concealed()
            self._settings_ready.set()
            for kind, template in REPORTS:
                function = template.format(period=importer.connection.usage_period.value)
                path = self._folder / f"{kind}.csv"
                url = importer.graph.download_report(function, path)
                self._ready.put((kind, path, url))
        except BaseException as exc:  # noqa: BLE001 (raised again in the import's thread)
            self._failure = exc
        finally:
            self._settings_ready.set()

    def wait_settings(self) -> bool:
        """Whether names are concealed; the settings' warning goes to the import's list."""
        self._settings_ready.wait()
        if self._warning is not None:
            self._importer.state.warnings.append(self._warning)
            self._warning = None
        return self.concealed

    def take_ready(self) -> list[tuple[str, Path, str]]:
        """(kind, file, report URL) of the reports downloaded since the last call, in order."""
        ready = []
        while not self._ready.empty():
            ready.append(self._ready.get_nowait())
        return ready

    def wait(self) -> None:
        """Until all three are downloaded; raises what stopped the downloads."""
        while self._thread.is_alive():
            self._thread.join(0.1)
            self._importer.cancel.raise_if_cancelled()
        if self._failure is not None:
            raise self._failure

    def close(self, *, abort: bool = False) -> None:
        """Wait for the thread, then drop the files. With `abort` (the import failed), the
        downloads are cancelled first: the import is over, whatever they would bring."""
        if abort and self._thread.is_alive():
            self._importer.cancel.cancel()
        self._thread.join()
        self._cleanup()
