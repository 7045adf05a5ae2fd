"""GUI benchmark (spec §12, issue 10): import a simulated tenant through the real controller
while a 10 ms heartbeat timer measures GUI-thread stalls, then time showing and filtering the
Users table. With `--saas`, the tenant and SaaS Management data for it are served by
`python -m core.simulator.serve --saas-of-tenant` in its own process over HTTPS (without it, the
simulator runs inside the benchmark's process, under its GIL); it also measures the stall while
another process holds the database's write lock, the slowest tab switch after a setting change
and a cold start of the real app on that data. Prints one `name value` per line: show_s,
filter_ms (median), max_stall_ms (the worst of the stalls measured, each also printed), and
with --saas tab_max_ms and cold_start_s. Details go to stderr, each line starting with #.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/gui_bench.py --users 100000 --saas

Targets: show_s < 1, filter_ms < 200, max_stall_ms < 100, tab_max_ms < 150, cold_start_s < 2.
show_s and filter_ms are timed to the rows painted (read on a worker thread); tab_max_ms is how
long a switch holds the GUI thread (the tab shows its last data, then its new data when read).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from tests.bench.saas_served import ServedSaas, configure  # noqa: E402

HEARTBEAT_MS = 10


class Heartbeat:
    """Records the longest gap between ticks of a 10 ms timer (a GUI-thread stall)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._on_tick)
        self.last = 0.0
        self.max_gap = 0.0
        self.gaps: list[tuple[float, float]] = []  # (gap, when) of the worst gaps

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        self.max_gap = max(self.max_gap, gap)
        if gap > 0.05:
            self.gaps.append((gap, now))
        self.last = now


def run(users: int, seed: int, saas: bool) -> dict[str, float]:
    from core.controller import Controller
    from core.paths import AppPaths
    from desktop.app import (
        IMPORT_NICENESS,
        IMPORT_THREADS,
        JOB_THREADS,
        build_window,
        create_application,
        worker_pool,
    )

    home = Path(tempfile.mkdtemp(prefix="licensedesk-bench-"))
    os.environ["LICENSEDESK_HOME"] = str(home)
    served = ServedSaas(users, seed, home) if saas else None
    app = create_application([sys.argv[0]])
    pool = worker_pool(IMPORT_THREADS, "import", IMPORT_NICENESS)  # as the app makes them
    controller = Controller.open(AppPaths(home), executor=pool)
    if served is None:
        connection = controller.create_connection(_draft(users, seed))
    else:  # the tenant from the server process too, as Microsoft 365 is to a user's machine
        connection = controller.create_connection(_served_draft(served.wait()))
    jobs = worker_pool(JOB_THREADS, "job")
    settings = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
    window = build_window(controller, jobs, settings)
    window.resize(1400, 900)
    window.show()
    window.tabs.setCurrentWidget(window.inventory)
    app.processEvents()
    results = {"max_stall_import_ms": _import(window, connection.id)}
    if served is not None:
        configure(controller, served.ready)
        results["max_stall_saas_ms"] = _saas_import(window, app)
    results["show_s"] = _show_users(window, app)
    results["filter_ms"] = _filter(window, app)
    if served is not None:
        results["max_stall_lock_ms"] = _stall_while_locked(window, app, controller)
        results["tab_max_ms"] = _tabs_after_setting(window, app)
    results["max_stall_ms"] = max(v for k, v in results.items() if k.startswith("max_stall_"))
    window.runner.shutdown(5)
    window.jobs.shutdown(5)
    window.close()
    controller.close(5)
    pool.shutdown(wait=True)
    jobs.shutdown(wait=True)
    if served is not None:
        served.stop()
        results["cold_start_s"] = _cold_start(home)
    return results


def _draft(users: int, seed: int):  # type: ignore[no-untyped-def]
    from core.domain.connection import AuthMethod, ConnectionDraft
    from core.simulator.demo import profile_spec

    profile = f"size:{users}:{seed}"
    spec = profile_spec(profile)
    return ConnectionDraft(
        name="Bench tenant",
        method=AuthMethod.OWN_APP,
        tenant=spec.tenant_id,
        client_id=spec.client_id,
        simulated_tenant=profile,
    )


