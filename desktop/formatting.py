"""How numbers, money, dates and durations read in the tables."""

from __future__ import annotations

from datetime import date, datetime

DASH = "—"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def signed(value: int | None) -> str:
    if value is None:
        return DASH
    return f"+{value:,}" if value > 0 else f"{value:,}"


def money(value: float | None, currency: str = "") -> str:
    if value is None:
        return DASH
    text = f"{value:,.2f}"
    return f"{text} {currency}".strip()


def when(value: datetime | None) -> str:
    """Local date and time to the minute."""
    if value is None:
        return DASH
    local = value.astimezone() if value.tzinfo is not None else value
    return local.strftime("%Y-%m-%d %H:%M")


def day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"
