"""The data folder on disk: owner-only permissions, writability, free space, and storage
failures (full disk, read-only, damaged file) turned into one-line StorageErrors."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import stat
import sys
from pathlib import Path

from core.errors import StorageError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
MIB = 1024 * 1024
# Free space asked for at least. An import writes a snapshot about the size of the database's
# current data twice (WAL, then the file), so twice the database's size is asked when larger.
MIN_IMPORT_FREE = 16 * MIB

_POSIX = sys.platform != "win32"
_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` 0700, and tighten it when it exists with group or other access."""
    try:
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except FileExistsError:
        raise StorageError(
            f"The data folder {folder} is a file, not a folder: move it aside or point "
            "LICENSEDESK_HOME elsewhere."
        ) from None
    except OSError as exc:
        raise storage_error(exc, folder) from None
    if not folder.is_dir():
        raise StorageError(
            f"The data folder {folder} is a file, not a folder: move it aside or point "
            "LICENSEDESK_HOME elsewhere."
        )
    tighten(folder, PRIVATE_DIR)


def tighten(path: Path, mode: int) -> None:
    """Drop group and other access from a file or folder of ours (no-op on Windows, where the
    user profile's ACLs already keep others out, and on files we do not own)."""
    if not _POSIX:
        return
    with contextlib.suppress(OSError):
        st = path.stat()
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(st.st_mode) & mode)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file unless it exists (SQLite then gives its -wal and -shm
    files the same mode), and tighten an existing one."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    tighten(path, PRIVATE_FILE)


def is_writable(database: Path) -> bool:
    """Whether the database can be written: file and folder writable, mount not read-only.
    `os.access` also answers for root, who passes permission bits but not a read-only mount."""
    folder = database.parent
    if not os.access(folder, os.W_OK) or (database.exists() and not os.access(database, os.W_OK)):
        return False
    if _POSIX and hasattr(os, "statvfs"):
        with contextlib.suppress(OSError):
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                return False
    return True


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "database or disk is full" in str(exc)
        )
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_error(folder: Path, needed: int | None = None, *, doing: str = "") -> StorageError:
    """One line: the disk of the data folder is full, how much is free and how much to free."""
    free = free_bytes(folder)
    need = max(needed or 0, MIN_IMPORT_FREE)
    have = f" ({free / MIB:.1f} MB free)" if free is not None else ""
    text = (
        f"the disk of the data folder {folder} is full{have}; free at least "
        f"{need / MIB:.0f} MB there and try again."
    )
    if doing:
        text += " The previous data is kept."
    return StorageError(_sentence(doing, text), detail="SQLITE_FULL / ENOSPC")


def _sentence(doing: str, text: str) -> str:
    text = f"{doing} stopped: {text}" if doing else text
    return text[:1].upper() + text[1:]


def storage_error(exc: BaseException, path: Path, *, doing: str = "") -> StorageError:
    """One line for a failure of the file system or of SQLite on `path` (file or folder)."""
    folder = path if path.is_dir() else path.parent
    if is_disk_full(exc):
        size = path.stat().st_size if path.is_file() else 0
        return disk_full_error(folder, 2 * size, doing=doing)
    text = str(exc)
    if (
        isinstance(exc, OSError)
        and exc.filename is not None
        and not str(exc.filename).startswith(str(folder))
    ):
        # A file the user named (a certificate, a prices CSV), not the data folder.
        return StorageError(f"{exc.strerror or text}: {exc.filename}.", detail=text)
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return StorageError(
            _sentence(
                doing,
                f"the database {path} is damaged or not a LicenseDesk database ({text}). Move "
                f"it aside to start afresh; copies made before upgrades are in {folder}/backups.",
            ),
            detail=text,
        )
    if "readonly" in text or getattr(exc, "errno", None) in _READ_ONLY_ERRNOS:
        return StorageError(
            _sentence(
                doing,
                f"the data folder {folder} cannot be written ({text}): it or the database is "
                "read-only. Reading commands still work.",
            ),
            detail=text,
        )
    if isinstance(exc, OSError):
        where = exc.filename or path
        return StorageError(_sentence(doing, f"{exc.strerror or text} on {where}."), detail=text)
    if type(exc).__module__.startswith("psycopg"):
        first = (text.strip().splitlines() or [type(exc).__name__])[0]
        return StorageError(
            _sentence(doing, f"the PostgreSQL database failed: {first}"), detail=text
        )
    return StorageError(_sentence(doing, f"the database {path} failed: {text}."), detail=text)


__all__ = [
    "create_private_file",
    "disk_full_error",
    "ensure_private_dir",
    "free_bytes",
    "is_disk_full",
    "is_writable",
    "storage_error",
    "tighten",
]
