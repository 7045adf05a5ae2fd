"""Ground truth of a simulated tenant, derived from a histogram of user "kinds".

A kind is (profile, guest, enabled, sign-in class, new hire). One streaming pass over the users
builds the histogram; every count below is a sum over it, so 1,000,000 users cost one pass and
a few hundred dictionary entries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .catalog import SkuDef, SkuLayout, SubDef
from .profiles import CompiledProfile
from .users import INACTIVE, NEVER, SENTINEL

Kind = tuple[int, bool, bool, int, bool]
FREE_PARTS = frozenset({"FLOW_FREE", "POWER_BI_STANDARD", "TEAMS_EXPLORATORY"})
_E3_PARTS = frozenset({"SPE_E3", "ENTERPRISEPACK"})


@dataclass(frozen=True)
class SkuTruth:
    sku_id: str
    part_number: str
    applies_to: str
    capability_status: str
    consumed: int  # distinct users holding the SKU (= consumedUnits)
    enabled: int
    warning: int
    suspended: int
    locked_out: int
    subscriptions: int
    trial: bool
    direct: int  # holders with a direct assignment
    via_group: int  # holders with at least one group assignment
    both_paths: int  # holders with a direct and a group assignment
    disabled_holders: int
    guest_holders: int
    inactive_holders: int  # last successful sign-in > 90 days ago, assigned >= 14 days ago
    never_active_holders: int  # never signed in, assigned >= 14 days ago
    new_holders: int  # assigned < 14 days ago (new hires)

    @property
    def free(self) -> bool:
        return self.part_number in FREE_PARTS

    @property
    def total_units(self) -> int:
        """Σ totalLicenses of the SKU's subscriptions."""
        return self.enabled + self.warning + self.suspended + self.locked_out

    @property
    def available(self) -> int:
        """enabled − consumed; negative when the SKU is over-assigned."""
        return self.enabled - self.consumed


@dataclass(frozen=True)
class Truth:
    """What an importer of this tenant must find (simulated now: 2026-11-28)."""

    tenant_id: str
    version: int
    users: int
    members: int
    guests: int
    disabled: int
    licensed_users: int
    unlicensed_users: int
    licensed_disabled: int
    licensed_guests: int
    new_hires: int  # created (and licensed, if at all) < 14 days ago
    never_signed_in: int  # signInActivity null or the 0001-01-01 sentinel
    sentinel_sign_ins: int
    inactive_users: int  # licensed, last successful sign-in > 90 days ago, not new
    never_active_users: int  # licensed, never signed in, not new
    e3_e5_overlap: int  # users holding (M365 E3 or O365 E3) and M365 E5
    duplicate_path_users: int  # users with a direct and a group path for one SKU
    group_errors: int  # users whose group assignment failed (no effective license)
    skus: Mapping[str, SkuTruth]  # by skuId
    report_rows: Mapping[str, int]  # by report function name
    deleted_report_rows: int
    premium: bool
    concealed_names: bool

    def sku(self, part_number: str) -> SkuTruth:
        for sku in self.skus.values():
            if sku.part_number == part_number:
                return sku
        raise KeyError(part_number)


def sub_units(sub: SubDef, consumed: int) -> int:
    return max(sub.floor, math.ceil(consumed * sub.share - 1e-9))


def capability(units: Mapping[str, int]) -> str:
    for status in ("Enabled", "Warning", "Suspended", "LockedOut"):
        if units.get(status, 0) > 0:
            return status
    return "Deleted"


def plan_units(layouts: Sequence[SkuLayout], base_consumed: Sequence[int]) -> list[list[int]]:
    """Return the units of every subscription, fixed by the base (unmutated) tenant."""
    return [[sub_units(s, base_consumed[n]) for s in lay.subs] for n, lay in enumerate(layouts)]


def consumed_per_sku(hist: Counter[Kind], profiles: Sequence[CompiledProfile], n: int) -> list[int]:
    consumed = [0] * n
    for kind, count in hist.items():
        for s in profiles[kind[0]].effective:
            consumed[s] += count
    return consumed


@dataclass
class _SkuAcc:
    consumed: int = 0
    direct: int = 0
    via_group: int = 0
    both: int = 0
    disabled: int = 0
    guests: int = 0
    inactive: int = 0
    never: int = 0
    new: int = 0


def _accumulate(acc: _SkuAcc, prof: CompiledProfile, s: int, kind: Kind, count: int) -> None:
    _, guest, enabled, sclass, new = kind
    acc.consumed += count
    acc.direct += count if s in prof.direct else 0
    acc.via_group += count if s in prof.via_group else 0
    acc.both += count if s in prof.direct and s in prof.via_group else 0
    acc.disabled += 0 if enabled else count
    acc.guests += count if guest else 0
    acc.new += count if new else 0
    if not new:
        acc.inactive += count if sclass == INACTIVE else 0
        acc.never += count if sclass in (NEVER, SENTINEL) else 0


