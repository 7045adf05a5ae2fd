"""When a schedule says an import is due: elapsed time for every-N-hours, the wall clock of a
time zone for daily times, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from core.domain.connection import Connection, Schedule, ScheduleKind

DAILY = Schedule(ScheduleKind.DAILY, daily_at="02:30")
EVERY_2_H = Schedule(ScheduleKind.EVERY_N_HOURS, every_hours=2)


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # no time zone database (Windows without tzdata)
        pytest.skip(f"no time zone data for {name}")


def at(name: str, *fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=zone(name), fold=fold)  # type: ignore[misc]


def test_a_manual_schedule_is_never_due() -> None:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    assert not Schedule().is_due(None, now)
    assert not Schedule().is_due(now - timedelta(days=400), now)


@pytest.mark.parametrize("schedule", [DAILY, EVERY_2_H])
def test_a_connection_never_imported_is_due_at_once(schedule: Schedule) -> None:
    assert schedule.is_due(None, datetime(2026, 7, 1, tzinfo=UTC))


def test_every_n_hours_counts_elapsed_time_when_the_clocks_go_back() -> None:
    # New York, 1 November 2026: 02:00 EDT becomes 01:00 EST; the wall clock shows 01:30 twice.
    new_york = zone("America/New_York")
    last = at("America/New_York", 2026, 11, 1, 0, 30)

    def later(hours: float) -> datetime:
        return (last.astimezone(UTC) + timedelta(hours=hours)).astimezone(new_york)

    assert later(2).hour == 1  # two hours on, the wall clock is only one hour further
    assert not EVERY_2_H.is_due(last, later(1.99))
    assert EVERY_2_H.is_due(last, later(2))
    # Wall-clock 02:30 is three hours after 00:30 that night.
    assert EVERY_2_H.is_due(last, at("America/New_York", 2026, 11, 1, 1, 30, fold=1))
    assert not EVERY_2_H.is_due(last, at("America/New_York", 2026, 11, 1, 1, 30))


@pytest.mark.parametrize(
    "name",
    ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"],
)
def test_daily_is_due_once_the_wall_clock_reaches_the_time(name: str) -> None:
    last = at(name, 2026, 7, 1, 2, 31)
    tz = zone(name)
    assert not DAILY.is_due(last, at(name, 2026, 7, 2, 2, 29), tz)
    assert DAILY.is_due(last, at(name, 2026, 7, 2, 2, 30), tz)
    assert DAILY.is_due(last, at(name, 2026, 7, 3, 1, 0), tz)  # a day missed: due at once


def test_the_same_instant_is_due_in_one_zone_and_not_in_another() -> None:
    # 02:30 in Kolkata (UTC+05:30) is 21:00 UTC the evening before.
    last = datetime(2026, 7, 1, 20, 59, tzinfo=UTC)
    now = datetime(2026, 7, 1, 21, 0, tzinfo=UTC)
    assert DAILY.is_due(last, now, zone("Asia/Kolkata"))
    assert not DAILY.is_due(last, now, zone("UTC"))


def test_on_the_night_the_clocks_skip_the_time_it_runs_as_much_later() -> None:
    # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
    berlin = zone("Europe/Berlin")
    last = at("Europe/Berlin", 2026, 3, 28, 2, 30)
    assert not DAILY.is_due(last, at("Europe/Berlin", 2026, 3, 29, 1, 59), berlin)
    assert not DAILY.is_due(last, at("Europe/Berlin", 2026, 3, 29, 3, 29), berlin)
    assert DAILY.is_due(last, at("Europe/Berlin", 2026, 3, 29, 3, 30), berlin)
    ran = at("Europe/Berlin", 2026, 3, 29, 3, 30)
    assert not DAILY.is_due(ran, at("Europe/Berlin", 2026, 3, 30, 2, 29), berlin)
    assert DAILY.is_due(ran, at("Europe/Berlin", 2026, 3, 30, 2, 30), berlin)


def test_on_the_night_the_clocks_repeat_the_time_it_runs_once() -> None:
    # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 comes twice.
    berlin = zone("Europe/Berlin")
    first = at("Europe/Berlin", 2026, 10, 25, 2, 30)
    second = at("Europe/Berlin", 2026, 10, 25, 2, 30, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert DAILY.is_due(at("Europe/Berlin", 2026, 10, 24, 2, 30), first, berlin)
    assert not DAILY.is_due(first, second, berlin)
    assert not DAILY.is_due(first, at("Europe/Berlin", 2026, 10, 25, 23, 0), berlin)
    assert DAILY.is_due(first, at("Europe/Berlin", 2026, 10, 26, 2, 30), berlin)


def test_without_a_zone_the_system_zone_is_used() -> None:
    now = datetime.now().astimezone()
    system = now.tzinfo
    last = now - timedelta(hours=5)
    assert DAILY.is_due(last, now) == DAILY.is_due(last, now, system)


def test_a_connection_asks_its_schedule_with_its_last_import() -> None:
    now = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
    recent = Connection(name="c", schedule=EVERY_2_H, last_import_at=now - timedelta(hours=1))
    old = Connection(name="c", schedule=EVERY_2_H, last_import_at=now - timedelta(hours=3))
    assert not recent.is_due(now)
    assert old.is_due(now)
