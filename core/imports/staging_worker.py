"""The staging worker process's side (see core.imports.stager for the import's side).

Three threads, so that no burst of work on one kind of data stops the others:

- a reader takes frames off the pipe into a short queue, so the import process can send the
  next page while this process still decodes the last one (and never waits on a report being
  parsed or folded here);
- the loop decodes user pages and stages their rows (users connection);
- the usage thread stages the usage reports and folds them (usage connection) as soon as they
  arrive, while the user pages go on.

Moving the staged users into the snapshot runs on a thread of its own at the end. The two
writes into the snapshot (users, usage) take `snapshot_lock` in turn: a million users hold
SQLite's write lock for longer than its busy timeout.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any

from core.errors import LicenseDeskError, MalformedResponseError

USAGE_BATCH = 20_000
# Frames read ahead of the loop: a page is ~0.5 MB, so a few megabytes at most.
READ_AHEAD = 8

Reader = Callable[[IO[bytes]], "tuple[Any, ...] | None"]


def serve(database_path: str, commands: IO[bytes], results: Any, read_frame: Reader) -> None:
    """Handle frames from `commands` until 'stop' or EOF; results go to `results.put`."""
    frames: queue.Queue[tuple[Any, ...] | None] = queue.Queue(READ_AHEAD)

    def read() -> None:
        try:
            while True:
                frame = read_frame(commands)
                frames.put(frame)
                if frame is None or frame[0] == "stop":
                    return
        except (OSError, ValueError):
            frames.put(None)

    reader = threading.Thread(target=read, name="stager-reader", daemon=True)
    reader.start()
    worker = Worker(Path(database_path), results)
    try:
        while True:
            command = frames.get()
            if command is None or command[0] == "stop":
                break
            worker.handle(command)
    finally:
        worker.close()


class Worker:
    """Users and usage rows stage on two connections (each has its own temporary tables)."""

    def __init__(self, database_path: Path, results: Any) -> None:
        self.database_path = database_path
        self.results = results
        self._results_lock = threading.Lock()  # results come from the loop and the usage thread
        self.usage_writer: Any = None
        self.snapshot_lock = threading.Lock()  # one snapshot write at a time (users, usage)
        self.users_writer: Any = None
        self.flushing: threading.Thread | None = None
        self.flush_error: BaseException | None = None
        self.stats: dict[str, Any] = {"users": 0, "reports": {}}
        self.failed = False
        self.usage = _UsageThread(self)

    def put(self, message: tuple[Any, ...]) -> None:
        with self._results_lock:
            self.results.put(message)

    def handle(self, command: tuple[Any, ...]) -> None:
        name = command[0]
        if name == "sync":
            self.usage.join()
            self.join_flush()
            self.put(("synced", command[1], self.stats))
            return
        if name in ("report", "flush_usage") or command == ("clear", "usage"):
            self.usage.submit(command)
            return
        self.run_guarded(partial(self.dispatch, name, command[1:]))

    def run_guarded(self, action: Callable[[], None]) -> None:
        """Run `action` unless the import already failed; report its error, if any."""
        if self.failed:
            return  # the first error was reported; the import is failing
        try:
            action()
            if self.flush_error is not None:
                raise self.flush_error
        except LicenseDeskError as exc:
            self.fail(type(exc).__name__, exc.message, getattr(exc, "url", ""), exc.detail)
        except Exception as exc:  # the disk, or a bug: report it rather than hang the import
            from core.storage.files import is_disk_full, storage_error

            if is_disk_full(exc) or isinstance(exc, sqlite3.Error):
                failure = storage_error(exc, self.database_path, doing="The import")
                self.fail("StorageError", failure.message, "", failure.detail)
            else:
                self.fail("Exception", "The import's worker failed.", "", repr(exc))

    def dispatch(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "attach":
            self.attach(args[0])
        elif name == "users":
            from core.imports.parse import fold_users

            stage_users(self.users_writer, args[0], args[1], fold_users)
            self.stats["users"] += self.users_writer.last_staged
            self.put(("progress", self.stats["users"]))
        elif name == "flush_users":
            # Taken here, not on the thread: a usage flush asked for after this one waits.
            self.snapshot_lock.acquire()
            self.flushing = threading.Thread(target=self.flush_users, name="flush-users")
            self.flushing.start()
        elif name == "clear" and args[0] == "users":
            self.join_flush()
            self.users_writer.clear_users()
            self.stats["users"] = 0

    def attach(self, snapshot_id: int) -> None:
        from core.storage.db import Database
        from core.storage.snapshots import SnapshotWriter

        database = Database(self.database_path)
        # check_same_thread off: the users connection is used by the flush thread, strictly
        # after the loop stopped using it and before the loop uses it again (join_flush); the
        # usage connection only by the usage thread.
        self.users_writer = SnapshotWriter.for_staging(database, snapshot_id, any_thread=True)
        self.usage_writer = SnapshotWriter.for_staging(database, snapshot_id, any_thread=True)

    def flush_users(self) -> None:
        try:
            self.users_writer.flush_users()
        except BaseException as exc:
            self.flush_error = exc
        finally:
            self.snapshot_lock.release()

    def join_flush(self) -> None:
        if self.flushing is not None:
            self.flushing.join()
            self.flushing = None

    def fail(self, cls: str, message: str, url: str, detail: str) -> None:
        self.failed = True
        self.put(("error", cls, message, url, detail))

    def close(self) -> None:
        self.usage.stop()
        self.join_flush()
        for writer in (self.users_writer, self.usage_writer):
            if writer is not None:
                writer.close()


class _UsageThread:
    """Stages and folds the usage reports beside the user pages (the usage connection)."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._commands: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, command: tuple[Any, ...]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stager-usage", daemon=True)
            self._thread.start()
        self._commands.put(command)

    def join(self) -> None:
        """Until every command submitted so far is done."""
        self._commands.join()

    def stop(self) -> None:
        if self._thread is not None:
            self._commands.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            command = self._commands.get()
            try:
                if command is None:
                    return
                self._worker.run_guarded(partial(self._dispatch, command))
            finally:
                self._commands.task_done()

    def _dispatch(self, command: tuple[Any, ...]) -> None:
        worker = self._worker
        if command[0] == "report":
            worker.stats["reports"][command[1]] = stage_report(worker.usage_writer, *command[1:])
            return
        if command[0] == "flush_usage":
            worker.usage_writer.fold_usage()  # beside a users move: no lock on the database
        with worker.snapshot_lock:  # after a users flush asked for before (see dispatch)
            if command[0] == "flush_usage":
                worker.usage_writer.store_usage()
            else:
                worker.usage_writer.clear_usage()
                worker.stats["reports"] = {}


