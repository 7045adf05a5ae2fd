"""Reconciliation, waste and cost per license (spec §5–§7), and the product roll-up.

Waste rule: wasted units = unassigned units + holders who are disabled, inactive or also hold
a suite containing the product, each holder counted once however many of those apply, and
never more than the entitlement (reclaiming units from an over-assigned license fills the
shortfall; it saves nothing). Duplicate assignment paths are reported but waste no unit: a user
with a direct and a group path consumes one unit. Free/viral SKUs have no cost and no waste.
Money is per month; annual = 12 × monthly, except SaaS Management licenses whose annual cost is
the sum of their current terms' annualCost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.domain.licensing import LicenseRow, LicenseSource, LicenseStatus, ProductRow, TenantRef
from core.licensing.catalog import SkuCatalog, SkuInfo
from core.licensing.stats import HolderStats
from core.storage.db import from_iso
from core.storage.dialect import DbConnection, Row

# Very large enabled counts without a price mark unknown SKUs free/viral (FLOW_FREE has 10,000).
FREE_UNITS_THRESHOLD = 10_000
SAAS_TENANT = "SaaS Management"

_LICENSES = """
SELECT l.id, l.source, l.connection_id, l.tenant_id, l.sku_id, l.sku_part_number,
       l.saas_app_id, l.name, l.status, l.status_before_saas,
       c.name AS connection_name, COALESCE(s.tenant_name, c.tenant_name, '') AS tenant_name,
       COALESCE(s.tenant_id, l.tenant_id, c.tenant_id, '') AS tenant_id_eff,
       s.id AS snapshot_id,
       json_extract(c.config, '$.simulated_tenant') IS NOT NULL AS simulated
FROM licenses l
LEFT JOIN connections c ON c.id = l.connection_id
LEFT JOIN snapshots s ON s.connection_id = l.connection_id AND s.state = 'current'
     AND s.source = l.source
"""


@dataclass(frozen=True)
class Context:
    catalog: SkuCatalog
    prices: Mapping[str, float]
    now: datetime
    saas_simulated: bool = False  # the SaaS Management connector reads the demo organization


def product_key(
    source: str, part_number: str | None, name: str, catalog: SkuCatalog | None = None
) -> str:
    """The key a product's price and roll-up go by: the SKU part number. A SaaS Management
    license whose name is a product of the SKU table takes that product's part number, so
    Power BI Pro from SaaS Management and from a tenant are one product with one price;
    other SaaS Management licenses go by `saas:<name>`."""
    if source == LicenseSource.SAAS_MANAGEMENT.value:
        info = saas_product(name, catalog)
        return info.part_number.upper() if info is not None else f"saas:{name}"
    return (part_number or "").upper()


def saas_product(name: str, catalog: SkuCatalog | None) -> SkuInfo | None:
    """The SKU table's product a SaaS Management license is, by product name or part number."""
    if catalog is None or not name:
        return None
    return catalog.find_by_name(name) or catalog.lookup(None, name)


def build_license_rows(
    conn: DbConnection,
    ctx: Context,
    sku_stats: Mapping[tuple[int, str], HolderStats],
    saas: tuple[Mapping[int, HolderStats], Mapping[str, int]],
    *,
    license_id: int | None = None,
) -> list[LicenseRow]:
    sql = _LICENSES + (" WHERE l.id = ?" if license_id is not None else "")
    records = conn.execute(sql, (license_id,) if license_id is not None else ()).fetchall()
    skus = {
        (r["snapshot_id"], r["sku_id"]): r
        for r in conn.execute(
            "SELECT k.* FROM skus k JOIN snapshots s ON s.id = k.snapshot_id "
            "WHERE s.state = 'current'"
        )
    }
    grace = {
        (r[0], r[1]): from_iso(r[2])
        for r in conn.execute(
            "SELECT g.snapshot_id, g.sku_id, MIN(g.next_lifecycle_at) FROM subscriptions g "
            "JOIN snapshots s ON s.id = g.snapshot_id WHERE s.state = 'current' "
            "AND g.status = 'Warning' GROUP BY g.snapshot_id, g.sku_id"
        )
    }
    terms: dict[int, list[Row]] = {}
    for t in conn.execute("SELECT * FROM saas_terms"):
        terms.setdefault(t["license_id"], []).append(t)
    rows = []
    for rec in records:
        if rec["source"] == LicenseSource.SAAS_MANAGEMENT.value:
            stats = saas[0].get(rec["id"], HolderStats())
            row = _saas_row(rec, terms.get(rec["id"], []), stats, ctx)
            row = replace(row, unattributed_users=saas[1].get(rec["saas_app_id"] or "", 0))
        else:
            key = (rec["snapshot_id"], rec["sku_id"])
            stats = sku_stats.get(key, HolderStats())
            row = _connector_row(rec, skus.get(key), grace.get(key), stats, ctx)
        rows.append(_finish(row, stats))
    rows.sort(key=lambda r: (r.tenant_name.lower(), r.product.lower(), r.id))
    return rows