def _served_draft(ready):  # type: ignore[no-untyped-def]
    from core.domain.cloud import Cloud
    from core.domain.connection import (
        AuthMethod,
        ConnectionDraft,
        ConnectionSecrets,
        CredentialKind,
    )

    tenant = ready["tenants"][0]
    return ConnectionDraft(
        name="Bench tenant",
        method=AuthMethod.OWN_APP,
        tenant=tenant["tenant_id"],
        client_id=tenant["client_id"],
        credential_kind=CredentialKind.SECRET,
        cloud=Cloud.CUSTOM,
        authority_host=ready["login"],
        graph_endpoint=ready["graph"],
        secrets=ConnectionSecrets(client_secret=tenant["client_secret"]),
    )


def _import(window, connection_id: int) -> float:  # type: ignore[no-untyped-def]
    loop = QEventLoop()
    outcome: list[str] = []
    window.runner.finished.connect(lambda run: (outcome.append(run.status.value), loop.quit()))
    window.runner.failed.connect(lambda _i, m, _d: (outcome.append(m), loop.quit()))
    beat = Heartbeat()
    steps: list[tuple[float, str]] = []
    window.runner.progress_changed.connect(
        lambda e: steps.append((time.perf_counter(), f"{e.step}: {e.message}"))
    )
    beat.start()
    started = time.perf_counter()
    window.runner.start(connection_id)
    loop.exec()
    beat.stop()
    print(f"# import {outcome} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    worst = sorted(beat.gaps, reverse=True)[:5]
    for gap, when in worst:
        step = next((m for t, m in reversed(steps) if t <= when), "")
        print(f"# gap {gap * 1000:.0f} ms at {when - started:.2f} s during {step}", file=sys.stderr)
    return max(0.0, beat.max_gap * 1000 - HEARTBEAT_MS)


def _wait(app, done, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window's jobs did not finish")
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)


def _users_shown(window, typed: str | None = None):  # type: ignore[no-untyped-def]
    users = window.users

    def shown() -> bool:
        asked = users.model.query.search == (
            typed if typed is not None else users.model.query.search
        )
        return asked and not users.model.pending and not users.loader.busy

    return shown


def _show_users(window, app) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    window.tabs.setCurrentWidget(window.users)
    _wait(app, _users_shown(window))
    window.users.panel.view.viewport().repaint()
    elapsed = time.perf_counter() - started
    print(f"# users shown: {window.users.model.rowCount():,}", file=sys.stderr)
    return elapsed


def _filter(window, app) -> float:  # type: ignore[no-untyped-def]
    """Each keystroke timed until the rows of the text typed so far are painted."""
    users = window.users
    row = users.model.row_at(users.model.rowCount() // 2)
    name = row.display_name if row is not None else "adele"
    typed = name.lower()[:8]
    times = []
    for round_ in range(2):
        users.panel.search.clear()
        _wait(app, _users_shown(window, ""))
        for position, char in enumerate(typed):
            started = time.perf_counter()
            QTest.keyClick(users.panel.search, char)
            _wait(app, _users_shown(window, typed[: position + 1]))
            users.panel.view.viewport().repaint()
            times.append((time.perf_counter() - started) * 1000)
        print(f"# round {round_}: '{typed}' -> {users.model.rowCount():,} rows", file=sys.stderr)
    print(f"# filter per key (ms): {', '.join(f'{t:.0f}' for t in times)}", file=sys.stderr)
    return statistics.median(times)


def _saas_import(window, app) -> float:  # type: ignore[no-untyped-def]
    """Import the SaaS Management data through ITAM Settings > Integrations > Import now."""
    window.tabs.setCurrentWidget(window.settings_tab)
    integrations = window.settings_tab.integrations
    window.settings_tab.tabs.setCurrentWidget(integrations)
    _wait(app, window.jobs.idle)
    beat = Heartbeat()
    beat.start()
    started = time.perf_counter()
    job = integrations._run("import", _saas_call(window))
    _wait(app, lambda: not job.running and window.jobs.idle(), 600)
    beat.stop()
    result = job.future.result() if job.future is not None else None
    print(f"# SaaS import {result} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _report_gaps(beat, started, "SaaS import")
    return max(0.0, beat.max_gap * 1000 - HEARTBEAT_MS)


def _saas_call(window):  # type: ignore[no-untyped-def]
    import functools

    from desktop.settings.integrations_tab import _call

    return functools.partial(_call, window._controller.import_saas)


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def _stall_while_locked(window, app, controller) -> float:  # type: ignore[no-untyped-def]
    """Another process holds BEGIN IMMEDIATE while the window switches every tab twice,
    filters users and saves a setting (the save waits for the lock on a worker thread)."""
    import subprocess

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(controller.database_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    general = window.settings_tab.general
    beat = Heartbeat()
    beat.start()
    started = time.perf_counter()
    for _ in range(2):
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            _pump(app, 0.15)
    window.tabs.setCurrentWidget(window.users)
    for char in "ab":
        QTest.keyClick(window.users.panel.search, char)
        _pump(app, 0.15)
    window.tabs.setCurrentWidget(window.settings_tab)
    window.settings_tab.tabs.setCurrentWidget(general)
    _pump(app, 0.3)
    general.min_age.setValue(general.min_age.value() + 1)
    general.save()
    _pump(app, 1.0)
    saving = not general.save_button.isEnabled()
    beat.stop()
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(10)
    _wait(app, lambda: general.save_button.isEnabled() and window.jobs.idle(), 120)
    print(f"# while locked: the save waited ({saving}), then: {general.message.text.text()}",
          file=sys.stderr)  # fmt: skip
    _report_gaps(beat, started, "the lock held by another process")
    return max(0.0, beat.max_gap * 1000 - HEARTBEAT_MS)


def _pump(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)


def _tabs_after_setting(window, app) -> float:  # type: ignore[no-untyped-def]
    """Change the inactivity setting (it stores the holder statistics again), then switch to
    every tab: how long each switch holds the GUI thread, painted (its data read meanwhile)."""
    general = window.settings_tab.general
    window.tabs.setCurrentWidget(window.settings_tab)
    window.settings_tab.tabs.setCurrentWidget(general)
    _wait(app, window.jobs.idle)
    days = general.inactive_days
    days.setCurrentIndex((days.currentIndex() + 1) % days.count())
    started = time.perf_counter()
    general.save()
    _wait(app, lambda: general.save_button.isEnabled() and window.jobs.idle(), 120)
    print(f"# setting saved in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    worst = 0.0
    for index in range(window.tabs.count()):
        started = time.perf_counter()
        window.tabs.setCurrentIndex(index)
        app.processEvents()
        window.repaint()
        switched = (time.perf_counter() - started) * 1000
        _wait(app, window.jobs.idle, 120)
        window.repaint()
        loaded = (time.perf_counter() - started) * 1000
        worst = max(worst, switched)
        print(f"# tab {window.tabs.tabText(index)}: switch {switched:.0f} ms, "
              f"its data painted after {loaded:.0f} ms", file=sys.stderr)  # fmt: skip
    return worst


def _cold_start(home: Path) -> float:
    """A fresh `licensedesk` process on the benchmark's data folder, timed from its start to
    the Overview's figures painted (tests/bench/first_paint.py reports the paints)."""
    import subprocess

    probe = Path(__file__).with_name("first_paint.py")
    env = {**os.environ, "LICENSEDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(3):
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(probe)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        first = 0.0
        for line in child.stdout:
            if line.strip() == "first_paint":
                first = time.perf_counter() - started
            elif line.strip() == "data_painted":
                break
        elapsed = time.perf_counter() - started
        child.wait(30)
        print(f"# cold start: first paint {first:.2f} s, figures painted {elapsed:.2f} s",
              file=sys.stderr)  # fmt: skip
        times.append(elapsed)
    return statistics.median(times)


def _report_gaps(beat: Heartbeat, started: float, during: str) -> None:
    for gap, when in sorted(beat.gaps, reverse=True)[:3]:
        print(f"# gap {gap * 1000:.0f} ms at {when - started:.2f} s during {during}",
              file=sys.stderr)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--saas", action="store_true", help="also import SaaS Management data")
    args = parser.parse_args(argv)
    results = run(args.users, args.seed, args.saas)
    print(f"show_s {results['show_s']:.3f}")
    print(f"filter_ms {results['filter_ms']:.1f}")
    for name in ("max_stall_ms", "max_stall_import_ms", "max_stall_saas_ms", "max_stall_lock_ms"):
        if name in results:
            print(f"{name} {results[name]:.1f}")
    if "tab_max_ms" in results:
        print(f"tab_max_ms {results['tab_max_ms']:.1f}")
        print(f"cold_start_s {results['cold_start_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
