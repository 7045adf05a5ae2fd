"""Typed application settings, declared once with their defaults; stored in SQLite."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from core.domain.beacon import DEFAULT_BEACON_VERSION, parse_beacon_release
from core.errors import ValidationError

INACTIVE_DAY_CHOICES = (30, 60, 90, 180)
RUN_IN_WINDOW = "window"
RUN_ON_WORKERS = "workers"


@dataclass(frozen=True)
class AppSettings:
    beacon_version: str = ""  # empty = the newest version the app knows
    inactive_days: int = 90
    min_assignment_age_days: int = 14
    currency: str = "USD"
    snapshots_kept: int = 30
    # "Execute now" and Import all in the window: "window" runs them here, "workers" queues
    # them for the headless workers (`licensedesk-cli worker`).
    run_imports_on: str = "window"

    @property
    def imports_on_workers(self) -> bool:
        return self.run_imports_on == RUN_ON_WORKERS

    def effective_beacon_version(self) -> str:
        return self.beacon_version or str(DEFAULT_BEACON_VERSION)


def _beacon(value: str) -> str:
    return str(parse_beacon_release(value))


def _inactive_days(value: str) -> int:
    days = int(value)
    if days not in INACTIVE_DAY_CHOICES:
        raise ValueError("Inactivity must be 30, 60, 90 or 180 days.")
    return days


def _non_negative(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 3650:
        raise ValueError("Enter a number of days between 0 and 3650.")
    return number


def _snapshots(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 1000:
        raise ValueError("Keep between 1 and 1000 snapshots.")
    return number


def _run_imports_on(value: str) -> str:
    choice = value.strip().lower()
    if choice not in (RUN_IN_WINDOW, RUN_ON_WORKERS):
        raise ValueError("Run imports “window” (in this window) or “workers” (headless workers).")
    return choice


# Said wherever the currency is changed: prices are numbers typed in one currency.
CURRENCY_RELABEL_NOTE = (
    "Changing the currency relabels every amount; it does not convert them: update the unit "
    "prices to the new currency."
)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("Currency is a three-letter ISO code such as USD or EUR.")
    return code


PARSERS: Mapping[str, Callable[[str], Any]] = {
    "beacon_version": _beacon,
    "inactive_days": _inactive_days,
    "min_assignment_age_days": _non_negative,
    "currency": _currency,
    "snapshots_kept": _snapshots,
    "run_imports_on": _run_imports_on,
}
SETTING_KEYS = tuple(f.name for f in fields(AppSettings))


def parse_setting(key: str, value: str) -> Any:
    """Parse one setting typed as text; raises ValidationError naming the key."""
    parser = PARSERS.get(key)
    if parser is None:
        raise ValidationError({key: f"Unknown setting; known: {', '.join(SETTING_KEYS)}."})
    try:
        return parser(str(value))
    except ValueError as exc:
        message = str(exc)
        if "invalid literal" in message:
            message = "Enter a whole number."
        raise ValidationError({key: message}) from None


def settings_from_rows(rows: Mapping[str, str]) -> AppSettings:
    values: dict[str, Any] = {}
    for key in SETTING_KEYS:
        if key in rows:
            try:
                values[key] = PARSERS[key](rows[key])
            except ValueError:
                continue  # a bad stored value falls back to the default
    return replace(AppSettings(), **values)
