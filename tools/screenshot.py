"""Drive the real app with the demo tenants and save a PNG of each main tab and the dialogs.

    LICENSEDESK_HOME=$(mktemp -d) xvfb-run -s "-screen 0 1400x900x24" \
        .venv/bin/python -m tools.screenshot docs/screenshots
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from desktop.app import build_window, create_application, window_settings
from desktop.main_window import DEFAULT_SIZE

SIZE = (DEFAULT_SIZE.width(), DEFAULT_SIZE.height())  # 1280×800: every label fits (§8)


def wait_until(app: QApplication, done: Callable[[], bool], timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    return done()


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let the window paint, and every job it started (tab loads, writes) deliver its result:
    tabs load off the GUI thread, so a grab right after a switch would show the last data."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    window = next((w for w in app.topLevelWidgets() if hasattr(w, "jobs")), None)
    if window is not None:
        wait_until(app, window.jobs.idle, 60)
    app.processEvents()


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path), "PNG", 9)
    print(f"saved {path}")


def main(out: Path) -> int:
    app = create_application(sys.argv[:1])
    from core.controller import Controller

    controller = Controller.open()
    jobs = ThreadPoolExecutor(max_workers=2)
    window = build_window(controller, jobs, window_settings(controller))
    window.resize(*SIZE)
    window.show()
    settle(app)
    out.mkdir(parents=True, exist_ok=True)
    window.add_demo()
    # Adding the demo is a job that then starts the imports: wait for both tenants' runs.
    wait_until(app, lambda: len(controller.last_successful_imports()) >= 2, 300)
    wait_until(app, lambda: not window.runner.running_ids())
    window.mark_stale()
    shots = [
        (window.overview, "overview"),
        (window.licenses, "licenses"),
        (window.products, "products"),
        (window.users, "users"),
        (window.inventory, "inventory-systems"),
        (window.history, "import-history"),
        (window.settings_tab, "itam-settings-general"),
    ]
    for tab, name in shots:
        window.tabs.setCurrentWidget(tab)
        settle(app)
        if tab is window.history:
            window.history.panel.view.selectRow(0)
            settle(app)
        save(window, out / f"{name}.png")
    for index, name in ((1, "itam-settings-integrations"), (2, "itam-settings-prices")):
        window.settings_tab.tabs.setCurrentIndex(index)
        settle(app)
        save(window, out / f"{name}.png")
    _dialogs(app, window, out)
    window.runner.shutdown(5)
    window.close()
    controller.close(5)
    jobs.shutdown(wait=True)
    return 0


def _dialogs(app: QApplication, window, out: Path) -> None:  # type: ignore[no-untyped-def]
    window.tabs.setCurrentWidget(window.inventory)
    settle(app)  # the connections are read before a dialog opens
    dialog = window.inventory.open_new_dialog()
    assert dialog is not None
    settle(app)
    save(dialog, out / "create-connection-dialog.png")
    dialog.reject()
    first = window.inventory.model.rows[0]
    dialog = window.inventory.open_edit_dialog(first.id)
    assert dialog is not None
    dialog.start_test()
    wait_until(app, lambda: dialog.last_report is not None, 30)
    settle(app)
    save(dialog, out / "edit-connection-tested.png")
    dialog.reject()
    window.tabs.setCurrentWidget(window.licenses)
    settle(app)
    rows = window.licenses.model.rows
    if rows:
        busiest = max(rows, key=lambda r: r.assigned_users)
        license_dialog = window.licenses.open_properties(busiest.id)
        license_dialog.tabs.setCurrentIndex(1)
        settle(app)
        save(license_dialog, out / "license-properties.png")
        license_dialog.reject()
    # File > Team database…, filled in as an analyst would (not connected: no server here).
    team = window.database.open_dialog()
    team.team_choice.setChecked(True)
    for name, value in (("host", "db.example.org"), ("database", "licensedesk"), ("user", "ann")):
        team.editors[name].setText(value)
    settle(app)
    save(team, out / "team-database-dialog.png")
    team.reject()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
