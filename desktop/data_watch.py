"""Notices what other processes change on the store (a worker's import, another analyst's
status change, the CLI), by reading a cheap change token as a job every few seconds."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core.domain.queue import WorkerImport
from desktop.jobs import JobRunner, LatestJob

if TYPE_CHECKING:
    from core.controller import Controller

log = logging.getLogger(__name__)
POLL_INTERVAL_MS = 5_000


@dataclass(frozen=True)
class WatchReading:
    """One poll: the change token, the imports others run or queued, and where this window
    runs its imports (the setting can be changed by another analyst too)."""

    version: str
    worker_imports: tuple[WorkerImport, ...]
    imports_on_workers: bool
    read_at: datetime


class DataWatcher(QObject):
    """Polls `controller.data_version()` and `controller.worker_imports()` on the job runner.

    The window's own writes reload what they change themselves; it calls `absorb()` after
    each, so the next reading is taken as the new baseline instead of a change by others
    (no second reload).

    Signals:
        changed(): data changed in another process since the last reading.
        read(object): every successful WatchReading (the "Updated" time, worker imports).
        read_failed(object): the exception a poll raised.
    """

    changed = Signal()
    read = Signal(object)
    read_failed = Signal(object)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._version: str | None = None
        self._absorbing = True  # the first reading is the baseline
        self.poller = LatestJob(jobs, "watch for changes", self)
        self.poller.succeeded.connect(self._on_read)
        self.poller.failed.connect(self._on_failed)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_INTERVAL_MS)
        self.timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self.timer.start()
        self.check_now()

    def stop(self) -> None:
        self.timer.stop()

    def check_now(self) -> None:
        """Read now (an earlier reading still on its way is dropped)."""
        self.poller.run(functools.partial(_read, self._controller))

    @Slot()
    def absorb(self) -> None:
        """This window just wrote and reloads what it changed: take the next reading as the
        baseline, not as a change by others."""
        self._absorbing = True
        if self.timer.isActive():
            self.check_now()

    @Slot()
    def _on_tick(self) -> None:
        if not self.poller.busy:  # a slow store: never pile up readings
            self.check_now()

    @Slot(object)
    def _on_read(self, reading: WatchReading) -> None:
        previous, self._version = self._version, reading.version
        absorbing, self._absorbing = self._absorbing, False
        self.read.emit(reading)
        if not absorbing and previous is not None and previous != reading.version:
            self.changed.emit()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        log.warning("could not check for changes: %r", exc)
        self.read_failed.emit(exc)


def _read(controller: Controller, _token: object) -> WatchReading:
    return WatchReading(
        version=controller.data_version(),
        worker_imports=tuple(controller.worker_imports()),
        imports_on_workers=controller.settings().imports_on_workers,
        read_at=datetime.now().astimezone(),
    )
