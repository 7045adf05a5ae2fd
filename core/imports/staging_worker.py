"""The staging worker process's side (see core.imports.stager for the import's side).

Three threads, so that no burst of work on one kind of data stops the others:

- a reader takes frames off the pipe into a short queue, so the import process can send the
  next page while this process still decodes the last one (and never waits on a report being
  parsed or folded here);
- the loop decodes user pages and stages their rows (users connection);
- the usage thread stages the usage reports and folds them (usage connection) as soon as they
  arrive, while the user pages go on.

Staged users move into the snapshot on a thread of their own while the pages go on
(`_UserMoves`), so little is left to move when the last page is in. The writes into the
snapshot (users, usage) take `snapshot_lock` in turn where the store has one write lock
(SQLite: a million users hold it for longer than its busy timeout); on PostgreSQL they run
side by side, one on each core.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any

from core.errors import LicenseDeskError, MalformedResponseError
from core.storage.dialect import Dialect, database_errors

USAGE_BATCH = 20_000
# Staged users move into the snapshot once this many wait, or half as many as moved before:
# moves into a table that grows by half or more each time cost about 1.5 times one move at the
# end in all (measured at 100,000 users), but run while the pages download, and at most
# MOVE_MIN or about a third of the users are left for the end (a quarter at 100,000).
MOVE_MIN = 5_000
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
    _preload()
    worker = Worker(database_path, results)
    try:
        while True:
            command = frames.get()
            if command is None or command[0] == "stop":
                break
            worker.handle(command)
    finally:
        worker.close()


def _preload() -> None:
    """Import what staging needs now, while the import process signs in and reads the
    organization (both cores are mostly idle then), rather than when the first pages and
    reports arrive and the download needs the CPU: a fifth of a second of CPU, a tenth of a
    10,000-user import."""
    import core.graph.reports  # noqa: F401
    import core.imports.parse  # noqa: F401
    import core.storage.db  # noqa: F401
    import core.storage.files  # noqa: F401
    import core.storage.snapshots  # noqa: F401


class Worker:
    """Users and usage rows stage on two connections (each has its own temporary tables)."""

    def __init__(self, location: str, results: Any) -> None:
        self.location = location  # Database.location: a file path or a PostgreSQL URL
        self.database_path = Path(location)
        self.results = results
        self._results_lock = threading.Lock()  # results come from the loop and the usage thread
        self.usage_writer: Any = None
        # One snapshot write at a time (users, usage) where the store has one write lock.
        self.snapshot_lock: threading.Lock | _NoLock = threading.Lock()
        self.moves = _UserMoves(self)
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
            self.moves.join()
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
            self.moves.raise_error()
        except LicenseDeskError as exc:
            self.fail(type(exc).__name__, exc.message, getattr(exc, "url", ""), exc.detail)
        except Exception as exc:  # the disk, or a bug: report it rather than hang the import
            from core.storage.files import is_disk_full, storage_error

            if is_disk_full(exc) or isinstance(exc, database_errors()):
                failure = storage_error(exc, self.database_path, doing="The import")
                self.fail("StorageError", failure.message, "", failure.detail)
            else:
                self.fail("Exception", "The import's worker failed.", "", repr(exc))

    def dispatch(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "attach":
            self.attach(args[0])
        elif name == "users":
            from core.imports.parse import fold_users

            writer = self.moves.staging
            stage_users(writer, args[0], args[1], fold_users)
            self.stats["users"] += writer.last_staged
            self.put(("progress", self.stats["users"]))
            self.moves.staged(writer.last_staged)
        elif name == "flush_users":
            self.moves.finish()
        elif name == "clear" and args[0] == "users":
            self.moves.clear()
            self.stats["users"] = 0

    def attach(self, snapshot_id: int) -> None:
        from core.storage.location import open_location
        from core.storage.snapshots import SnapshotWriter

        database = open_location(self.location, self.database_path)
        self.snapshot_lock = snapshot_lock(database.dialect)
        # check_same_thread off: a users connection is used by a move thread strictly after
        # the loop stopped staging on it and before the loop stages on it again (_UserMoves);
        # the usage connection only by the usage thread.
        self.moves.attach(
            [SnapshotWriter.for_staging(database, snapshot_id, any_thread=True) for _ in "ab"]
        )
        self.usage_writer = SnapshotWriter.for_staging(database, snapshot_id, any_thread=True)

    def fail(self, cls: str, message: str, url: str, detail: str) -> None:
        self.failed = True
        self.put(("error", cls, message, url, detail))

    def close(self) -> None:
        self.usage.stop()
        self.moves.join()
        for writer in (*self.moves.writers, self.usage_writer):
            if writer is not None:
                writer.close()


class _NoLock:
    """`snapshot_lock` where writes of one snapshot need not take turns (row locks)."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def __enter__(self) -> bool:
        return True

    def __exit__(self, *_exc: object) -> None:
        pass


def snapshot_lock(dialect: Dialect) -> threading.Lock | _NoLock:
    """What a snapshot write (a users move, the usage store) takes first on this store."""
    return threading.Lock() if dialect.one_writer else _NoLock()


class _UserMoves:
    """Two users connections, each with its own staging tables: the loop stages pages on one
    while the rows staged on the other move into the snapshot on a thread (`MOVE_MIN`)."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self.writers: list[Any] = []
        self.staging: Any = None
        self._waiting = 0  # users staged on `staging`, not moved yet
        self._moved = 0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def attach(self, writers: list[Any]) -> None:
        self.writers = writers
        self.staging = writers[0]

    def staged(self, count: int) -> None:
        """`count` more users were staged: move them once enough wait and no move runs."""
        self._waiting += count
        if self._waiting < max(MOVE_MIN, self._moved // 2):
            return
        if self._thread is not None and self._thread.is_alive():
            return  # the next page asks again
        self.join()
        self._start(final=False)

    def finish(self) -> None:
        """The last page is in: move what is left (on a thread; `join` waits for it)."""
        self.join()
        # Taken here, not on the thread: a usage flush asked for after this one waits.
        self._worker.snapshot_lock.acquire()
        self._start(final=True)

    def _start(self, *, final: bool) -> None:
        writer, lock = self.staging, self._worker.snapshot_lock
        self.staging = self.writers[1] if writer is self.writers[0] else self.writers[0]
        self._moved += self._waiting
        self._waiting = 0

        def move() -> None:
            if not final:
                lock.acquire()
            try:
                writer.flush_users(last=final)
            except BaseException as exc:
                self._error = exc
            finally:
                lock.release()

        self._thread = threading.Thread(target=move, name="move-users")
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def clear(self) -> None:
        """Drop every user staged or moved (the listing restarts without signInActivity)."""
        self.join()
        for writer in self.writers:
            writer.clear_users()
        self._waiting = self._moved = 0


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
        with worker.snapshot_lock:  # after a users move asked for before (_UserMoves.finish)
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