def _base(rec: Row, stats: HolderStats, ctx: Context, **kw: object) -> LicenseRow:
    status = LicenseStatus(rec["status"])
    return LicenseRow(
        id=rec["id"],
        connection_id=rec["connection_id"],
        connection=rec["connection_name"] or "",
        source=LicenseSource(rec["source"]),
        status=status,
        in_reconciliation=status is not LicenseStatus.RETIRED,
        assigned_users=stats.assigned,
        active_users=known_or_none(stats.active, stats),
        inactive_users=known_or_none(stats.inactive, stats),
        never_active_users=stats.never_active,
        disabled_users=stats.disabled,
        usage_unknown_users=stats.usage_unknown,
        duplicate_paths=stats.duplicate_paths,
        overlap_users=stats.overlap,
        retired_by_saas=rec["status_before_saas"] is not None,
        simulated=bool(rec["simulated"])
        or (rec["source"] == LicenseSource.SAAS_MANAGEMENT.value and ctx.saas_simulated),
        **kw,  # type: ignore[arg-type]
    )


def known_or_none(count: int, stats: HolderStats) -> int | None:
    """A usage count, or None when no holder's usage is known (it would read as 0)."""
    return None if stats.assigned and stats.usage_unknown == stats.assigned else count


def sum_known(values: Iterable[int | None]) -> int | None:
    """Sum of the known counts; None when every one is unknown (and there is at least one)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def usage_sums(rows: Sequence[LicenseRow]) -> tuple[int | None, int | None, int]:
    """(active, inactive, usage unknown) of these licenses' holders; None where unknown."""
    holding = [r for r in rows if r.assigned_users]
    if not holding:
        return 0, 0, 0
    return (
        sum_known(r.active_users for r in holding),
        sum_known(r.inactive_users for r in holding),
        sum(r.usage_unknown_users for r in holding),
    )


def _free(listed_free: bool | None, enabled: int, price: float | None) -> bool:
    """Whether an SKU is free/viral. The SKU table says so for the products it lists as free;
    an unpriced SKU it does not list is judged by its size (10,000 units or more). A product
    it lists as paid counts as free only with a viral quota, a power of ten from 10,000 up
    (1,000,000 Stream trial units): a large tenant's unpriced 60,000 Microsoft 365 E3 seats
    are paid for. A price always says paid for."""
    if listed_free or price:
        return bool(listed_free)
    if enabled < FREE_UNITS_THRESHOLD:
        return False
    if listed_free is None:
        return True
    while enabled % 10 == 0:
        enabled //= 10
    return enabled == 1


def _connector_row(
    rec: Row,
    sku: Row | None,
    grace_until: datetime | None,
    stats: HolderStats,
    ctx: Context,
) -> LicenseRow:
    part = rec["sku_part_number"] or ""
    info = ctx.catalog.lookup(rec["sku_id"], part)
    key = product_key(rec["source"], part, rec["name"], ctx.catalog)
    price = ctx.prices.get(key)
    enabled = int(sku["enabled"]) if sku else 0
    warning = int(sku["warning"]) if sku else 0
    consumed = int(sku["consumed_units"]) if sku else 0
    free = _free(info.free if info else None, enabled, price)
    return _base(
        rec,
        stats,
        ctx,
        tenant_id=rec["tenant_id_eff"] or "",
        tenant_name=rec["tenant_name"] or "",
        sku_id=rec["sku_id"] or "",
        sku_part_number=part,
        product=info.product if info else part,
        product_key=key,
        enabled=enabled,
        warning=warning,
        suspended=int(sku["suspended"]) if sku else 0,
        locked_out=int(sku["locked_out"]) if sku else 0,
        consumed_units=consumed,
        entitlement=enabled + warning,
        free=free,
        recognized=info is not None,
        unit_price=price,
        grace=warning > 0,
        grace_until=grace_until if warning > 0 else None,
        consumed_mismatch=sku is not None and consumed != stats.assigned,
    )


