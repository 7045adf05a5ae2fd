"""Helpers of the tests that run `licensedesk-cli` as real processes: the environment they
get, a process whose output lines are collected as they come, and looks at the store."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from core.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]


def child_env() -> dict[str, str]:
    # LICENSEDESK_HOME comes from the autouse fixture; never a real keychain.
    return {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


class WatchedProcess:
    """A process started from ROOT with child_env(); the lines of one of its streams
    (`watch`: "stdout" or "stderr") are collected by a thread as they come."""

    def __init__(self, argv: list[str], *, watch: str, own_group: bool = False) -> None:
        """`own_group`: in a process group of its own, as a terminal's foreground job is
        (`os.killpg` then signals it and its children, as Ctrl-C does)."""
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child_env(),
            process_group=0 if own_group else None,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(
            target=self._read, args=(getattr(self.proc, watch),), daemon=True
        )
        self._reader.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        with self._changed:
            ok = self._changed.wait_for(
                lambda: any(text in line for line in self.lines) or self.proc.poll() is not None,
                timeout,
            )
        assert ok and any(text in line for line in self.lines), (text, self.lines)

    def join_reader(self) -> None:
        self._reader.join(10)


def stagers_gone(database: Path, timeout: float = 15) -> None:
    """Wait until no staging worker of this database is alive (it exits on EOF)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"core.imports.stager" in cmdline and str(database).encode() in cmdline:
                alive = True
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError("a staging worker outlived its import")


def current_snapshot(database: Database) -> int:
    conn = database.connect()
    try:
        row = conn.execute("SELECT id FROM snapshots WHERE state = 'current'").fetchone()
        return int(row[0])
    finally:
        conn.close()


def query(database: Database, sql: str) -> list[tuple[object, ...]]:
    conn = database.connect()
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()
