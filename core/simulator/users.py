"""Per-user generation: a compact "core" (what the ground truth needs) and the Graph JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from .profiles import VARIANT_DAYS, CompiledProfile, ProfileTable
from .synth import (
    M64,
    NEVER_SENTINEL,
    PARTNER_DOMAINS,
    guid,
    mix,
    person,
    stamp,
)

# Rates per 1024.
GUEST_RATE = 31  # ~3 %
DISABLED_RATE = 41  # ~4 %
NEW_HIRE_RATE = 15  # ~1.5 %, created less than 14 days ago

# Sign-in classes of a user's last successful sign-in.
ACTIVE: Final = 0
INACTIVE: Final = 1
NEVER: Final = 2
SENTINEL: Final = 3
# Core tuple fields.
# (profile, guest, enabled, created days ago, sign-in class, sign-in days ago, new hire,
#  licence-date variant, second hash)
Core = tuple[int, bool, bool, int, int, int, bool, int, int]
C_PROFILE: Final = 0
C_GUEST: Final = 1
C_ENABLED: Final = 2
C_CREATED: Final = 3
C_CLASS: Final = 4
C_DAYS: Final = 5
C_NEW: Final = 6
C_VARIANT: Final = 7
C_H2: Final = 8

USER_PROPERTIES = (
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "givenName",
    "surname",
    "accountEnabled",
    "userType",
    "createdDateTime",
    "usageLocation",
    "jobTitle",
    "department",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "assignedLicenses",
    "licenseAssignmentStates",
    "signInActivity",
)
DEFAULT_SELECT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)


# Properties /users/delta tracks: a change shows up only when one of these was selected and
# changed. licenseAssignmentStates is not tracked (Graph docs), signInActivity is no delta
# property at all.
DELTA_UNTRACKED = frozenset({"licenseAssignmentStates", "signInActivity"})
DELTA_TRACKED = frozenset(USER_PROPERTIES) - DELTA_UNTRACKED


@dataclass
class Override:
    """A change made by `TenantModel.mutate` (or a named mutation) to one user."""

    version: int
    deleted: bool = False
    profile: int | None = None
    added: bool = False
    enabled: bool | None = None


def _sign_in_class(h: int, h2: int, created: int, disabled: bool, new: bool) -> tuple[int, int]:
    bucket = (h >> 46) & 0x3FF
    span = (h2 >> 12) & 0xFFFF
    if bucket >= 1001:
        return (NEVER, -1) if new else (SENTINEL, -1)
    if bucket >= 932:
        return NEVER, -1
    if new:
        return (ACTIVE, span % created) if bucket < 820 else (NEVER, -1)
    if bucket < 820 and not disabled:
        days = span % 30 if bucket < 740 else 30 + span % 51
        return ACTIVE, min(days, created - 1)
    days = 100 + span % 600
    if days >= created:
        return (INACTIVE, created - 1) if created > 101 else (NEVER, -1)
    return INACTIVE, days


_V1, _V2, _V3 = VARIANT_DAYS[1:]


class UserFactory:
    """Generates users of one tenant from their index."""

    def __init__(
        self,
        *,
        key: int,
        tenant_id: str,
        domain: str,
        members: ProfileTable,
        guests: ProfileTable,
    ) -> None:
        self.key = key
        self.tenant_id = tenant_id
        self.domain = domain
        self.members = members
        self.guests = guests
        self.profiles: tuple[CompiledProfile, ...] = members.profiles + guests.profiles
        # 12-bit draw -> global profile index, so picking a profile is one tuple lookup.
        self._member_pick = tuple(members.profiles[members.pick(r << 4)].index for r in range(4096))
        self._guest_pick = tuple(guests.profiles[guests.pick(r << 4)].index for r in range(4096))
        self._name_salt = key % 1000003
        # Request ids of sign-ins need not be unique: draw them from a pool.
        self._rids = tuple(
            guid(mix(key ^ (n << 20)), mix(key ^ (n << 21) ^ 1)) for n in range(4096)
        )

    def core(self, i: int, override: Override | None = None) -> Core:
        h = mix(self.key ^ i)
        h2 = ((h ^ (h >> 31)) * 0xBF58476D1CE4E5B9) & M64
        guest = (h & 0x3FF) < GUEST_RATE
        enabled = ((h >> 10) & 0x3FF) >= DISABLED_RATE
        profile = (self._guest_pick if guest else self._member_pick)[(h >> 20) & 0xFFF]
        new = ((h >> 36) & 0x3FF) < NEW_HIRE_RATE
        created = 1 + h2 % 10 if new else 30 + h2 % 2470
        if override is not None:
            if override.profile is not None:
                profile = override.profile
            if override.added:
                new, created, enabled = True, 0, True
        sclass, sdays = _sign_in_class(h, h2, max(created, 1), not enabled, new)
        if override is not None and override.enabled is not None:
            enabled = override.enabled  # blocked later: the sign-in history stays as it was
        if new:
            variant = -1
        else:  # a licence assignment date later than the creation date
            fits = 4 if created > _V3 else 3 if created > _V2 else 2 if created > _V1 else 1
            variant = (h2 >> 40) % fits
        return (profile, guest, enabled, created, sclass, sdays, new, variant, h2)

    def user_id(self, i: int, h2: int) -> str:
        # The last 12 digits are a bijection of the index: ids are unique by construction.
        return guid(h2 ^ self.key, ((h2 & 0xFFFF) << 48) | ((i * 0x9E3779B97F4B) & _M48))

    def names(self, i: int, guest: bool) -> tuple[str, str, str, str, str]:
        """Return (given name, surname, display name, UPN, mail)."""
        first, last, alias = person(i, self._name_salt)
        if guest:
            partner = PARTNER_DOMAINS[i % len(PARTNER_DOMAINS)]
            mail = f"{alias}@{partner}"
            upn = f"{alias}_{partner}#EXT#@{self.domain}"
            return first, last, f"{first} {last} ({partner.split('.')[0].title()})", upn, mail
        upn = f"{alias}@{self.domain}"
        return first, last, f"{first} {last}", upn, upn

    def upn(self, i: int, guest: bool) -> str:
        return self.names(i, guest)[3]

    def sign_in_json(self, core: Core) -> str:
        """Return the signInActivity JSON fragment of a user."""
        sclass = core[C_CLASS]
        if sclass == NEVER:
            return "null"
        if sclass == SENTINEL:
            return _SENTINEL_JSON
        h2 = core[C_H2]
        days = core[C_DAYS]
        sec = (h2 >> 20) % 86400
        success = stamp(days, sec)
        rids = self._rids
        rid = rids[h2 & 0xFFF]
        failed_later = (h2 >> 60) == 0 and days > 0  # ~6 %: a later failed attempt
        interactive = stamp(days - 1, sec + 977) if failed_later else success
        interactive_rid = rids[(h2 >> 12) & 0xFFF] if failed_later else rid
        non_interactive = stamp(max(0, days - (h2 >> 56) % 4), sec + 3611)
        return (
            f'{{"lastSignInDateTime":"{interactive}","lastSignInRequestId":"{interactive_rid}",'
            f'"lastNonInteractiveSignInDateTime":"{non_interactive}",'
            f'"lastNonInteractiveSignInRequestId":"{rids[(h2 >> 24) & 0xFFF]}",'
            f'"lastSuccessfulSignInDateTime":"{success}","lastSuccessfulSignInRequestId":"{rid}"}}'
        )

    def states_json(self, core: Core) -> str:
        profile = self.profiles[core[C_PROFILE]]
        variant = core[C_VARIANT]
        if variant >= 0:
            return profile.states_json[variant]
        h2 = core[C_H2]
        # assigned ten minutes after the account was created (same day)
        sec = min((h2 >> 8) % 86400 + 600, 86399)
        states = profile.states_for(variant, core[C_CREATED], sec)
        return json.dumps(states, separators=(",", ":"))

    def emit(self, i: int, core: Core, fields: tuple[str, ...]) -> str:
        """Return the Graph JSON text of user `i` with exactly `fields`, in that order."""
        from .emit import emitter

        return emitter(fields)(self, i, core)

    def build(self, i: int, core: Core, fields: tuple[str, ...]) -> dict[str, Any]:
        """Return the Graph user object with exactly `fields` (a dict; see `emit`)."""
        result: dict[str, Any] = json.loads(self.emit(i, core, fields))
        return result


_M48 = (1 << 48) - 1
_SENTINEL_JSON = (
    f'{{"lastSignInDateTime":"{NEVER_SENTINEL}","lastSignInRequestId":"",'
    f'"lastNonInteractiveSignInDateTime":"{NEVER_SENTINEL}","lastNonInteractiveSignInRequestId":"",'
    '"lastSuccessfulSignInDateTime":null,"lastSuccessfulSignInRequestId":null}'
)