def _saas_row(rec: Row, terms: Iterable[Row], stats: HolderStats, ctx: Context) -> LicenseRow:
    entitlement, annual, renewal = 0, None, None
    for term in terms:
        ends = from_iso(term["ends_at"])
        if ends is not None and ends <= ctx.now:
            continue  # ended: adds no entitlement and no cost
        entitlement += int(term["total_active"] or 0)
        if term["annual_cost"] is not None:
            annual = (annual or 0.0) + float(term["annual_cost"])
        if ends is not None and (renewal is None or ends < renewal):
            renewal = ends
    key = product_key(rec["source"], None, rec["name"], ctx.catalog)
    info = saas_product(rec["name"], ctx.catalog)
    # The price table's price is the product's one price; the contract's own cost only where
    # the table has none.
    price = ctx.prices.get(key)
    if price is None and annual is not None and entitlement > 0:
        price = annual / 12 / entitlement
    row = _base(
        rec,
        stats,
        ctx,
        tenant_id="",
        tenant_name=SAAS_TENANT,
        sku_id="",
        sku_part_number=info.part_number if info is not None else "",
        product=info.product if info is not None else rec["name"],
        product_key=key,
        enabled=entitlement,
        consumed_units=stats.assigned,
        entitlement=entitlement,
        unit_price=price,
        renewal=renewal,
    )
    if annual is not None and key not in ctx.prices:
        row = replace(row, annual_cost=annual)
    return row


def _finish(row: LicenseRow, stats: HolderStats) -> LicenseRow:
    position = row.entitlement - row.assigned_users
    # Available: the one positive part of the compliance position (spec §5), also for a
    # Retired license, which keeps its raw numbers but counts in no total.
    available = max(0, position)
    if not row.in_reconciliation:
        return replace(
            row, compliance_position=None, available=available, unassigned=0, wasted_units=0
        )
    unassigned = available
    if row.free:
        return replace(
            row,
            compliance_position=position,
            available=available,
            unassigned=unassigned,
            wasted_units=0,
            monthly_cost=0.0,
            annual_cost=0.0,
            waste_cost=0.0,
        )
    wasted = unassigned + min(stats.wasted_holders, row.entitlement)
    monthly = annual = waste = None
    if row.unit_price is not None:
        monthly = row.unit_price * row.entitlement
        annual = row.annual_cost if row.annual_cost is not None else monthly * 12
        waste = row.unit_price * wasted
    return replace(
        row,
        compliance_position=position,
        available=available,
        unassigned=unassigned,
        wasted_units=wasted,
        monthly_cost=monthly,
        annual_cost=annual,
        waste_cost=waste,
    )


def product_rollup(rows: Iterable[LicenseRow]) -> list[ProductRow]:
    """The licenses in reconciliation summed per product across tenants."""
    groups: dict[str, list[LicenseRow]] = {}
    for row in rows:
        if row.in_reconciliation:
            groups.setdefault(row.product_key, []).append(row)
    out = [_product(key, members) for key, members in groups.items()]
    out.sort(key=lambda p: p.product.lower())
    return out


def _money(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _product(key: str, rows: list[LicenseRow]) -> ProductRow:
    prices = {r.unit_price for r in rows if r.unit_price is not None}
    active, inactive, unknown = usage_sums(rows)
    return ProductRow(
        product_key=key,
        product=rows[0].product,
        sku_part_number=rows[0].sku_part_number,
        licenses=len(rows),
        tenants=len({r.tenant_id or r.tenant_name for r in rows}),
        entitlement=sum(r.entitlement for r in rows),
        assigned_users=sum(r.assigned_users for r in rows),
        active_users=active,
        inactive_users=inactive,
        usage_unknown_users=unknown,
        compliance_position=sum(r.compliance_position or 0 for r in rows),
        unassigned=sum(r.unassigned for r in rows),
        shortfall=sum(r.shortfall for r in rows),
        wasted_units=sum(r.wasted_units for r in rows),
        free=all(r.free for r in rows),
        unit_price=prices.pop() if len(prices) == 1 else None,
        monthly_cost=_money(r.monthly_cost for r in rows),
        annual_cost=_money(r.annual_cost for r in rows),
        waste_cost=_money(r.waste_cost for r in rows),
        simulated=any(r.simulated for r in rows),
        tenant_refs=tuple(
            sorted(
                {TenantRef(r.tenant_name or r.connection, r.simulated) for r in rows},
                key=lambda t: t.name.casefold(),
            )
        ),
    )
