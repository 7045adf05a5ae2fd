"""The staging worker: decodes user pages and usage reports and writes them to SQLite in a
separate process, while the import process keeps downloading.

Why a process: decoding JSON, folding licence paths and binding rows for SQLite are pure
Python work, so a thread would only take turns with the download under the interpreter lock.
In a second process they run on the second core, and the import finishes close to the time the
download alone takes (spec §12). The worker gets bytes and text, never Python row lists, so
nothing big is pickled, and at most a few pages wait in the queue, so memory stays flat.

The worker only stages rows under the import's 'building' snapshot and moves them into the
snapshot tables (`flush_*`); the import process keeps the snapshot's life cycle (begin,
commit, discard) on its own connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import IO, Any

from core.errors import ImportCancelled, LicenseDeskError, MalformedResponseError, StorageError
from core.storage.dialect import DATABASE_ERRORS

log = logging.getLogger(__name__)

USAGE_BATCH = 20_000
# A frozen build runs its own executable with this flag instead of `python -m`.
FROZEN_FLAG = "--licensedesk-stager"
_HEADER = struct.Struct("!I")


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", "core.imports.stager"]


class StagingWorker:
    """The import side: sends pages and reports, waits for results, re-raises the worker's
    errors as the typed errors the engine knows.

    Messages are length-prefixed pickles over the child's stdin and stdout. A page write blocks
    while the pipe is full, so the import never runs more than a page or two ahead of the
    worker: memory stays flat however many users there are.
    """

    def __init__(self, database_location: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": _source_root() + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        self._process = subprocess.Popen(
            [*worker_command(), database_location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._results: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read_results, name="stager-results", daemon=True
        )
        self._reader.start()
        self.users = 0
        self._sync_token = 0

    def attach(self, snapshot_id: int) -> None:
        self._send(("attach", snapshot_id))

    def users_page(self, body: bytes, url: str) -> int:
        """Send one raw page; returns the number of users the worker has staged so far."""
        self._send(("users", body, url))
        self._drain()
        return self.users

    def report(self, kind: str, path: Path, url: str) -> None:
        """Send a downloaded report file (the worker reads it; the caller deletes it after
        the next `sync`)."""
        self._send(("report", kind, str(path), url))

    def flush_users(self) -> None:
        self._send(("flush_users",))

    def flush_usage(self) -> None:
        self._send(("flush_usage",))

    def clear(self, what: str) -> None:
        self._send(("clear", what))

    def sync(self) -> dict[str, Any]:
        """Wait until everything sent is done; return the worker's counts."""
        self._sync_token += 1
        self._send(("sync", self._sync_token))
        while True:
            message = self._next()
            if message[0] == "synced" and message[1] == self._sync_token:
                return dict(message[2])

    def close(self) -> None:
        """Let the worker finish and exit."""
        try:
            self._send(("stop",))
            self._process.wait(timeout=30)
        except (LicenseDeskError, subprocess.TimeoutExpired):
            self.kill()
        finally:
            self._close_pipes()

    def kill(self) -> None:
        """Stop at once (cancel, failure): staged rows die with the worker's temporary tables."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        pipe = self._process.stdin
        try:
            assert pipe is not None
            pipe.write(_HEADER.pack(len(data)))
            pipe.write(data)
            pipe.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._drain()  # an error the worker reported explains it better
            raise self._died() from None

    def _drain(self) -> None:
        while True:
            try:
                message = self._results.get_nowait()
            except queue.Empty:
                return
            if message is None:
                raise self._died()
            self._handle(message)

    def _next(self) -> tuple[Any, ...]:
        while True:
            message = self._results.get()
            if message is None:
                raise self._died()
            if self._handle(message):
                return message

    def _handle(self, message: tuple[Any, ...]) -> bool:
        """Apply progress and errors; True for a message the caller waits for."""
        kind = message[0]
        if kind == "progress":
            self.users = int(message[1])
            return False
        if kind == "error":
            _, cls, text, url, detail = message
            if cls == "MalformedResponseError":
                raise MalformedResponseError(text, url=url, detail=detail)
            if cls == "StorageError":
                raise StorageError(text, detail=detail)
            raise LicenseDeskError(text, detail=detail)
        return True

    def _read_results(self) -> None:
        pipe = self._process.stdout
        assert pipe is not None
        try:
            while True:
                message = _read_frame(pipe)
                if message is None:
                    break
                self._results.put(message)
        except (OSError, ValueError, pickle.UnpicklingError):
            pass
        self._results.put(None)

    def _died(self) -> LicenseDeskError:
        code = self._process.poll()
        return LicenseDeskError(
            "The import's worker process stopped unexpectedly.", detail=f"exit code {code}"
        )


def _read_frame(pipe: IO[bytes]) -> tuple[Any, ...] | None:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(data)  # our own child process, a private pipe
    return message


def _write_frame(pipe: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _source_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def run_worker(database_path: str) -> None:
    """The worker process: frames from stdin, results to stdout, until 'stop' or EOF."""
    commands = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames may reach the pipe

    class _Results:
        @staticmethod
        def put(message: tuple[Any, ...]) -> None:
            _write_frame(out, message)

    _serve(database_path, commands, _Results())


def _serve(database_path: str, commands: IO[bytes], results: Any) -> None:
    worker = _Worker(database_path, results)
    try:
        while True:
            command = _read_frame(commands)
            if command is None or command[0] == "stop":
                break
            worker.handle(command)
    finally:
        worker.close()


class _Worker:
    """Users and usage rows stage on two connections (each has its own temporary tables), so
    moving 100,000 staged users into the snapshot, one long SQLite statement that releases
    the interpreter lock, runs on a thread while the reports are parsed."""

    def __init__(self, location: str, results: Any) -> None:
        self.location = location  # Database.location: a file path or a PostgreSQL URL
        self.database_path = Path(location)
        self.results = results
        self.users_writer: Any = None
        self.usage_writer: Any = None
        self.flushing: threading.Thread | None = None
        self.flush_error: BaseException | None = None
        self.stats: dict[str, Any] = {"users": 0, "reports": {}}
        self.failed = False

    def handle(self, command: tuple[Any, ...]) -> None:
        name = command[0]
        if name == "sync":
            self.join_flush()
            self.results.put(("synced", command[1], self.stats))
            return
        if self.failed:
            return  # the first error was reported; the import is failing
        try:
            self.dispatch(name, command[1:])
            if self.flush_error is not None:
                raise self.flush_error
        except LicenseDeskError as exc:
            self.fail(type(exc).__name__, exc.message, getattr(exc, "url", ""), exc.detail)
        except Exception as exc:  # the disk, or a bug: report it rather than hang the import
            from core.storage.files import is_disk_full, storage_error

            if is_disk_full(exc) or isinstance(exc, DATABASE_ERRORS):
                failure = storage_error(exc, self.database_path, doing="The import")
                self.fail("StorageError", failure.message, "", failure.detail)
            else:
                self.fail("Exception", "The import's worker failed.", "", repr(exc))

    def dispatch(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "attach":
            self.attach(args[0])
        elif name == "users":
            from core.imports.parse import fold_users

            _stage_users(self.users_writer, args[0], args[1], fold_users)
            self.stats["users"] += self.users_writer.last_staged
            self.results.put(("progress", self.stats["users"]))
        elif name == "report":
            self.stats["reports"][args[0]] = _stage_report(self.usage_writer, *args)
        elif name == "flush_users":
            self.flushing = threading.Thread(target=self.flush_users, name="flush-users")
            self.flushing.start()
        elif name == "flush_usage":
            # Both flushes write the snapshot: one waits for the other rather than for the
            # write lock, which a million users hold for longer than SQLite's busy timeout.
            self.join_flush()
            self.usage_writer.flush_usage()
        elif name == "clear" and args[0] == "users":
            self.join_flush()
            self.users_writer.clear_users()
            self.stats["users"] = 0
        elif name == "clear":
            self.join_flush()
            self.usage_writer.clear_usage()
            self.stats["reports"] = {}

    def attach(self, snapshot_id: int) -> None:
        from core.storage.location import open_location
        from core.storage.snapshots import SnapshotWriter

        database = open_location(self.location, self.database_path)
        # check_same_thread off: the users connection is used by the flush thread, strictly
        # after the loop stopped using it and before the loop uses it again (join_flush).
        self.users_writer = SnapshotWriter.for_staging(database, snapshot_id, any_thread=True)
        self.usage_writer = SnapshotWriter.for_staging(database, snapshot_id)

    def flush_users(self) -> None:
        try:
            self.users_writer.flush_users()
        except BaseException as exc:
            self.flush_error = exc

    def join_flush(self) -> None:
        if self.flushing is not None:
            self.flushing.join()
            self.flushing = None

    def fail(self, cls: str, message: str, url: str, detail: str) -> None:
        self.failed = True
        self.results.put(("error", cls, message, url, detail))

    def close(self) -> None:
        self.join_flush()
        for writer in (self.users_writer, self.usage_writer):
            if writer is not None:
                writer.close()


def _stage_users(writer: Any, body: bytes, url: str, fold_users: Any) -> None:
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


def _stage_report(writer: Any, kind: str, path: str, url: str) -> dict[str, Any]:
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


__all__ = ["ImportCancelled", "StagingWorker", "run_worker"]

if __name__ == "__main__":
    run_worker(sys.argv[1])
