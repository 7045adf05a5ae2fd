"""One import per connection at a time, across threads and processes: an OS file lock per
connection in the data folder's `locks/` folder.

The lock is the operating system's (flock on POSIX, msvcrt.locking on Windows), so it dies with
the process that held it: a lock left by a killed import is simply taken over, never waited out.
The file itself only carries who holds it (pid, host, start time), for the message a second
import gets, and stays behind harmlessly when its holder is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.errors import ConnectionInUse

# Windows locks byte ranges and a locked range cannot be read by others: lock one byte far
# past the holder information, which stays readable.
_LOCK_OFFSET = 1 << 20


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: datetime | None
    name: str

    def describe(self) -> str:
        """The one-line reason, e.g. "Contoso is already being imported (started 12:03 by pid
        4242 on host)."."""
        when = self.started_at.astimezone().strftime("%H:%M") if self.started_at else "?"
        return (
            f"{self.name} is already being imported (started {when} by pid {self.pid} on "
            f"{self.host})."
        )


def lock_path(locks_dir: Path, connection_id: int) -> Path:
    return locks_dir / f"import-{connection_id}.lock"


class ImportLock:
    """The held lock of one connection's import; `release` (idempotent) lets it go."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(
        cls, locks_dir: Path, connection_id: int, *, name: str, started_at: datetime
    ) -> ImportLock:
        """Take the lock or raise ConnectionInUse naming the running import."""
        locks_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = lock_path(locks_dir, connection_id)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            holder = read_holder(path)
            if holder is None:
                raise ConnectionInUse(f"{name} is already being imported by another process.")
            raise ConnectionInUse(holder.describe())
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": started_at.isoformat(),
            "name": name,
        }
        data = json.dumps(info).encode()
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.ftruncate(fd, len(data))
        return cls(fd, path)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # no stale holder information once it is free
        _unlock(fd)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


class FileClaims:
    """The SQLite store's connection claims (`core.storage.claims.ConnectionClaims`): one OS
    file lock per connection in `locks_dir`. Reaches every process on this computer that
    opens the same data folder (a network file system's locks are not to be trusted)."""

    def __init__(self, locks_dir: Path) -> None:
        self.locks_dir = locks_dir

    def acquire(self, connection_id: int, *, name: str, started_at: datetime) -> ImportLock:
        return ImportLock.acquire(self.locks_dir, connection_id, name=name, started_at=started_at)

    def is_claimed(self, connection_id: int) -> bool:
        return is_locked(self.locks_dir, connection_id)

    def any_claimed(self) -> bool:
        return any_locked(self.locks_dir)


def is_locked(locks_dir: Path, connection_id: int) -> bool:
    """Whether some live import (this process or another) holds this connection's lock."""
    path = lock_path(locks_dir, connection_id)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # no file (never imported) or unreadable: nobody holds it
    try:
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def any_locked(locks_dir: Path) -> bool:
    """Whether any import holds a lock in this folder right now."""
    if not locks_dir.is_dir():
        return False
    for path in locks_dir.glob("import-*.lock"):
        number = path.stem.removeprefix("import-")
        if number.isdigit() and is_locked(locks_dir, int(number)):
            return True
    return False


def read_holder(path: Path) -> LockHolder | None:
    try:
        with open(path, "rb") as handle:
            info = json.loads(handle.read(4096) or b"null")
        started = datetime.fromisoformat(info["started_at"]) if info.get("started_at") else None
        return LockHolder(int(info["pid"]), str(info["host"]), started, str(info["name"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


__all__ = [
    "FileClaims",
    "ImportLock",
    "LockHolder",
    "any_locked",
    "is_locked",
    "lock_path",
    "read_holder",
]
