"""Queues "Execute now" and Import all for the headless workers, as a job."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from core.domain.queue import QueuedImport
from desktop.jobs import Job, JobRunner

if TYPE_CHECKING:
    from core.controller import Controller


class WorkerQueue(QObject):
    """Signals:
    queued(object): the QueuedImport list of a request that went through.
    failed(object): the exception queueing raised.
    """

    queued = Signal(object)
    failed = Signal(object)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs

    def queue(self, connection_ids: list[int] | None, *, incremental: bool = False) -> Job:
        """Queue an import of each connection (None: every connection) for the workers."""
        call = functools.partial(_queue, self._controller, connection_ids, incremental)
        job = self._jobs.run("queue imports", call)
        job.succeeded.connect(self._on_queued)
        job.failed.connect(self._on_failed)
        return job

    @Slot(object)
    def _on_queued(self, requests: list[QueuedImport]) -> None:
        self.queued.emit(requests)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)


def _queue(
    controller: Controller, connection_ids: list[int] | None, incremental: bool, _token: object
) -> list[QueuedImport]:
    if connection_ids is None:
        connection_ids = [c.id for c in controller.list_connections()]
    return [controller.queue_import(i, incremental=incremental) for i in connection_ids]


__all__ = ["WorkerQueue"]
