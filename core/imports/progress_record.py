"""How far a running import has got, written to its history row every few seconds, so the
windows of a team (and `licensedesk-cli queue`) show the progress of imports that run on
workers or in another window.

The import calls the recorder for every step it reports; a thread of the recorder's own writes
the latest one at most every `interval` seconds, on a connection of its own. The import never
waits for that write: a store busy with the import's own bulk writes (SQLite's one writer)
delays the progress shown, never the import.
"""

from __future__ import annotations

import logging
import threading

from core.domain.imports import ImportProgress, ImportStatus
from core.storage.db import Database
from core.storage.dialect import database_errors

log = logging.getLogger(__name__)

INTERVAL_S = 2.0

_UPDATE = (
    "UPDATE import_runs SET progress_step = ?, progress_done = ?, progress_total = ?, "
    "progress_message = ? WHERE id = ? AND status = ?"
)


class ProgressRecorder:
    """Call it with each ImportProgress; `close()` when the import ends."""

    def __init__(self, database: Database, run_id: int, *, interval: float = INTERVAL_S) -> None:
        self._database = database
        self._run_id = run_id
        self._interval = interval
        self._lock = threading.Lock()
        self._latest: ImportProgress | None = None
        self._written: ImportProgress | None = None
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"import-progress-{run_id}", daemon=True
        )
        self._thread.start()

    def __call__(self, event: ImportProgress) -> None:
        with self._lock:
            self._latest = event

    def close(self) -> None:
        """Stop writing (the run's end is recorded by the import itself). Does not wait for a
        write the store holds up: the thread ends after it."""
        self._closed.set()
        self._thread.join(timeout=self._interval)

    def _run(self) -> None:
        try:
            while not self._closed.wait(self._interval):
                with self._lock:
                    latest = self._latest
                if latest is not None and latest != self._written:
                    self._write(latest)
        finally:
            self._database.close_thread_connection()

    def _write(self, event: ImportProgress) -> None:
        try:
            with self._database.transaction() as conn:
                conn.execute(
                    _UPDATE,
                    (
                        event.step,
                        event.done,
                        event.total,
                        event.message,
                        self._run_id,
                        ImportStatus.RUNNING.value,
                    ),
                )
        except database_errors() as exc:
            # Progress is for show: a busy or failing store costs the figure, not the import.
            log.debug("could not record the progress of run %s: %s", self._run_id, exc)
            return
        self._written = event
