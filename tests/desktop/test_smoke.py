"""`licensedesk --smoke-test` on the installed (unfrozen) app; .ci/run runs the frozen one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import Executor
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from core.controller import Controller
from desktop.app import build_window
from desktop.smoke import SmokeNotifier, SmokeTest, parse_count, prepare_environment

pytestmark = pytest.mark.slow


def _licensedesk() -> list[str]:
    script = shutil.which("licensedesk", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "import sys, desktop.app; sys.exit(desktop.app.main())"]


def test_smoke_test_imports_the_demo_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "QT_QPA_PLATFORM": "xcb"}
    env.pop("LICENSEDESK_HOME", None)
    done = subprocess.run(
        [*_licensedesk(), "--smoke-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "smoke test passed: entitled" in done.stdout
    assert list(tmp_path.iterdir()) == []  # the temporary data folder is removed


def test_prepare_environment_points_at_a_new_offscreen_folder(tmp_path: Path) -> None:
    env: dict[str, str] = {"TMPDIR": str(tmp_path)}
    home = prepare_environment(env)
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["LICENSEDESK_HOME"] == home
    assert env["LICENSEDESK_SECRETS_FILE"] == "1"
    assert Path(home).is_dir()
    Path(home).rmdir()


@pytest.mark.parametrize(
    ("text", "value"), [("4,956", 4956), ("0", 0), ("—", None), ("", None), ("n/a", None)]
)
def test_parse_count_reads_a_figure_card(text: str, value: int | None) -> None:
    assert parse_count(text) == value


@pytest.mark.gui
def test_smoke_test_fails_with_the_reason_when_no_import_starts(
    qtbot: QtBot,
    controller: Controller,
    inline_executor: Executor,
    window_settings: QSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    notifier = SmokeNotifier()
    window = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(window)
    window.add_demo = lambda: None  # type: ignore[method-assign]
    codes: list[int] = []
    smoke = SmokeTest(window, notifier, timeout_s=5, quit_app=codes.append)
    smoke.start()
    qtbot.waitUntil(lambda: codes != [], timeout=5000)
    assert codes == [1]
    assert "adding the demo tenants started no import" in capsys.readouterr().err
