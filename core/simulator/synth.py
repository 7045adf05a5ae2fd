"""Cheap deterministic randomness, simulated time and names for the synthetic tenants.

Every per-user value comes from `mix(seed_key ^ index)` (splitmix64), so a user can be
generated on its own, in any order, without a `random.Random` per user.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

M64 = (1 << 64) - 1

# The simulated "now" of every tenant: results never depend on the wall clock.
BASE_NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
# Usage reports are current to two days before now.
REPORT_LAG_DAYS = 2
MAX_DAYS = 4000
_BASE_DATE = BASE_NOW.date()
DAY_STR: tuple[str, ...] = tuple(
    (_BASE_DATE - timedelta(days=d)).isoformat() for d in range(MAX_DAYS + 1)
)
REPORT_REFRESH_DATE = DAY_STR[REPORT_LAG_DAYS]
NEVER_SENTINEL = "0001-01-01T00:00:00Z"


def mix(x: int) -> int:
    """Return splitmix64 of `x`: a well-spread 64-bit value."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def key_of(*parts: object) -> int:
    """Return a 64-bit key for a tuple of strings/ints (stable across processes)."""
    h = 0x51ED270B27
    for part in parts:
        for ch in str(part).encode():
            h = mix(h ^ ch)
        h = mix(h ^ 0xFF)
    return h


def guid(h: int, h2: int) -> str:
    """Format two 64-bit values as a GUID string."""
    s = f"{h:016x}{h2:016x}"
    return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"


_TOD_MIN = tuple(f"T{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SEC_Z = tuple(f"{sec:02d}Z" for sec in range(60))


def stamp(days_ago: int, seconds: int) -> str:
    """Return an ISO-8601 UTC timestamp `days_ago` days before the simulated now."""
    if days_ago <= 0:
        days_ago, seconds = 0, seconds % 43200  # not later than now (12:00)
    seconds %= 86400
    return DAY_STR[days_ago] + _TOD_MIN[seconds // 60] + _SEC_Z[seconds % 60]


def future_stamp(days_ahead: int) -> str:
    """Return midnight UTC `days_ahead` days after the simulated now."""
    return iso(datetime.combine(_BASE_DATE + timedelta(days=days_ahead), datetime.min.time(), UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FIRST = (
    "Adele Alex Allan Amara Anika Arjun Astrid Ben Bianca Bruno Carla Carlos Chen Chloe Daniel "
    "Diego Elena Emil Emma Erik Fatima Felix Grace Hana Hugo Ines Isaac Ivan Jana Jonas Julia "
    "Kai Karin Lars Laura Lea Leon Lidia Lina Lucas Lynne Maya Megan Miguel Mina Nadia Nestor "
    "Nina Noah Olga Omar Oscar Patti Paul Priya Rafael Rita Ruth Sam Sara Sofia Tariq Theo "
    "Uma Victor Wei Yara Yusuf Zoe Anton Beatriz Clara Dmitri Eva Farah"
)
_LAST = (
    "Vance Wilber Deyoung Harris Sherman Mueller Tanaka Fischer Garcia Rossi Novak Jensen "
    "Kowalski Dubois Silva Nakamura Larsen Moreau Weber Costa Berg Horvat Ivanova Khan Lindqvist "
    "Martin Nguyen Olsen Patel Quinn Ramos Schmidt Torres Ueda Varga Walsh Young Zhang Abbott "
    "Brooks Castillo Dalton Ellis Ferreira Gallo Holm Ito Jovanovic Keller Lopez Meyer Nilsen "
    "Ortiz Peters Reyes Santos Takahashi Urban Vogel Wagner Yilmaz Adams Baker Cruz Diaz Evans "
    "Fox Gray Hughes Ingram Jones Kim Lee Murphy"
)
FIRST_NAMES = tuple(_FIRST.split())
LAST_NAMES = tuple(_LAST.split())
_NAME_SPACE = len(FIRST_NAMES) * len(LAST_NAMES)
_NAME_MULT = 2417  # coprime with the name space, so names are a permutation of indexes
JOB_TITLES = (
    "Analyst",
    "Engineer",
    "Consultant",
    "Sales Manager",
    "Accountant",
    "Designer",
    "Support Specialist",
    "Project Manager",
    "Developer",
    "HR Partner",
)
DEPARTMENTS = ("Finance", "Engineering", "Sales", "Marketing", "Operations", "HR", "Legal", "IT")
LOCATIONS = ("US", "US", "US", "GB", "DE", "FR", "NL", "CA", "AU", "IN")
PARTNER_DOMAINS = ("northwind.example", "adatum.example", "tailspin.example", "litware.example")


def person(index: int, salt: int) -> tuple[str, str, str]:
    """Return (given name, surname, unique alias) for a user index."""
    n = (index * _NAME_MULT + salt) % _NAME_SPACE
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = LAST_NAMES[n // len(FIRST_NAMES)]
    block = index // _NAME_SPACE
    alias = f"{first}.{last}".lower() + (str(block + 1) if block else "")
    return first, last, alias


def concealed_token(*parts: str) -> str:
    """Return a 32-hex upper-case token (an MD5 digest), as concealed report names look."""
    return hashlib.md5("|".join(parts).encode(), usedforsecurity=False).hexdigest().upper()
