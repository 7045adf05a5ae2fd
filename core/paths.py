"""Where LicenseDesk keeps its files, resolved once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from core import APP_ID, APP_ORG


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "licensedesk.sqlite3"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "licensedesk.log"

    def ensure(self) -> AppPaths:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def resolve(cls) -> AppPaths:
        """LICENSEDESK_HOME wins (tests, portable use); else the platform's user data folder."""
        home = os.environ.get("LICENSEDESK_HOME")
        if home:
            return cls(Path(home).expanduser().resolve())
        return cls(Path(platformdirs.user_data_dir(APP_ID, APP_ORG)))
