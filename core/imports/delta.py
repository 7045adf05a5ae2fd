"""Incremental users step: start from the previous snapshot and apply `/users/delta` changes.

Delta does not track licenseAssignmentStates (direct/group paths) nor signInActivity, so each
changed user is re-read from `/users` with `$filter=id in (…)` in small batches: changed users
come out exactly as a full read would give them, at a cost proportional to the changes. The
sign-in activity of unchanged users stays as the last full import read it, which is why a full
import is still needed from time to time (the engine says so in a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from core.domain.cancel import CancelToken
from core.graph import GraphClient
from core.imports.parse import USER_FIELDS, fold_users
from core.storage.snapshots import SnapshotWriter

# Graph accepts up to 15 values in an `in` filter on directory objects.
FILTER_BATCH = 15
# Delta reports a user only when a property named in its $select changed, so the link selects
# every property the snapshot keeps that delta tracks: licenseAssignmentStates is not tracked
# (changed users are re-read with it), signInActivity is no delta property.
DELTA_SELECT = ",".join(f for f in USER_FIELDS.split(",") if f != "licenseAssignmentStates")


def latest_delta_link(graph: GraphClient) -> str | None:
    """A delta link for the tenant's current state without enumerating it ($deltatoken=latest)."""
    link = None
    params = {"$select": DELTA_SELECT, "$deltatoken": "latest"}
    for page in graph.iter_pages("/users/delta", params):
        link = page.delta_link or link
    return link


def apply_delta(
    graph: GraphClient,
    writer: SnapshotWriter,
    *,
    delta_link: str,
    previous_snapshot_id: int,
    select: str,
    cancel: CancelToken,
    progress: Callable[[int], None],
) -> tuple[str | None, int]:
    """Copy the previous users, apply the changes; returns (new delta link, users changed)."""
    writer.copy_users_from(previous_snapshot_id)
    changed: set[str] = set()
    removed: set[str] = set()
    new_link: str | None = None
    for page in graph.iter_pages(delta_link):
        for item in page.items:
            uid = item.get("id")
            if not uid:
                continue
            if "@removed" in item:
                removed.add(uid)
                changed.discard(uid)
            else:
                changed.add(uid)
                removed.discard(uid)
        new_link = page.delta_link or new_link
        cancel.raise_if_cancelled()
    writer.replace_users(sorted(removed), [], [])
    done = len(removed)
    for batch in _batches(sorted(changed), FILTER_BATCH):
        users, skus = _read_batch(graph, batch, select)
        writer.replace_users(batch, users, skus)
        done += len(batch)
        progress(done)
        cancel.raise_if_cancelled()
    return new_link, done


def _read_batch(graph: GraphClient, ids: list[str], select: str):  # type: ignore[no-untyped-def]
    quoted = ",".join(f"'{uid}'" for uid in ids)
    params = {"$filter": f"id in ({quoted})", "$select": select}
    users, skus = [], []
    for page in graph.iter_pages("/users", params):
        u, s = fold_users(page.items, page.url)
        users.extend(u)
        skus.extend(s)
    return users, skus


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
