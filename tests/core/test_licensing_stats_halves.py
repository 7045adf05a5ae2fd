"""The import's commit computes the holder statistics in two halves at once (two SQLite
connections); the sums are the figures one pass gives."""

from __future__ import annotations

from core.licensing import stats
from core.licensing.catalog import load_catalog
from core.licensing.usage_sql import prepare_overlap, window_params
from core.storage.db import Database
from tests.core.licensing_helpers import (
    ENTERPRISEPACK,
    SPE_E3,
    SPE_E5,
    Tenant,
    hold,
    make_service,
    sku,
    usage,
    user,
)

# Ids on both sides of stats.SPLIT, as object ids (GUIDs in hex) are.
IDS = ["0a", "3b", "7f", "8c", "b2", "e9", "ff"]


def test_the_two_halves_sum_to_the_figures_of_one_pass(database: Database) -> None:
    tenant = Tenant(database, make_service(database))
    sid = tenant.load(
        skus=[sku(SPE_E3, 10), sku(SPE_E5, 10), sku(ENTERPRISEPACK, 10)],
        users=[
            user(uid, enabled=n % 3 != 0, sign_in="2026-06-29T00:00:00Z" if n % 2 else None)
            for n, uid in enumerate(IDS)
        ],
        holds=[hold(SPE_E3, uid, groups=["g"] if n % 2 else ()) for n, uid in enumerate(IDS)]
        + [hold(SPE_E5, uid) for uid in IDS[::2]]
        + [hold(ENTERPRISEPACK, uid) for uid in IDS[1::3]],
        usage_rows=[usage(uid, "2026-06-20") for uid in IDS[::3]],
        reports=True,
    )
    conn = database.thread_connection()
    prepare_overlap(conn, load_catalog(None))
    window = window_params(30, 14)
    one_pass = stats.compute_sku_stats(conn, sid, window)
    halves = stats.compute_sku_stats_in_halves(conn, sid, window, database.connect)
    assert halves == one_pass
    assert one_pass[SPE_E3].assigned == len(IDS)
    assert sum(s.overlap for s in one_pass.values()) > 0  # E3 holders that also hold E5
