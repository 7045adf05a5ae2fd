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
    """Starts, tracks and cancels imports through the controller. Starting one reads the
    connection and takes its lock file, so it runs on a worker thread too; meanwhile the
    import counts as running (and Cancel works on it).

    Signals:
        started(int, str): connection id and name, when an import begins.
        all_started(int): how many imports start_all() started.
        progress_changed(object): the latest ImportProgress, at most every 100 ms each.
        finished(object): the ImportRun of an import that succeeded (maybe with warnings).
        failed(int, str, str): connection id, plain message, technical detail.
        cancelled(int): connection id of an import that stopped on Cancel.
        running_changed(): the set of running or cancelling imports changed.
    """

    started = Signal(int, str)
    all_started = Signal(int)
    progress_changed = Signal(object)
    finished = Signal(object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    running_changed = Signal()
    _completed = Signal(object)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs
        self._starting: dict[int, Job] = {}  # controller.start_import on a worker thread
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
        return connection_id in self._handles or connection_id in self._starting

    def is_cancelling(self, connection_id: int) -> bool:
        return connection_id in self._cancelling

    def running_ids(self) -> list[int]:
        return [*self._handles, *(i for i in self._starting if i not in self._handles)]

    def name_of(self, connection_id: int) -> str:
        handle = self._handles.get(connection_id)
        return handle.connection_name if handle else ""

    def progress_of(self, connection_id: int) -> ImportProgress | None:
        return self._published.get(connection_id)

    # Commands

    def start(
        self, connection_id: int, *, incremental: bool = False, scheduled: bool = False
    ) -> bool:
        """Start one import (`incremental`: only users changed since the last one) from a
        worker thread; a refusal (already running, unknown) is emitted as `failed`.
        `scheduled`: only if, checked again as it starts, it is due and no other process
        imports it (a worker that ran it meanwhile is no error)."""
        if self._closed or self.is_running(connection_id):
            return False
        start = _start_scheduled_import if scheduled else _start_import
        call = functools.partial(start, self._controller, connection_id, self._store,
                                 incremental)  # fmt: skip
        job = self._jobs.run("start import", call)
        if job.future is None or job.future.cancelled():  # closing
            return False
        self._starting[connection_id] = job
        job.succeeded.connect(self._on_start_succeeded)
        job.failed.connect(functools.partial(self._on_start_failed, connection_id))
        self.running_changed.emit()
        return True

    def start_all(self) -> None:
        """Start an import of every connection (the list is read on a worker thread); then
        `all_started` says how many started."""
        job = self._jobs.run("list connections", functools.partial(_all_ids, self._controller))
        job.succeeded.connect(self._on_all_listed)

    def start_due(self) -> None:
        """Start the imports whose schedule says they are due (called every minute)."""
        job = self._jobs.run("due imports", functools.partial(_due_ids, self._controller))
        job.succeeded.connect(self._on_due_listed)

    def cancel(self, connection_id: int) -> None:
        if connection_id in self._cancelling:
            return
        if connection_id in self._handles:
            self._cancelling.add(connection_id)
            self._controller.cancel_import(connection_id)
            self.running_changed.emit()
        elif connection_id in self._starting:  # cancelled as soon as it has started
            self._cancelling.add(connection_id)
            self.running_changed.emit()

    def cancel_all(self) -> None:
        for connection_id in self.running_ids():
            self.cancel(connection_id)

    def shutdown(self, timeout_s: float) -> bool:
        """Cancel everything and wait up to `timeout_s`; True when every import stopped."""
        self.cancel_all()
        self._closed = True
        starting = [j.future for j in self._starting.values() if j.future is not None]
        wait(starting, timeout=timeout_s)
        for future in starting:  # started while the GUI thread waits here: cancel them too
            if future.done() and not future.cancelled() and future.exception() is None:
                handle: ImportHandle = future.result()
                handle.cancel()
                self._handles.setdefault(handle.connection_id, handle)
        futures = [h.future for h in self._handles.values()]
        done, not_done = wait(futures, timeout=timeout_s)
        self._closed = True
        self._timer.stop()
        if not_done:
            log.warning("%d import(s) did not stop within %.1f s", len(not_done), timeout_s)
        return not not_done

    # Internals

    @Slot(object)
    def _on_start_succeeded(self, handle: ImportHandle | int) -> None:
        if isinstance(handle, int):  # a scheduled import that was not due after all
            self._starting.pop(handle, None)
            self._cancelling.discard(handle)
            self.running_changed.emit()
            return
        self._starting.pop(handle.connection_id, None)
        if self._closed:
            handle.cancel()
            return
        self._adopt(handle)
        if handle.connection_id in self._cancelling:
            self._controller.cancel_import(handle.connection_id)

    def _on_start_failed(self, connection_id: int, exc: BaseException) -> None:
        self._starting.pop(connection_id, None)
        self._cancelling.discard(connection_id)
        if isinstance(exc, LicenseDeskError):
            self.failed.emit(connection_id, exc.message, exc.detail)
        else:
            self.failed.emit(connection_id, "The import could not start.", repr(exc))
        self.running_changed.emit()

    @Slot(object)
    def _on_all_listed(self, ids: list[int]) -> None:
        self.all_started.emit(sum(1 for connection_id in ids if self.start(connection_id)))

    @Slot(object)
    def _on_due_listed(self, ids: list[int]) -> None:
        for connection_id in ids:
            self.start(connection_id, scheduled=True)

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


def _start_import(
    controller: Controller,
    connection_id: int,
    on_progress: Callable[[ImportProgress], None],
    incremental: bool,
    _token: object,
) -> ImportHandle:
    return controller.start_import(connection_id, on_progress=on_progress, incremental=incremental)


def _start_scheduled_import(
    controller: Controller,
    connection_id: int,
    on_progress: Callable[[ImportProgress], None],
    _incremental: bool,
    _token: object,
) -> ImportHandle | int:
    """The handle, or the connection's id when its import is not to run after all."""
    handle = controller.start_scheduled_import(connection_id, on_progress=on_progress)
    return connection_id if handle is None else handle


def _all_ids(controller: Controller, _token: object) -> list[int]:
    return [c.id for c in controller.list_connections()]


def _due_ids(controller: Controller, _token: object) -> list[int]:
    return [c.id for c in controller.due_connections()]


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
        self._closed = False

    def run(self, name: str, call: Callable[[CancelToken], Any]) -> Job:
        """Submit `call(cancel_token)`; connect to the returned job's signals right away."""
        job = Job(name, self)
        try:
            if self._closed:
                raise RuntimeError("the job runner was shut down")
            job.future = self._executor.submit(call, job.token)
        except RuntimeError:  # closing: nothing new starts, and nothing will answer
            log.debug("job %s not started: closing", name)
            job.future = Future()
            job.future.cancel()
            return job
        self._jobs.add(job)
        job.completed.connect(self._on_job_completed)
        job.future.add_done_callback(job._emit_done)
        return job

    def running(self) -> list[Job]:
        return [job for job in self._jobs if job.running]

    def idle(self) -> bool:
        """No job is running or waiting for its result to reach the GUI thread."""
        return not self._jobs

    def shutdown(self, timeout_s: float) -> bool:
        """Cancel every job and wait up to `timeout_s` for them to stop; none starts after."""
        self._closed = True
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


class LatestJob(QObject):
    """One kind of call (a tab's load, a form's save) of which only the newest run counts.

    A run started while an earlier one is still going makes the earlier one stale: its result
    is dropped, so a slow old read never overwrites a newer one. Whoever owns it keeps showing
    its last data meanwhile.

    Signals:
        succeeded(object): the newest run's return value.
        failed(object): the exception the newest run raised.
        busy_changed(bool): a run started while none was going, or the newest one ended.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, jobs: JobRunner, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._name = name
        self.job: Job | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def run(self, call: Callable[[CancelToken], Any]) -> Job:
        """Submit `call(cancel_token)` on the job runner; an earlier run's result is dropped."""
        was_busy = self.busy
        job = self._jobs.run(self._name, call)
        self.job = job
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.completed.connect(self._on_completed)
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        if self.sender() is self.job:
            self.succeeded.emit(result)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        if self.sender() is self.job:
            self.failed.emit(exc)

    @Slot()
    def _on_completed(self) -> None:
        if self.sender() is self.job:
            self.job = None
            self.busy_changed.emit(False)