def _tenant_counts(
    hist: Counter[Kind], profiles: Sequence[CompiledProfile], skus: Sequence[SkuDef]
) -> Counter[str]:
    c: Counter[str] = Counter()
    e5 = next((n for n, s in enumerate(skus) if s.part == "SPE_E5"), -1)
    e3 = {n for n, s in enumerate(skus) if s.part in _E3_PARTS}
    for kind, count in hist.items():
        prof = profiles[kind[0]]
        _, guest, enabled, sclass, new = kind
        never = sclass in (NEVER, SENTINEL)
        c["users"] += count
        c["guests" if guest else "members"] += count
        c["disabled"] += 0 if enabled else count
        c["new"] += count if new else 0
        c["never"] += count if never else 0
        c["sentinel"] += count if sclass == SENTINEL else 0
        c["group_errors"] += count if prof.errors else 0
        c["app_rows"] += count if prof.has_apps else 0
        c["activation_rows"] += 0 if never else count * len(prof.activations)
        if prof.licensed:
            c["licensed"] += count
            c["licensed_disabled"] += 0 if enabled else count
            c["licensed_guests"] += count if guest else 0
            c["inactive"] += count if sclass == INACTIVE and not new else 0
            c["never_active"] += count if never and not new else 0
            c["overlap"] += count if e5 in prof.effective and e3 & set(prof.effective) else 0
            c["dup"] += count if prof.direct & prof.via_group else 0
    return c


def _sku_truths(
    hist: Counter[Kind],
    profiles: Sequence[CompiledProfile],
    skus: Sequence[SkuDef],
    layouts: Sequence[SkuLayout],
    units: Sequence[Sequence[int]],
) -> dict[str, SkuTruth]:
    accs = [_SkuAcc() for _ in skus]
    for kind, count in hist.items():
        prof = profiles[kind[0]]
        for s in prof.effective:
            _accumulate(accs[s], prof, s, kind, count)
    out: dict[str, SkuTruth] = {}
    for n, sku in enumerate(skus):
        by_status: Counter[str] = Counter()
        for sub, u in zip(layouts[n].subs, units[n], strict=True):
            by_status[sub.status] += u
        a = accs[n]
        out[sku.sku_id] = SkuTruth(
            sku_id=sku.sku_id,
            part_number=sku.part,
            applies_to=sku.applies_to,
            capability_status=capability(by_status),
            consumed=a.consumed,
            enabled=by_status["Enabled"],
            warning=by_status["Warning"],
            suspended=by_status["Suspended"],
            locked_out=by_status["LockedOut"],
            subscriptions=len(layouts[n].subs),
            trial=any(s.trial for s in layouts[n].subs),
            direct=a.direct,
            via_group=a.via_group,
            both_paths=a.both,
            disabled_holders=a.disabled,
            guest_holders=a.guests,
            inactive_holders=a.inactive,
            never_active_holders=a.never,
            new_holders=a.new,
        )
    return out


def summarize(
    *,
    tenant_id: str,
    version: int,
    hist: Counter[Kind],
    profiles: Sequence[CompiledProfile],
    skus: Sequence[SkuDef],
    layouts: Sequence[SkuLayout],
    units: Sequence[Sequence[int]],
    deleted_report_rows: int,
    premium: bool,
    concealed_names: bool,
) -> Truth:
    c = _tenant_counts(hist, profiles, skus)
    sku_truths = _sku_truths(hist, profiles, skus, layouts, units)
    return Truth(
        tenant_id=tenant_id,
        version=version,
        users=c["users"],
        members=c["members"],
        guests=c["guests"],
        disabled=c["disabled"],
        licensed_users=c["licensed"],
        unlicensed_users=c["users"] - c["licensed"],
        licensed_disabled=c["licensed_disabled"],
        licensed_guests=c["licensed_guests"],
        new_hires=c["new"],
        never_signed_in=c["never"],
        sentinel_sign_ins=c["sentinel"],
        inactive_users=c["inactive"],
        never_active_users=c["never_active"],
        e3_e5_overlap=c["overlap"],
        duplicate_path_users=c["dup"],
        group_errors=c["group_errors"],
        skus=sku_truths,
        report_rows={
            "getOffice365ActiveUserDetail": c["users"] + deleted_report_rows,
            "getM365AppUserDetail": c["app_rows"],
            "getOffice365ActivationsUserDetail": c["activation_rows"],
        },
        deleted_report_rows=deleted_report_rows,
        premium=premium,
        concealed_names=concealed_names,
    )
