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
        """Create the data folder owner-only (it holds names and UPNs); tighten an existing
        one that others can read. Raises StorageError in one line when it cannot be made."""
        from core.storage.files import ensure_private_dir

        ensure_private_dir(self.data_dir)
        return self

    @classmethod
    def resolve(cls) -> AppPaths:
        """LICENSEDESK_HOME wins (tests, portable use); else the platform's user data folder."""
        home = os.environ.get("LICENSEDESK_HOME")
        if home:
            return cls(Path(home).expanduser().resolve())
        return cls(Path(platformdirs.user_data_dir(APP_ID, APP_ORG)))
