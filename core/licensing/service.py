"""LicensingService: the licenses, users and overview the desktop and the CLI show."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from core.domain.licensing import (
    HOLDER_PAGE,
    LicenseDetail,
    LicenseRow,
    LicenseSource,
    LicenseStatus,
    Overview,
    ProductRow,
    StatusChange,
    UnrecognizedSku,
    UserQuery,
    UserRow,
)
from core.domain.saas import SwitchCounts
from core.domain.settings import AppSettings
from core.errors import LicenseDeskError
from core.licensing import catalog as sku_table
from core.licensing import detail, overview, prices, status, users
from core.licensing.reconcile import Context, build_license_rows, product_rollup
from core.licensing.stats import (
    HolderStats,
    compute_sku_stats,
    compute_sku_stats_in_halves,
    load_saas_stats,
    load_sku_stats,
    saas_stats,
    store_saas_stats,
    store_sku_stats,
)
from core.licensing.sync import sync_licenses
from core.licensing.usage_sql import prepare_overlap, window_params
from core.storage.db import Database, utc_now
from core.storage.dialect import DbConnection, dialect_of
from core.storage.repositories import SettingsRepository

# Part of the key of stored holder stats: bump it when the SQL rules change, so figures stored
# by an earlier version are computed again.
STATS_RULES = "rules-2"

# (snapshot, SKU) -> holder stats; (SaaS license id -> stats, app id -> unattributed users)
Stats = tuple[dict[tuple[int, str], HolderStats], tuple[dict[int, HolderStats], dict[str, int]]]


_SETTINGS = SettingsRepository()


class LicensingService:
    """Licenses from imports, their status, reconciliation, usage, waste and cost.

    Licenses and totals:
      license_rows(include_retired=True) -> list[LicenseRow]; license(license_id) -> LicenseRow;
      product_rollup() -> list[ProductRow]; overview() -> Overview;
      license_detail(license_id, holder_offset=0, holder_limit=200) -> LicenseDetail.
    Status (spec §5, §6):
      set_license_status(license_id, status, reason="") -> bool;
      status_history(license_id) -> list[StatusChange];
      retire_preview_count() -> int; set_saas_enabled(enabled) -> SwitchCounts;
      switch_preview(enabled) -> SwitchCounts (used by the SaaS Management service);
      saas_enabled() -> bool.
    Users (SQL filtering, sorting and paging):
      user_page(query) -> (rows, total); iter_user_rows(query=UserQuery()) -> Iterator[UserRow].
    Prices (per unit and month, settings currency):
      prices() -> dict[str, float]; set_price(product_key, unit_price | None);
      import_prices_csv(path) -> int.
    SKU names:
      unrecognized_skus() -> list[UnrecognizedSku]; import_sku_names_csv(path) -> int.
    Import hook:
      sync_after_import(conn, snapshot_id), run inside the import's commit transaction.

    Aggregates over holders are computed in SQL and cached per set of current snapshots and
    inactivity settings, so repeated reads of a 1,000,000-user tenant stay cheap.
    """

    def __init__(
        self,
        database: Database,
        *,
        settings: Callable[[], AppSettings],
        clock: Callable[[], datetime] = utc_now,
        data_dir: Path | None = None,
    ) -> None:
        self._db = database
        self._settings = settings
        self._clock = clock
        self._data_dir = data_dir or database.path.parent
        self._catalog = sku_table.load_catalog(self._data_dir)
        self._lock = threading.Lock()
        self._cache_key: tuple[object, ...] | None = None
        self._cache: Stats = ({}, ({}, {}))

    # Import hook

    def sync_after_import(self, conn: DbConnection, snapshot_id: int) -> None:
        """In the import's commit transaction: the licenses of the new snapshot, and its holder
        statistics, so the figures flow forward with the data and reads only read."""
        sync_licenses(conn, snapshot_id, self._catalog, self._clock())
        self._store_stats(conn, [snapshot_id])
        self.after_snapshots_changed(conn)

    def after_snapshots_changed(self, conn: DbConnection) -> None:
        """In the transaction that changed the current snapshots (an import's commit, a
        connection deleted with its snapshots): the SaaS Management statistics match app users
        to the current snapshots' users, so they are stored again there, not on a read."""
        if conn.execute("SELECT 1 FROM saas_app_users LIMIT 1").fetchone() is not None:
            self.store_saas_stats(conn)

    def refresh_stored_stats(self) -> None:
        """Compute and store the holder statistics of every current snapshot for the current
        settings and SKU table: run by whatever changes them (a write, never a read)."""
        conn = self._conn()
        with self._db.transaction(conn):
            self.store_all_stats(conn)

    def store_all_stats(self, conn: DbConnection) -> None:
        """In the write transaction that changed the settings or SKU table they depend on:
        the holder and SaaS Management statistics for the settings as that transaction sees
        them, so a reader sees old settings with old figures or new with new, never computes."""
        snapshots = [r[0] for r in conn.execute("SELECT id FROM snapshots WHERE state = 'current'")]
        self._store_stats(conn, snapshots)
        self.store_saas_stats(conn)

    def store_saas_stats(self, conn: DbConnection) -> None:
        """In a write transaction that changed what they depend on (a SaaS Management import,
        a tenant import, a setting): compute and store the SaaS Management statistics."""
        window = self._window()
        prepare_overlap(conn, self._catalog)
        store_saas_stats(conn, self._saas_inputs(conn, window), saas_stats(conn, window))

    def _saas_inputs(self, conn: DbConnection, window: tuple[str, str]) -> str:
        """What the SaaS Management statistics are computed from, as text: the writes that
        change it store them again in the same transaction."""
        snapshots = ",".join(
            str(r[0])
            for r in conn.execute("SELECT id FROM snapshots WHERE state = 'current' ORDER BY id")
        )
        users = conn.execute(
            f"SELECT COUNT(*), MAX({dialect_of(conn).row_version}) FROM saas_app_users"
        ).fetchone()
        licenses = ",".join(
            f"{r[0]}:{r[1]}"
            for r in conn.execute(
                "SELECT id, name FROM licenses WHERE source = 'SaaS Management' ORDER BY id"
            )
        )
        return f"{self._params(window)}|{snapshots}|{users[0]}:{users[1]}|{licenses}"

    def _store_stats(self, conn: DbConnection, snapshot_ids: Sequence[int]) -> None:
        window = self._window()
        prepare_overlap(conn, self._catalog)
        for sid in snapshot_ids:
            stats = compute_sku_stats_in_halves(conn, sid, window, self._db.connect)
            store_sku_stats(conn, sid, self._params(window), stats)

    # Licenses

    def license_rows(self, include_retired: bool = True) -> list[LicenseRow]:
        conn = self._conn()
        rows = build_license_rows(conn, self._context(conn), *self._stats(conn))
        return rows if include_retired else [r for r in rows if r.in_reconciliation]

    def license(self, license_id: int) -> LicenseRow:
        conn = self._conn()
        rows = build_license_rows(
            conn, self._context(conn), *self._stats(conn), license_id=license_id
        )
        if not rows:
            raise LicenseDeskError(f"There is no license with id {license_id}.")
        return rows[0]

    def product_rollup(self) -> list[ProductRow]:
        return product_rollup(self.license_rows())

    def license_detail(
        self, license_id: int, holder_offset: int = 0, holder_limit: int = HOLDER_PAGE
    ) -> LicenseDetail:
        row = self.license(license_id)
        conn = self._conn()
        is_saas = row.source is LicenseSource.SAAS_MANAGEMENT
        snapshot_id = detail.current_snapshot(conn, row.connection_id, row.source.value)
        prepare_overlap(conn, self._catalog)
        return LicenseDetail(
            row=row,
            subscriptions=() if is_saas else detail.subscriptions(conn, snapshot_id, row.sku_id),
            terms=detail.terms(conn, license_id, self._clock()) if is_saas else (),
            holders=detail.holders(
                conn,
                row,
                is_saas,
                self._window(),
                offset=max(0, holder_offset),
                limit=max(0, holder_limit),
            ),
            holders_total=row.assigned_users,
            changes=tuple(status.status_history(conn, license_id)),
            warnings=detail.license_warnings(row),
        )

    def overview(self) -> Overview:
        rows = self.license_rows()
        conn = self._conn()
        return Overview(
            tenants=tuple(overview.tenant_totals(rows)),
            total=overview.totals(overview.TOTAL_KEY, rows),
            products=tuple(p for p in product_rollup(rows) if not p.free),
            warnings=tuple(overview.warnings(conn, rows, self.unrecognized_skus(), self._clock())),
            currency=self._settings().currency,
        )

    # Status

    def set_license_status(
        self, license_id: int, new_status: LicenseStatus | str, reason: str = ""
    ) -> bool:
        parsed = (
            new_status if isinstance(new_status, LicenseStatus) else status.parse_status(new_status)
        )
        with self._db.transaction(self._conn()) as conn:
            return status.set_status_by_user(conn, license_id, parsed, reason, self._clock())

    def set_license_statuses(
        self, license_ids: list[int], new_status: LicenseStatus | str, reason: str = ""
    ) -> int:
        """Set the status of several licenses in one transaction with one reason (all or
        none); returns how many changed."""
        parsed = (
            new_status if isinstance(new_status, LicenseStatus) else status.parse_status(new_status)
        )
        with self._db.transaction(self._conn()) as conn:
            return status.set_statuses_by_user(
                conn, list(license_ids), parsed, reason, self._clock()
            )

    def status_history(self, license_id: int) -> list[StatusChange]:
        return status.status_history(self._conn(), license_id)

    def retire_preview_count(self) -> int:
        return status.retire_preview_count(self._conn())

    def retired_by_connector_count(self) -> int:
        return status.retired_by_connector_count(self._conn())

    def saas_enabled(self) -> bool:
        return status.saas_enabled(self._conn())

    def set_saas_enabled(self, enabled: bool) -> SwitchCounts:
        with self._db.transaction(self._conn()) as conn:
            return status.set_saas_enabled(conn, enabled, self._clock())

    def switch_preview(self, enabled: bool) -> SwitchCounts:
        """What turning the SaaS Management connector to `enabled` would change now."""
        return status.switch_preview(self._conn(), enabled)

    # Users

    def user_page(self, query: UserQuery) -> tuple[list[UserRow], int]:
        conn = self._conn()
        window = self._window()
        prepare_overlap(conn, self._catalog)
        keys, total = users.page_keys(conn, query, window)
        return users.load_users(conn, keys, window, self._catalog), total

    def iter_user_rows(self, query: UserQuery | None = None) -> Iterator[UserRow]:
        """Every user matching the query (paging ignored), streamed in batches."""
        from dataclasses import replace

        query = replace(query or UserQuery(), offset=0, limit=None)
        conn = self._db.connect()  # its own connection: the caller may query meanwhile
        try:
            window = self._window()
            prepare_overlap(conn, self._catalog)
            for keys in users.iter_keys(conn, query, window):
                yield from users.load_users(conn, keys, window, self._catalog)
        finally:
            conn.close()

    # Prices

    def prices(self) -> dict[str, float]:
        return prices.get_prices(self._conn())

    def set_price(self, product_key: str, unit_price: float | str | None) -> None:
        value = None if unit_price is None else prices.parse_price(unit_price)
        with self._db.transaction(self._conn()) as conn:
            prices.set_price(conn, product_key, value)

    def import_prices_csv(self, path: Path | str) -> int:
        parsed = prices.read_prices_csv(Path(path), self._catalog)
        with self._db.transaction(self._conn()) as conn:
            return prices.import_prices(conn, parsed)

    # SKU names

    def unrecognized_skus(self) -> list[UnrecognizedSku]:
        found: dict[str, tuple[str, set[str]]] = {}
        for sku_id, part, tenant in self._conn().execute(
            "SELECT k.sku_id, k.sku_part_number, COALESCE(s.tenant_name, '') FROM skus k "
            "JOIN snapshots s ON s.id = k.snapshot_id WHERE s.state = 'current'"
        ):
            if self._catalog.lookup(sku_id, part) is None:
                found.setdefault(sku_id, (part, set()))[1].add(tenant)
        return [
            UnrecognizedSku(sku_id, part, tuple(sorted(t for t in tenants if t)))
            for sku_id, (part, tenants) in sorted(found.items(), key=lambda kv: kv[1][0])
        ]

    def import_sku_names_csv(self, path: Path | str) -> int:
        """Keep Microsoft's licensing CSV's names in the user data folder; they win over the
        shipped table from now on. Returns how many SKUs it names."""
        infos = sku_table.parse_microsoft_csv(Path(path))
        sku_table.write_user_table(self._data_dir / sku_table.USER_TABLE_NAME, infos)
        with self._lock:
            self._catalog = sku_table.load_catalog(self._data_dir)
        with self._db.transaction(self._conn()) as conn:
            for license_id, sku_id, part in conn.execute(
                "SELECT id, sku_id, sku_part_number FROM licenses WHERE sku_id IS NOT NULL"
            ).fetchall():
                conn.execute(
                    "UPDATE licenses SET name = ? WHERE id = ?",
                    (self._catalog.product_name(sku_id, part), license_id),
                )
        self.refresh_stored_stats()  # overlaps follow the suites the new table names
        return len(infos)

    # Internals

    def _conn(self) -> DbConnection:
        return self._db.thread_connection()

    def _window(self) -> tuple[str, str]:
        s = self._settings()
        return window_params(s.inactive_days, s.min_assignment_age_days)

    def _context(self, conn: DbConnection) -> Context:
        return Context(
            self._catalog,
            prices.get_prices(conn),
            self._clock(),
            saas_simulated=_SETTINGS.get(conn, "saas_simulated") == "1",
        )

    def _params(self, window: tuple[str, str]) -> str:
        return f"{STATS_RULES}|{window[0]}|{window[1]}|{self._catalog.fingerprint()}"

    def _stats(self, conn: DbConnection) -> Stats:
        """Holder aggregates: kept in memory per set of current snapshots, SaaS app users,
        inactivity settings and SKU table. They are stored per snapshot in holder_stats when an
        import commits and when a setting changes; a read never writes. A snapshot stored
        without them (a database from before, a SKU table replaced) is computed in memory."""
        window = self._window()
        snapshots = tuple(
            r[0]
            for r in conn.execute("SELECT id FROM snapshots WHERE state = 'current' ORDER BY id")
        )
        saas = (
            *conn.execute(
                f"SELECT COUNT(*), MAX({dialect_of(conn).row_version}) FROM saas_app_users"
            ).fetchone(),
            _SETTINGS.get(conn, "saas_last_import_at"),
        )
        params = self._params(window)
        key = (snapshots, saas, params)
        with self._lock:
            if key == self._cache_key:
                return self._cache
        by_sku, done = load_sku_stats(conn, snapshots, params)
        missing = [sid for sid in snapshots if sid not in done]
        prepare_overlap(conn, self._catalog)
        for sid in missing:
            computed = compute_sku_stats(conn, sid, window)
            by_sku.update({(sid, sku_id): s for sku_id, s in computed.items()})
        stored = load_saas_stats(conn, self._saas_inputs(conn, window))
        result = (by_sku, stored if stored is not None else saas_stats(conn, window))
        with self._lock:
            self._cache_key, self._cache = key, result
        return result
