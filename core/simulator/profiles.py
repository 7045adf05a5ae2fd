"""License profiles compiled for one tenant: the JSON fragments every holder of a profile
shares, so generating a user costs a lookup instead of building license lists."""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from .catalog import PLANS, SKUS, WORKLOADS, ProfileDef, SkuDef
from .synth import guid, mix, stamp

# Licence assignment dates (days before now) a profile's holders can have; a user gets one
# that is later than its creation date. New hires get their own (creation day).
VARIANT_DAYS = (20, 200, 700, 1500)


@dataclass(frozen=True)
class Group:
    key: str
    group_id: str
    display_name: str


@dataclass(frozen=True)
class CompiledProfile:
    index: int
    effective: tuple[int, ...]  # tenant SKU indexes the holder is licensed for
    direct: frozenset[int]
    via_group: frozenset[int]
    errors: tuple[int, ...]  # SKUs whose group assignment failed (CountViolation)
    assigned: list[dict[str, Any]]  # assignedLicenses, shared by all holders
    states: tuple[list[dict[str, Any]], ...]  # licenseAssignmentStates per date variant
    workloads: tuple[bool, ...]  # Has Exchange … Has Teams License
    activations: tuple[str, ...]  # activation report product types
    products: str  # Assigned Products of the reports
    has_apps: bool  # licensed for the Microsoft 365 desktop apps
    assigned_json: str
    states_json: tuple[str, ...]

    @property
    def licensed(self) -> bool:
        return bool(self.effective)

    def states_for(self, variant: int, days_ago: int, seconds: int) -> list[dict[str, Any]]:
        if variant >= 0:
            return self.states[variant]
        when = stamp(days_ago, seconds)
        return [dict(s, lastUpdatedDateTime=when) for s in self.states[0]]


@dataclass(frozen=True)
class ProfileTable:
    profiles: tuple[CompiledProfile, ...]
    cumulative: tuple[int, ...]  # cumulative weights scaled to 1 << 16

    def pick(self, r16: int) -> int:
        return bisect_right(self.cumulative, r16)


def make_groups(seed_key: int) -> dict[str, Group]:
    from .catalog import GROUPS

    out: dict[str, Group] = {}
    for n, (key, name) in enumerate(sorted(GROUPS.items())):
        h = mix(seed_key ^ (0x6A09E667 + n))
        out[key] = Group(key, guid(h, mix(h)), name)
    return out


def _disabled_ids(sku: SkuDef, disabled: tuple[str, ...]) -> list[str]:
    return [PLANS[p].plan_id for p in disabled if p in sku.plans]


def _state(
    sku: SkuDef, group: str | None, disabled: list[str], when: str, failed: bool
) -> dict[str, Any]:
    return {
        "assignedByGroup": group,
        "disabledPlans": disabled,
        "error": "CountViolation" if failed else "None",
        "lastUpdatedDateTime": when,
        "skuId": sku.sku_id,
        "state": "Error" if failed else "Active",
    }


def compile_profile(
    index: int, spec: ProfileDef, skus: list[SkuDef], groups: dict[str, Group], salt: int
) -> CompiledProfile:
    pos = {s.part: n for n, s in enumerate(skus)}
    direct: set[int] = set()
    via_group: set[int] = set()
    errors: list[int] = []
    variants: list[list[dict[str, Any]]] = [[] for _ in VARIANT_DAYS]
    for part, path in spec.paths:
        n = pos[part]
        sku = skus[n]
        failed = path.startswith("error:")
        group = None if path == "direct" else groups[path.removeprefix("error:")].group_id
        disabled = _disabled_ids(sku, spec.disabled_plans) if path == "direct" else []
        if failed:
            errors.append(n)
        elif group is None:
            direct.add(n)
        else:
            via_group.add(n)
        for v, days in enumerate(VARIANT_DAYS):
            when = stamp(days, (salt + 7919 * index + 131 * n) % 86400)
            variants[v].append(_state(sku, group, disabled, when, failed))
    effective = tuple(sorted(direct | via_group))
    assigned = [
        {
            "disabledPlans": _disabled_ids(skus[n], spec.disabled_plans) if n in direct else [],
            "skuId": skus[n].sku_id,
        }
        for n in effective
    ]
    workloads = [False] * len(WORKLOADS)
    activations: list[str] = []
    has_apps = False
    for n in effective:
        off = set(spec.disabled_plans) if n in direct else set()
        for plan_name in skus[n].plans:
            if plan_name in off:
                continue
            plan = PLANS[plan_name]
            for w in plan.workloads:
                workloads[w] = True
            if plan.activation and plan.activation not in activations:
                activations.append(plan.activation)
            has_apps = has_apps or plan_name == "OFFICESUBSCRIPTION"
    return CompiledProfile(
        index=index,
        effective=effective,
        direct=frozenset(direct),
        via_group=frozenset(via_group),
        errors=tuple(errors),
        assigned=assigned,
        states=tuple(variants),
        workloads=tuple(workloads),
        activations=tuple(activations),
        products="+".join(skus[n].report_name for n in effective),
        has_apps=has_apps,
        assigned_json=json.dumps(assigned, separators=(",", ":")),
        states_json=tuple(json.dumps(v, separators=(",", ":")) for v in variants),
    )


def compile_table(
    defs: tuple[ProfileDef, ...],
    skus: list[SkuDef],
    groups: dict[str, Group],
    salt: int,
    first_index: int,
) -> ProfileTable:
    profiles = tuple(
        compile_profile(first_index + n, d, skus, groups, salt) for n, d in enumerate(defs)
    )
    total = sum(d.weight for d in defs)
    running = 0
    cumulative = []
    for d in defs[:-1]:
        running += d.weight
        cumulative.append(running * 65536 // total)
    return ProfileTable(profiles, tuple(cumulative))


def tenant_skus(parts: list[str]) -> list[SkuDef]:
    return [SKUS[p] for p in parts]
