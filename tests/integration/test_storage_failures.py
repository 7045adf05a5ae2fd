"""Storage failures end in one line, never a traceback: a damaged, truncated or foreign
database file, a read-only file, folder or mount, a data folder that is a file, a full disk at
start and in the middle of an import (which names the folder and the space it needs and keeps
the previous data). Reading commands work on a read-only database.

Full and read-only file systems are real: small tmpfs mounts (root only; skipped elsewhere).
chmod-based variants are skipped under root, whom permission bits do not stop."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bootstrap import open_services
from core.cli import main
from core.controller import Controller
from core.domain.imports import ImportStatus
from core.paths import AppPaths
from core.simulator.demo import reset_simulators, size_draft
from core.storage.repositories import ConnectionRepository

ROOT = Path(__file__).resolve().parents[2]
NAME = "Sim tenant"
PROFILE = "size:3000:7"


def _permission_bits_bind() -> bool:
    """Whether a 0400 file refuses us writing (not for root with CAP_DAC_OVERRIDE)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("")
        probe.chmod(0o400)
        try:
            with open(probe, "w"):
                return False
        except PermissionError:
            return True


ROOT_SKIP = pytest.mark.skipif(
    not _permission_bits_bind(),
    reason="permission bits do not stop this user (root); the read-only mount variant covers it",
)


def cli(*argv: str) -> int:
    return main(list(argv))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("[")]  # progress lines
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    print(lines[0])
    assert "Traceback" not in err
    return lines[0]


def seed(home: Path) -> None:
    """A data folder with one imported simulated connection, made by a process that has
    exited (nothing of it stays open, as after a real run)."""
    subprocess.run(
        [sys.executable, "-c", f"from {__name__} import seed_here; seed_here({str(home)!r})"],
        cwd=ROOT,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
        check=True,
        timeout=120,
    )


def seed_here(home: str, profile: str = PROFILE) -> int:
    reset_simulators()
    services = open_services(AppPaths(Path(home)))
    controller = Controller(services)
    try:
        conn = services.database.thread_connection()
        with services.database.transaction(conn):
            cid = ConnectionRepository().insert(conn, size_draft(profile, name=NAME))
        run = controller.import_now(cid)
        assert run.status is ImportStatus.SUCCEEDED, run.error
        return cid
    finally:
        controller.close()
        services.database.close_thread_connection()


def current_users(database: Path) -> int:
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM users u JOIN snapshots s ON s.id = u.snapshot_id "
                "WHERE s.state = 'current'"
            ).fetchone()[0]
        )
    finally:
        conn.close()


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    """mount(size) -> a fresh tmpfs of that size; remount(ro) via the returned helper."""
    mounted: list[Path] = []

    def make(size: str) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield make
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until `leave` bytes are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as handle:
        chunk = b"\0" * 65536
        remaining = max(0, free - leave)
        try:
            while remaining > 0:
                remaining -= handle.write(chunk[: min(len(chunk), remaining)])
        except OSError:
            pass


# Damaged files


@pytest.mark.sqlite_only("a damaged SQLite file")
@pytest.mark.parametrize(
    "content",
    [b"this is not a database, it is a shopping list\n" * 200, os.urandom(8192)],
    ids=["text", "random"],
)
def test_a_file_that_is_not_a_database_is_one_line(
    licensedesk_home: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    licensedesk_home.mkdir(parents=True)
    (licensedesk_home / "licensedesk.sqlite3").write_bytes(content)

    assert cli("licenses") == 1

    line = one_line_error(capsys)
    assert "is damaged or not a LicenseDesk database" in line
    assert str(licensedesk_home) in line


@pytest.mark.sqlite_only("a damaged SQLite file")
def test_a_truncated_database_is_one_line(
    licensedesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(licensedesk_home)
    database = licensedesk_home / "licensedesk.sqlite3"
    size = database.stat().st_size
    with open(database, "r+b") as handle:
        handle.truncate(size // 3)
    capsys.readouterr()

    assert cli("users") == 1

    assert "is damaged or not a LicenseDesk database" in one_line_error(capsys)


def test_a_data_folder_that_is_a_file_is_one_line(
    licensedesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    licensedesk_home.parent.mkdir(parents=True, exist_ok=True)
    licensedesk_home.write_text("oops")

    assert cli("history") == 1

    line = one_line_error(capsys)
    assert f"The data folder {licensedesk_home} is a file, not a folder" in line


# Read-only


@pytest.mark.sqlite_only("a read-only SQLite file")
def test_reading_commands_work_on_a_read_only_mount_and_import_is_one_line(
    mount, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    point = mount("16m")
    home = point / "data"
    monkeypatch.setenv("LICENSEDESK_HOME", str(home))
    seed(home)
    remount_read_only(point)
    capsys.readouterr()

    for command in (["licenses"], ["users"], ["history"], ["connections", "list"]):
        assert cli(*command, "--format", "csv") == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert len(out.splitlines()) > 1, command
    assert cli("import", NAME) == 1
    line = one_line_error(capsys)
    assert "read-only" in line and str(home) in line


@ROOT_SKIP
@pytest.mark.parametrize("what", ["file", "folder"])
def test_reading_commands_work_on_a_read_only_file_or_folder(
    licensedesk_home: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    seed(licensedesk_home)
    target = licensedesk_home / "licensedesk.sqlite3" if what == "file" else licensedesk_home
    target.chmod(0o400 if what == "file" else 0o500)
    try:
        capsys.readouterr()
        for command in (["licenses"], ["users"], ["history"]):
            assert cli(*command) == 0, capsys.readouterr().err
        capsys.readouterr()
        assert cli("import", NAME) == 1
        assert "read-only" in one_line_error(capsys)
    finally:
        target.chmod(0o600 if what == "file" else 0o700)


# Full disk


@pytest.mark.sqlite_only("the disk under the SQLite file")
def test_full_disk_at_start_is_one_line(
    mount, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    point = mount("1m")
    fill(point, 0)
    monkeypatch.setenv("LICENSEDESK_HOME", str(point))

    assert cli("history") == 1

    line = one_line_error(capsys)
    assert f"The disk of the data folder {point} is full" in line
    assert "free at least 16 MB" in line


@pytest.mark.sqlite_only("the disk under the SQLite file")
def test_full_disk_in_the_middle_of_an_import_keeps_the_previous_data(
    mount, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    point = mount("12m")
    home = point / "data"
    monkeypatch.setenv("LICENSEDESK_HOME", str(home))
    seed(home)
    database = home / "licensedesk.sqlite3"
    users = current_users(database)
    fill(point, 256 * 1024)
    capsys.readouterr()

    assert cli("import", NAME) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    final = err.strip().splitlines()[-1]
    print(final)
    expected = f"error: {NAME}: The import stopped: the disk of the data folder {home} is full"
    assert final.startswith(expected), final
    assert "free at least" in final and "previous data is kept" in final
    assert current_users(database) == users
    # With space again, the next start cleans up and reading works.
    (point / "filler").unlink()
    assert cli("licenses") == 0
