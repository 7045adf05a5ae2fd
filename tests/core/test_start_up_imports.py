"""What a process on the embedded SQLite store does not load: psycopg costs 0.1 to 0.2 s of
start-up in each process (the CLI's, and its staging worker's on every import)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_and_the_staging_worker_on_sqlite_do_not_load_psycopg() -> None:
    probe = (
        "import sys, core.cli, core.controller, core.imports.staging_worker, core.worker;"
        "print('psycopg' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_opening_a_postgresql_store_makes_its_errors_storage_errors() -> None:
    import psycopg

    from core.storage import postgres  # noqa: F401  (what opening such a store imports)
    from core.storage.dialect import database_errors

    assert psycopg.Error in database_errors()
