"""Issue 10 point 2: no database work on the GUI thread. While another process holds the
database's write lock, the window switches tabs, filters and saves a setting, and its event
loop keeps turning; the setting is saved once the lock is released."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from pytestqt.qtbot import QtBot

from core.controller import Controller
from desktop.main_window import MainWindow
from tests.desktop.conftest import ScriptedNotifier, settle

pytestmark = pytest.mark.gui

# The store's own write transaction, from another process: BEGIN IMMEDIATE on SQLite, the
# write lock (an advisory lock) on PostgreSQL.
HOLD_LOCK = """
import sys
from pathlib import Path
from core.storage.location import database_url, open_database
database = open_database(Path(sys.argv[1]), url=database_url())
with database.transaction():
    print("locked", flush=True)
    sys.stdin.readline()
"""


class Heartbeat:
    """The longest gap between ticks of a 10 ms timer: how long the GUI thread was stuck."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_tick)
        self.last = time.perf_counter()
        self.max_gap = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now


@pytest.fixture
def lock_holder(imported: Controller) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's write lock until told to stop."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(imported.database_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    if holder.poll() is None:
        holder.kill()
    holder.wait(5)


@pytest.fixture
def window(
    qtbot: QtBot,
    imported: Controller,
    window_settings: QSettings,
    notifier: ScriptedNotifier,
) -> Iterator[MainWindow]:
    from desktop.app import build_window

    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-job")
    built = build_window(imported, pool, window_settings, notifier)
    qtbot.addWidget(built)
    built.show()
    qtbot.waitUntil(built._schedule.isActive)
    settle(built)
    yield built
    built.close()
    pool.shutdown(wait=True)


def test_a_writer_holding_the_lock_never_freezes_the_window(
    qtbot: QtBot, window: MainWindow, lock_holder: subprocess.Popen[str]
) -> None:
    general = window.settings_tab.general
    beat = Heartbeat()
    beat.start()
    for _ in range(2):
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            qtbot.wait(20)
    window.tabs.setCurrentWidget(window.users)
    qtbot.keyClicks(window.users.panel.search, "a")
    qtbot.wait(50)
    window.tabs.setCurrentWidget(window.settings_tab)
    window.settings_tab.tabs.setCurrentWidget(general)
    qtbot.waitUntil(lambda: general.values()["inactive_days"] == "90", timeout=5000)
    general.inactive_days.setCurrentIndex(general.inactive_days.findData("60"))
    general.save()  # waits for the lock on a worker thread
    qtbot.wait(300)
    beat.stop()
    # Waiting for the lock on the GUI thread would stall it until the holder lets go (seconds);
    # the 100 ms target is gui_bench's to measure, a shared CI machine's scheduler adds noise.
    assert beat.max_gap < 1.0, f"the event loop stalled {beat.max_gap * 1000:.0f} ms"
    assert not general.save_button.isEnabled() and general.message.level == "info"
    assert window.users.model.rowCount() > 0  # the last rows stay shown (and the new ones came)
    assert lock_holder.stdin is not None
    lock_holder.stdin.write("\n")
    lock_holder.stdin.flush()
    qtbot.waitUntil(lambda: general.message.level == "ok", timeout=10000)
    assert general.save_button.isEnabled()