def stage_users(writer: Any, body: bytes, url: str, fold_users: Any) -> None:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise MalformedResponseError(
            f"Microsoft Graph sent something that is not JSON for {_path(url)} ({exc}).",
            url=url,
            detail=f"GET {url}",
        ) from None
    items = data.get("value") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedResponseError(
            f"Microsoft Graph sent a page without a 'value' list for {_path(url)}.", url=url
        )
    users, skus = fold_users(items, url)
    writer.write_users(users, skus)
    writer.last_staged = len(users)


def stage_report(writer: Any, kind: str, path: str, url: str) -> dict[str, Any]:
    from core.graph.reports import iter_report_file
    from core.imports.parse import is_concealed_upn, usage_folder

    header, records = iter_report_file(Path(path), url)
    missing = [c for c in ("Report Refresh Date", "User Principal Name") if c not in header]
    if missing:
        raise MalformedResponseError(
            f"Microsoft Graph sent a report without the column(s) {', '.join(missing)} for "
            f"{_path(url)}.",
            url=url,
        )
    fold = usage_folder(kind, header)
    upn_i = header.index("User Principal Name")
    date_i = header.index("Report Refresh Date")
    batch: list[tuple[Any, ...]] = []
    rows = hidden = 0
    refresh_date: str | None = None
    checked = ""
    for row in records:
        rows += 1
        if row[date_i] != checked:  # one value for the whole report: checked once
            checked = _refresh_date(row[date_i], url)
            refresh_date = refresh_date or checked or None
        if is_concealed_upn(row[upn_i]):
            hidden += 1
            continue
        folded = fold(row)
        if folded is not None:
            batch.append(folded)
        if len(batch) >= USAGE_BATCH:
            writer.write_usage(batch)
            batch = []
    if batch:
        writer.write_usage(batch)
    return {"rows": rows, "hidden": hidden, "refresh_date": refresh_date}


def _refresh_date(value: str, url: str) -> str:
    """A report's `Report Refresh Date` (YYYY-MM-DD), or "" when empty; anything else fails:
    a date that cannot be read would make every user look inactive."""
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            from core.imports.parse import unexpected_value

            raise unexpected_value(
                "Report Refresh Date", value, "the usage report", url, "a date (YYYY-MM-DD)"
            ) from None
    return value


def _path(url: str) -> str:
    from core.graph.faults import describe_url

    return describe_url(url)
