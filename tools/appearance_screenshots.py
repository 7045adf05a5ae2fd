"""Save the main tabs and the Create connection dialog in the light and the dark scheme.

    export LICENSEDESK_HOME=$(mktemp -d) LICENSEDESK_SECRETS_FILE=1
    QT_QPA_PLATFORM=offscreen:configfile=screen-1280.json \
        .venv/bin/python -m tools.appearance_screenshots docs/screenshots
    QT_SCALE_FACTOR=2 QT_QPA_PLATFORM=offscreen:configfile=screen-2560.json \
        .venv/bin/python -m tools.appearance_screenshots docs/screenshots

where screen-2560.json describes a 2560×1600 screen (screen-1280.json likewise):
    {"screens": [{"name": "s", "x": 0, "y": 0, "width": 2560, "height": 1600,
                  "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}
At 200 % the files get a -200 suffix; LICENSEDESK_SHOT_FONT_PT=13 sets a larger application
font (a -13pt suffix). Files: overview-light.png, overview-dark-200.png, … (issue 15).
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.app import appearance_of, build_window, create_application, window_settings
from desktop.main_window import DEFAULT_SIZE, MainWindow
from desktop.theme import ColorScheme
from tools.screenshot import save, settle, wait_until

TABS = ("overview", "licenses", "products", "users", "inventory", "history", "itam-settings")


def main(out: Path) -> int:
    app = create_application(sys.argv[:1], "light")
    font_pt = int(os.environ.get("LICENSEDESK_SHOT_FONT_PT", "0") or 0)
    if font_pt:
        font = app.font()
        font.setPointSize(font_pt)
        app.setFont(font)
    appearance = appearance_of(app)
    from core.controller import Controller

    controller = Controller.open()
    jobs = ThreadPoolExecutor(max_workers=2)
    window = build_window(controller, jobs, window_settings(controller), appearance=appearance)
    window.resize(DEFAULT_SIZE)
    window.show()
    settle(app)
    out.mkdir(parents=True, exist_ok=True)
    window.add_demo()
    wait_until(app, lambda: not window.runner.running_ids())
    window.mark_stale()
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1") or 1)
    suffix = "" if scale == 1 else f"-{round(scale * 100)}"
    suffix += f"-{font_pt}pt" if font_pt else ""
    for scheme in (ColorScheme.LIGHT, ColorScheme.DARK):
        appearance.set_choice(scheme)
        settle(app)
        _shoot(app, window, out, f"-{scheme.value}{suffix}")
    window.runner.shutdown(5)
    window.close()
    controller.close(5)
    jobs.shutdown(wait=True)
    return 0


def _shoot(app: QApplication, window: MainWindow, out: Path, tail: str) -> None:
    tabs = (window.overview, window.licenses, window.products, window.users, window.inventory,
            window.history, window.settings_tab)  # fmt: skip
    for tab, name in zip(tabs, TABS, strict=True):
        window.tabs.setCurrentWidget(tab)
        settle(app)
        if tab is window.history:
            window.history.panel.view.selectRow(0)
            settle(app)
        save(window, out / f"{name}{tail}.png")
    window.tabs.setCurrentWidget(window.overview)
    window.overview.show_table.setChecked(True)  # the chart's text alternative
    settle(app)
    save(window, out / f"overview-table{tail}.png")
    window.overview.show_table.setChecked(False)
    window.tabs.setCurrentWidget(window.inventory)
    settle(app)  # the connections are read before a dialog opens
    dialog = window.inventory.open_new_dialog()
    assert dialog is not None
    settle(app)
    save(dialog, out / f"create-connection{tail}.png")
    dialog.reject()
    settle(app)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
