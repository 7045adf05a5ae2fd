"""The application settings as stored: read, validated and written through one repository."""

from __future__ import annotations

from collections.abc import Callable

from core.domain.beacon import BeaconVersion, parse_beacon_version
from core.domain.settings import AppSettings, parse_setting, settings_from_rows
from core.storage.db import Database
from core.storage.repositories import SettingsRepository

# Settings the stored holder statistics depend on (spec §7: inactivity and new-hire window).
STATS_SETTINGS = frozenset({"inactive_days", "min_assignment_age_days"})


class SettingsService:
    """`stats_changed` runs after a setting the stored statistics depend on was written."""

    def __init__(
        self, database: Database, *, stats_changed: Callable[[], None] | None = None
    ) -> None:
        self._database = database
        self._repository = SettingsRepository()
        self._stats_changed = stats_changed

    def current(self) -> AppSettings:
        return settings_from_rows(self._repository.get_all(self._database.thread_connection()))

    def beacon_version(self) -> BeaconVersion:
        return parse_beacon_version(self.current().effective_beacon_version())

    def update(self, key: str, value: str) -> AppSettings:
        """Validate and store one setting; raises ValidationError naming the key."""
        parsed = parse_setting(key, value)
        with self._database.transaction(self._database.thread_connection()) as conn:
            self._repository.set(conn, key, str(parsed))
        if key in STATS_SETTINGS and self._stats_changed is not None:
            # The holder statistics depend on it: stored again now, so reads stay reads.
            self._stats_changed()
        return self.current()
