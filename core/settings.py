"""The application settings as stored: read, validated and written through one repository."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.domain.beacon import BeaconVersion, parse_beacon_version
from core.domain.settings import AppSettings, parse_setting, settings_from_rows
from core.errors import ValidationError
from core.storage.db import Database
from core.storage.dialect import DbConnection
from core.storage.repositories import SettingsRepository

# Settings the stored holder statistics depend on (spec §7: inactivity and new-hire window).
STATS_SETTINGS = frozenset({"inactive_days", "min_assignment_age_days"})


class SettingsService:
    """`stats_changed(conn)` runs in the transaction that wrote a setting the stored
    statistics depend on, so a reader sees old settings with old figures or new with new and
    never computes them itself."""

    def __init__(
        self,
        database: Database,
        *,
        stats_changed: Callable[[DbConnection], None] | None = None,
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
        self._store({key: str(parse_setting(key, value))})
        return self.current()

    def update_many(self, values: Mapping[str, str]) -> dict[str, str]:
        """Store the values that differ from the stored ones and are valid, in one
        transaction; returns {key: message} of those refused as invalid."""
        current = self.current()
        errors: dict[str, str] = {}
        changed: dict[str, str] = {}
        for key, value in values.items():
            if value == _stored_text(current, key):
                continue
            try:
                changed[key] = str(parse_setting(key, value))
            except ValidationError as exc:
                errors[key] = exc.errors.get(key, exc.message)
        if changed:
            self._store(changed)
        return errors

    def _store(self, values: Mapping[str, str]) -> None:
        with self._database.transaction(self._database.thread_connection()) as conn:
            self._repository.set_many(conn, values)
            if STATS_SETTINGS & values.keys() and self._stats_changed is not None:
                self._stats_changed(conn)


def _stored_text(settings: AppSettings, key: str) -> str:
    if key == "beacon_version":
        return settings.effective_beacon_version()
    return str(getattr(settings, key))
