"""An exclusive lock shared by every process and thread on this computer (the window, the CLI,
a scheduled import): `fcntl.flock` on a lock file, or `msvcrt.locking` on Windows.

The lock file is never removed (removing it would let two holders lock different files); it is
empty and owner-only. The lock is re-entrant within a thread, so a locked read-modify-write may
call helpers that take the same lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

_held = threading.local()


def _held_paths() -> set[str]:
    paths: set[str] | None = getattr(_held, "paths", None)
    if paths is None:
        paths = set()
        _held.paths = paths
    return paths


if sys.platform == "win32":
    import msvcrt

    def _acquire(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for about 10 s, then raises
                return
            except OSError:
                time.sleep(0.05)

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _acquire(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the lock file `path` exclusively (blocking) for the `with` block."""
    key = os.path.abspath(path)
    held = _held_paths()
    if key in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            _release(fd)
    finally:
        os.close(fd)
