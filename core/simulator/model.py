"""A deterministic synthetic tenant: SKUs, subscriptions, users (generated lazily by index),
mutations between imports and the ground truth an importer must reproduce."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .catalog import MIXES, PLANS, SKUS, SkuLayout
from .profiles import Group, compile_table, make_groups
from .synth import BASE_NOW, future_stamp, guid, key_of, mix, stamp
from .truth import Kind, Truth, consumed_per_sku, plan_units, summarize
from .users import (
    C_CLASS,
    C_ENABLED,
    C_GUEST,
    C_H2,
    C_NEW,
    C_PROFILE,
    DELTA_TRACKED,
    USER_PROPERTIES,
    Core,
    Override,
    UserFactory,
)

ALL_PERMISSIONS = frozenset(
    {
        "Organization.Read.All",
        "User.Read.All",
        "Reports.Read.All",
        "ReportSettings.Read.All",
        "AuditLog.Read.All",
    }
)
_LICENSES = frozenset({"assignedLicenses", "licenseAssignmentStates"})
# Microsoft Graph Command Line Tools: the shipped multi-tenant public client (spec §3).
MULTI_TENANT_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@dataclass(frozen=True)
class TenantSpec:
    """Everything that defines a simulated tenant. Same spec, same bytes."""

    name: str
    domain: str  # initial domain, e.g. contoso.onmicrosoft.com
    tenant_id: str  # GUID
    users: int
    seed: int
    client_id: str  # own registered app (confidential client)
    client_secret: str = field(repr=False)
    premium: bool = True  # Entra ID P1/P2: signInActivity available
    concealed_names: bool = False  # report setting displayConcealedNames
    granted_permissions: frozenset[str] = ALL_PERMISSIONS
    username: str = ""  # ROPC / device-code admin; "" means admin@<domain>
    password: str = field(default="", repr=False)  # "" disables ROPC sign-in
    mfa_required: bool = False
    security_defaults: bool = False  # blocks legacy (ROPC) sign-in with AADSTS530035
    # False models a national-cloud tenant: v1.0 has no usage reports nor reportSettings there.
    v1_reports: bool = True
    sku_mix: str = "m365"  # "m365" (Microsoft 365 suites) or "o365" (Office 365, no premium)
    public_client_ids: frozenset[str] = frozenset({MULTI_TENANT_CLIENT_ID})
    # Directory roles of the administrator who signs in (delegated tokens carry them).
    admin_roles: frozenset[str] = frozenset({"Global Administrator"})
    # Redirect URIs of the own app's registration; a daemon app usually has none.
    own_app_redirect_uris: tuple[str, ...] = ()

    @property
    def admin_upn(self) -> str:
        return self.username or f"admin@{self.domain}"


# users.user_id() puts (i * 0x9E3779B97F4B) mod 2**48 in the last 12 hex digits; that multiplier
# is odd, so it has an inverse and the index can be read back from an id.
_ID_MASK = (1 << 48) - 1
_ID_INVERSE = pow(0x9E3779B97F4B, -1, 1 << 48)


class TenantModel:
    """One simulated tenant. Thread-safe; users are never all held in memory."""

    def __init__(self, spec: TenantSpec) -> None:
        if spec.sku_mix not in MIXES:
            raise ValueError(f"unknown sku_mix {spec.sku_mix!r}")
        self.spec = spec
        layouts, member_defs, guest_defs = MIXES[spec.sku_mix]
        self.layouts: tuple[SkuLayout, ...] = layouts
        self.sku_defs = [SKUS[lay.part] for lay in layouts]
        self.key = key_of("tenant", spec.tenant_id.lower(), spec.seed)
        self.groups: dict[str, Group] = make_groups(self.key)
        salt = self.key % 86400
        members = compile_table(member_defs, self.sku_defs, self.groups, salt, 0)
        guests = compile_table(guest_defs, self.sku_defs, self.groups, salt, len(member_defs))
        self.factory = UserFactory(
            key=self.key,
            tenant_id=spec.tenant_id,
            domain=spec.domain,
            members=members,
            guests=guests,
        )
        self.concealed_names = spec.concealed_names
        self.admin_consents: set[str] = set()  # client ids an administrator consented to
        self.version = 0
        self._overrides: dict[int, Override] = {}
        # (version, index, properties changed); None = the user was added or deleted.
        self._changes: list[tuple[int, int, frozenset[str] | None]] = []
        self._added = 0
        self._clock = timedelta(0)
        self._lock = threading.RLock()
        self._base_hist: Counter[Kind] | None = None
        self._truth: Truth | None = None
        self._units: list[list[int]] | None = None

    # -- identity and clock ------------------------------------------------------------------
    @property
    def tenant_id(self) -> str:
        return self.spec.tenant_id

    @property
    def now(self) -> datetime:
        """The simulated now: 2026-11-28 12:00 UTC plus `advance_clock` calls."""
        return BASE_NOW + self._clock

    def advance_clock(self, days: float) -> None:
        with self._lock:
            self._clock += timedelta(days=days)

    # -- users -------------------------------------------------------------------------------
    @property
    def index_limit(self) -> int:
        return self.spec.users + self._added

    def exists(self, i: int) -> bool:
        if not 0 <= i < self.index_limit:
            return False
        ov = self._overrides.get(i)
        return ov is None or not ov.deleted

    def core(self, i: int) -> Core:
        return self.factory.core(i, self._overrides.get(i))

    def user(self, i: int, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Return user `i` as Graph returns it (all properties unless `fields`)."""
        if not self.exists(i):
            raise KeyError(f"user {i} does not exist")
        return self.factory.build(i, self.core(i), fields or USER_PROPERTIES)

    def user_id(self, i: int) -> str:
        return self.factory.user_id(i, self.core(i)[C_H2])

    def index_of(self, user_id: str) -> int | None:
        """The index of an existing user from its object id (ids encode the index)."""
        try:
            tail = int(user_id.strip().lower().rsplit("-", 1)[-1], 16)
        except ValueError:
            return None
        i = (tail * _ID_INVERSE) & _ID_MASK
        if self.exists(i) and self.user_id(i) == user_id.strip().lower():
            return i
        return None

    def upn(self, i: int) -> str:
        return self.factory.upn(i, self.core(i)[C_GUEST])

    def indexes(self, start: int = 0) -> Iterator[int]:
        """Yield the indexes of existing users from `start`, in paging order."""
        overrides = self._overrides
        for i in range(start, self.index_limit):
            ov = overrides.get(i)
            if ov is None or not ov.deleted:
                yield i

    def changed_between(
        self, since: int, upto: int, fields: tuple[str, ...] | None = None
    ) -> list[int]:
        """Indexes changed by mutations in (since, upto]. With `fields` (a delta query's
        $select), only users added, deleted or changed in a selected, delta-tracked property,
        as Graph reports them."""
        watched = None if fields is None else DELTA_TRACKED & set(fields)
        with self._lock:
            return sorted(
                {
                    i
                    for version, i, props in self._changes
                    if since < version <= upto
                    and (props is None or watched is None or props & watched)
                }
            )

    def _record(self, i: int, props: frozenset[str] | None) -> Override:
        """Bump the version if this is a new change set's first change; note the change."""
        ov = self._overrides.setdefault(i, Override(self.version))
        ov.version = self.version
        self._changes.append((self.version, i, props))
        self._truth = None
        return ov

    def remove_licenses(self, i: int) -> None:
        """Take every license away from user `i` (direct and group), as one change set."""
        with self._lock:
            self.version += 1
            self._record(i, _LICENSES).profile = self.factory.members.profiles[0].index

    def set_account_enabled(self, i: int, enabled: bool) -> None:
        """Block (or allow) sign-in of user `i`, as one change set."""
        with self._lock:
            self.version += 1
            self._record(i, frozenset({"accountEnabled"})).enabled = enabled

    def deleted_indexes(self) -> list[int]:
        with self._lock:
            return sorted(i for i, ov in self._overrides.items() if ov.deleted)

    def mutate(self, *, seed: int, changes: int) -> None:
        """Change `changes` users as happens between two imports: ~40 % change licenses,
        ~30 % are deleted, ~30 % are added (new hires). Bumps `version` for delta queries."""
        rng = random.Random(seed)
        member_profiles = self.factory.members.profiles
        with self._lock:
            self.version += 1
            v = self.version
            for _ in range(changes):
                roll = rng.random()
                if roll < 0.3 or self.index_limit - len(self.deleted_indexes()) < 2:
                    i = self.index_limit
                    self._added += 1
                    prof = member_profiles[rng.randrange(1, len(member_profiles))].index
                    self._overrides[i] = Override(v, profile=prof, added=True)
                    self._changes.append((v, i, None))
                    continue
                i = self._random_existing(rng)
                if roll < 0.7:
                    current = self.core(i)[C_PROFILE]
                    choices = [p.index for p in member_profiles if p.index != current]
                    self._record(i, _LICENSES).profile = rng.choice(choices)
                else:
                    self._record(i, None).deleted = True
            self._truth = None

    def _random_existing(self, rng: random.Random) -> int:
        while True:
            i = rng.randrange(self.index_limit)
            if self.exists(i):
                return i

    # -- ground truth ------------------------------------------------------------------------
    def _kind(self, core: Core) -> Kind:
        return (core[C_PROFILE], core[C_GUEST], core[C_ENABLED], core[C_CLASS], core[C_NEW])

    def _base_histogram(self) -> Counter[Kind]:
        with self._lock:
            if self._base_hist is None:
                hist: Counter[Kind] = Counter()
                core = self.factory.core
                kind = self._kind
                for i in range(self.spec.users):
                    hist[kind(core(i))] += 1
                self._base_hist = hist
            return self._base_hist

    def units(self) -> list[list[int]]:
        """Units of every subscription (per SKU, per layout entry); fixed at creation."""
        with self._lock:
            if self._units is None:
                base = consumed_per_sku(
                    self._base_histogram(), self.factory.profiles, len(self.sku_defs)
                )
                self._units = plan_units(self.layouts, base)
            return self._units

    def truth(self) -> Truth:
        with self._lock:
            if self._truth is None:
                hist = Counter(self._base_histogram())
                for i, ov in self._overrides.items():
                    if i < self.spec.users:
                        hist[self._kind(self.factory.core(i))] -= 1
                    if not ov.deleted:
                        hist[self._kind(self.core(i))] += 1
                hist = +hist
                self._truth = summarize(
                    tenant_id=self.tenant_id,
                    version=self.version,
                    hist=hist,
                    profiles=self.factory.profiles,
                    skus=self.sku_defs,
                    layouts=self.layouts,
                    units=self.units(),
                    deleted_report_rows=self.former_users + len(self.deleted_indexes()),
                    premium=self.spec.premium,
                    concealed_names=self.concealed_names,
                )
            return self._truth

    @property
    def former_users(self) -> int:
        """Users deleted before the simulation started; they appear only in reports."""
        return max(1, self.spec.users // 250)

    # -- licensing JSON ----------------------------------------------------------------------
    @property
    def skus(self) -> list[dict[str, Any]]:
        """`/subscribedSkus` values (consumedUnits follow mutations; units do not)."""
        truth = self.truth()
        subs = self.subscriptions
        out = []
        for sku in self.sku_defs:
            t = truth.skus[sku.sku_id]
            out.append(
                {
                    "accountId": self._account_id,
                    "accountName": self.spec.name,
                    "appliesTo": sku.applies_to,
                    "capabilityStatus": t.capability_status,
                    "consumedUnits": t.consumed,
                    "id": f"{self.tenant_id}_{sku.sku_id}",
                    "skuId": sku.sku_id,
                    "skuPartNumber": sku.part,
                    "subscriptionIds": [
                        s["commerceSubscriptionId"] for s in subs if s["skuId"] == sku.sku_id
                    ],
                    "prepaidUnits": {
                        "enabled": t.enabled,
                        "suspended": t.suspended,
                        "warning": t.warning,
                        "lockedOut": t.locked_out,
                    },
                    "servicePlans": _service_plans(sku.plans, sku.applies_to),
                }
            )
        return out

    @property
    def _account_id(self) -> str:
        return guid(mix(self.key ^ 0xACC), mix(self.key ^ 0xACD))

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        """`/directory/subscriptions` values: one per commercial subscription."""
        out = []
        units = self.units()
        for n, (sku, lay) in enumerate(zip(self.sku_defs, self.layouts, strict=True)):
            for k, (sub, total) in enumerate(zip(lay.subs, units[n], strict=True)):
                h = mix(self.key ^ (n * 64 + k + 0x50B))
                lifecycle = future_stamp(sub.lifecycle_days) if sub.lifecycle_days else None
                out.append(
                    {
                        "id": guid(h, mix(h)),
                        "commerceSubscriptionId": guid(mix(h ^ 1), mix(h ^ 2)),
                        "createdDateTime": stamp(400 + h % 900, h % 86400),
                        "isTrial": sub.trial,
                        "nextLifecycleDateTime": lifecycle,
                        "ownerId": None,
                        "ownerTenantId": None,
                        "ownerType": None,
                        "serviceStatus": _service_plans(sku.plans, sku.applies_to),
                        "skuId": sku.sku_id,
                        "skuPartNumber": sku.part,
                        "status": sub.status,
                        "totalLicenses": total,
                    }
                )
        return out

    def organization(self) -> dict[str, Any]:
        created = stamp(2900 + self.key % 500, self.key % 86400)
        return {
            "id": self.tenant_id,
            "displayName": self.spec.name,
            "countryLetterCode": "US",
            "preferredLanguage": "en",
            "createdDateTime": created,
            "tenantType": "AAD",
            "technicalNotificationMails": [self.spec.admin_upn],
            "onPremisesSyncEnabled": None,
            "assignedPlans": [],
            "provisionedPlans": [],
            "verifiedDomains": [
                {
                    "capabilities": "Email, OfficeCommunicationsOnline",
                    "isDefault": True,
                    "isInitial": True,
                    "name": self.spec.domain,
                    "type": "Managed",
                }
            ],
        }


def _service_plans(names: tuple[str, ...], applies_to: str) -> list[dict[str, str]]:
    return [
        {
            "servicePlanId": PLANS[name].plan_id,
            "servicePlanName": name,
            "provisioningStatus": "Success",
            "appliesTo": PLANS[name].applies_to if applies_to == "User" else "Company",
        }
        for name in names
    ]
