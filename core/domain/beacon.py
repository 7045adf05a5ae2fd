"""Inventory beacon versions: parsing, the releases that exist and the default (spec §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_FORMAT_MESSAGE = "Beacon versions look like 2019 R1 (year, then R and the release number)."
_VERSION_RE = re.compile(r"(\d{4})\s*[Rr]\s*(\d{1,2})")


@dataclass(frozen=True, order=True)
class BeaconVersion:
    """An inventory beacon version, ordered by year then release."""

    year: int
    release: int

    def __str__(self) -> str:
        return f"{self.year} R{self.release}"


def parse_beacon_version(text: str | BeaconVersion) -> BeaconVersion:
    """Parse `2019 R1` leniently (`2019R1`, `2019 r1`); raise ValueError with a user message."""
    if isinstance(text, BeaconVersion):
        return text
    match = _VERSION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match[1]) < 2000 or int(match[2]) < 1:
        raise ValueError(VERSION_FORMAT_MESSAGE)
    return BeaconVersion(int(match[1]), int(match[2]))


KNOWN_BEACON_VERSIONS: tuple[BeaconVersion, ...] = (
    *(BeaconVersion(year, release) for year in range(2018, 2025) for release in (1, 2)),
    BeaconVersion(2025, 1),
)
DEFAULT_BEACON_VERSION: BeaconVersion = KNOWN_BEACON_VERSIONS[-1]
# Every release that exists, oldest first: 2017 had three (R1 to R3), later years R1 and R2.
BEACON_RELEASES: tuple[BeaconVersion, ...] = (
    *(BeaconVersion(2017, release) for release in (1, 2, 3)),
    *KNOWN_BEACON_VERSIONS,
)


def parse_beacon_release(text: str | BeaconVersion) -> BeaconVersion:
    """Parse a version typed by the user and refuse one that was never released."""
    version = parse_beacon_version(text)
    if version not in BEACON_RELEASES:
        raise ValueError(
            f"There is no beacon {version}: versions run from {BEACON_RELEASES[0]} "
            f"to {BEACON_RELEASES[-1]}."
        )
    return version
