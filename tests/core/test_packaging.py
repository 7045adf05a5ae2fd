"""The shipped metadata agrees with the project: one version, one reverse-DNS application ID."""

from __future__ import annotations

import configparser
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from core import DESKTOP_ID, __version__

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"


def test_the_version_is_the_same_in_pyproject_and_core() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["version"] == __version__


def test_the_appstream_metadata_names_the_id_and_the_current_release() -> None:
    component = ET.parse(LINUX / f"{DESKTOP_ID}.metainfo.xml").getroot()
    assert component.findtext("id") == DESKTOP_ID
    assert component.findtext("launchable") == f"{DESKTOP_ID}.desktop"
    releases = component.findall("releases/release")
    assert releases[0].get("version") == __version__


def test_the_desktop_entry_uses_the_id_for_its_icon_and_runs_the_command_on_path() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(LINUX / f"{DESKTOP_ID}.desktop", encoding="utf-8")
    group = entry["Desktop Entry"]
    assert group["Icon"] == DESKTOP_ID
    assert group["Exec"] == "licensedesk"
    assert group["StartupWMClass"] == "licensedesk"


def test_the_worker_unit_runs_the_worker_as_a_service_user_and_stops_it_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(LINUX / "licensedesk-worker.service", encoding="utf-8")
    service = unit["Service"]

    assert service["User"] == "licensedesk"
    assert service["ExecStart"].split()[:2] == ["/opt/licensedesk/bin/licensedesk-cli", "worker"]
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/licensedesk/worker.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
