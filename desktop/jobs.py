"""Bridges from core work on worker threads to Qt signals in the GUI thread.

Worker code never touches a widget: progress callbacks only store the latest event, a 100 ms
timer publishes it, and completion crosses threads as a queued signal to a slot.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from core.domain.cancel import CancelToken
from core.domain.imports import ImportProgress, ImportRun, ImportStatus
from core.errors import ImportCancelled, LicenseDeskError

if TYPE_CHECKING:
    from core.controller import Controller, ImportHandle

log = logging.getLogger(__name__)

PUBLISH_INTERVAL_MS = 100


class ImportRunner(QObject):
    """Starts, tracks and cancels imports through the controller.

    Signals:
        started(int, str): connection id and name, when an import begins.
        progress_changed(object): the latest ImportProgress, at most every 100 ms each.
        finished(object): the ImportRun of an import that succeeded (maybe with warnings).
        failed(int, str, str): connection id, plain message, technical detail.
        cancelled(int): connection id of an import that stopped on Cancel.
        running_changed(): the set of running or cancelling imports changed.
    """

    started = Signal(int, str)
    progress_changed = Signal(object)
    finished = Signal(object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    running_changed = Signal()
    _completed = Signal(object)

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._handles: dict[int, ImportHandle] = {}
        self._cancelling: set[int] = set()
        self._latest: dict[int, ImportProgress] = {}
        self._published: dict[int, ImportProgress] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(PUBLISH_INTERVAL_MS)
        self._timer.timeout.connect(self._on_publish_tick)
        self._completed.connect(self._on_completed, Qt.ConnectionType.QueuedConnection)

    # Queries

    def is_running(self, connection_id: int) -> bool:
        return connection_id in self._handles

    def is_cancelling(self, connection_id: int) -> bool:
        return connection_id in self._cancelling

    def running_ids(self) -> list[int]:
        return list(self._handles)

    def name_of(self, connection_id: int) -> str:
        handle = self._handles.get(connection_id)
        return handle.connection_name if handle else ""

    def progress_of(self, connection_id: int) -> ImportProgress | None:
        return self._published.get(connection_id)

    # Commands

    def start(self, connection_id: int, *, incremental: bool = False) -> bool:
        """Start one import (`incremental`: only users changed since the last one); a refusal
        (already running, unknown) is emitted as `failed`."""
        if self._closed or connection_id in self._handles:
            return False
        try:
            handle = self._controller.start_import(
                connection_id, on_progress=self._store, incremental=incremental
            )
        except LicenseDeskError as exc:
            self.failed.emit(connection_id, exc.message, exc.detail)
            return False
        self._adopt(handle)
        return True

    def start_all(self) -> int:
        ids = [c.id for c in self._controller.list_connections() if c.id not in self._handles]
        return sum(1 for connection_id in ids if self.start(connection_id))

    def start_due(self) -> int:
        """Start the imports whose schedule says they are due (called every minute)."""
        due = [c.id for c in self._controller.due_connections() if c.id not in self._handles]
        return sum(1 for connection_id in due if self.start(connection_id))

    def cancel(self, connection_id: int) -> None:
        if connection_id in self._handles and connection_id not in self._cancelling:
            self._cancelling.add(connection_id)
            self._controller.cancel_import(connection_id)
            self.running_changed.emit()

    def cancel_all(self) -> None:
        for connection_id in list(self._handles):
            self.cancel(connection_id)

    def shutdown(self, timeout_s: float) -> bool:
        """Cancel everything and wait up to `timeout_s`; True when every import stopped."""
        self.cancel_all()
        futures = [h.future for h in self._handles.values()]
        done, not_done = wait(futures, timeout=timeout_s)
        self._closed = True
        self._timer.stop()
        if not_done:
            log.warning("%d import(s) did not stop within %.1f s", len(not_done), timeout_s)
        return not not_done

    # Internals

    def _adopt(self, handle: ImportHandle) -> None:
        self._handles[handle.connection_id] = handle
        self.started.emit(handle.connection_id, handle.connection_name)
        self.running_changed.emit()
        if not self._timer.isActive():
            self._timer.start()
        handle.future.add_done_callback(functools.partial(self._emit_completed, handle))

    def _store(self, event: ImportProgress) -> None:
        # Worker thread: remember the latest event only.
        with self._lock:
            self._latest[event.connection_id] = event

    def _emit_completed(self, handle: ImportHandle, _future: Future[ImportRun]) -> None:
        # Worker thread (or the GUI thread with an inline executor): queue to the GUI thread.
        if not self._closed:
            self._completed.emit(handle)

    @Slot()
    def _on_publish_tick(self) -> None:
        with self._lock:
            latest = dict(self._latest)
        for connection_id, event in latest.items():
            if self._published.get(connection_id) is not event:
                self._published[connection_id] = event
                self.progress_changed.emit(event)
        if not self._handles:
            self._timer.stop()

    @Slot(object)
    def _on_completed(self, handle: ImportHandle) -> None:
        connection_id = handle.connection_id
        if self._handles.get(connection_id) is not handle:
            return
        self._on_publish_tick()
        del self._handles[connection_id]
        self._cancelling.discard(connection_id)
        with self._lock:
            self._latest.pop(connection_id, None)
        self._published.pop(connection_id, None)
        self._report(handle)
        self.running_changed.emit()

    def _report(self, handle: ImportHandle) -> None:
        exc = handle.future.exception()
        if isinstance(exc, ImportCancelled):
            self.cancelled.emit(handle.connection_id)
        elif isinstance(exc, LicenseDeskError):
            self.failed.emit(handle.connection_id, exc.message, exc.detail)
        elif exc is not None:
            self.failed.emit(handle.connection_id, "The import stopped unexpectedly.", repr(exc))
        else:
            run = handle.future.result()
            if run.status is ImportStatus.CANCELLED:
                self.cancelled.emit(handle.connection_id)
            elif run.status is ImportStatus.FAILED:
                self.failed.emit(handle.connection_id, run.error or "", run.error_detail or "")
            else:
                self.finished.emit(run)


class Job(QObject):
    """One blocking call running on a worker thread.

    Signals:
        succeeded(object): the call's return value.
        failed(object): the exception it raised.
        cancelled(): it stopped because `cancel()` was called.
        completed(): after any of the three.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    completed = Signal()
    _done = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.token = CancelToken()
        self.future: Future[Any] | None = None
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def cancel(self) -> None:
        self.token.cancel()

    def _emit_done(self, future: Future[Any]) -> None:
        try:
            self._done.emit(future)
        except RuntimeError:  # the job was deleted while the app closed
            log.debug("job %s finished after it was deleted", self.name)

    @Slot(object)
    def _on_done(self, future: Future[Any]) -> None:
        exc = future.exception()
        if isinstance(exc, ImportCancelled) or (exc is not None and self.token.cancelled):
            self.cancelled.emit()
        elif exc is not None:
            self.failed.emit(exc)
        else:
            self.succeeded.emit(future.result())
        self.completed.emit()


class JobRunner(QObject):
    """Runs blocking controller calls (test connection, sign-in, SaaS calls) off the GUI
    thread on the executor the composition root passes in."""

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._jobs: set[Job] = set()

    def run(self, name: str, call: Callable[[CancelToken], Any]) -> Job:
        """Submit `call(cancel_token)`; connect to the returned job's signals right away."""
        job = Job(name, self)
        self._jobs.add(job)
        job.completed.connect(self._on_job_completed)
        job.future = self._executor.submit(call, job.token)
        job.future.add_done_callback(job._emit_done)
        return job

    def running(self) -> list[Job]:
        return [job for job in self._jobs if job.running]

    def shutdown(self, timeout_s: float) -> bool:
        """Cancel every job and wait up to `timeout_s` for them to stop."""
        futures = []
        for job in self._jobs:
            job.cancel()
            if job.future is not None:
                futures.append(job.future)
        _, not_done = wait(futures, timeout=timeout_s)
        return not not_done

    @Slot()
    def _on_job_completed(self) -> None:
        job = self.sender()
        if isinstance(job, Job):
            self._jobs.discard(job)
            job.deleteLater()
