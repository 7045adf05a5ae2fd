"""The shipped metadata agrees with the project: one version, one reverse-DNS application ID;
the bundle's build pins what the project needs and keeps psycopg (LGPL) replaceable."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

from core import DESKTOP_ID, __version__

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
PACKAGING = ROOT / "packaging"


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, Requirement]:
    lines = (PACKAGING / "requirements-build.txt").read_text("utf-8").splitlines()
    pins = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {_key(pin.name): pin for pin in pins}


def _notices() -> ModuleType:
    # packaging/ is not a package (and `packaging` is PyPA's, which notices.py imports).
    spec = importlib.util.spec_from_file_location("notices", PACKAGING / "notices.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_the_bundle_pins_every_runtime_requirement_and_the_packages_of_its_extras() -> None:
    """A requirement missing from requirements-build.txt is missing from the bundle (psycopg
    was, until the bundle ran PostgreSQL)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    pins = _pins()
    for line in project["dependencies"]:
        required = Requirement(line)
        pin = pins[_key(required.name)]
        version = str(pin.specifier).removeprefix("==")
        assert str(pin.specifier).startswith("=="), pin
        assert required.specifier.contains(version), (required, pin)
        for extra in required.extras:
            assert _key(f"{required.name}-{extra}") in pins, (required, extra)


def test_psycopg_and_its_binary_are_pinned_together_with_their_platform_dependencies() -> None:
    pins = _pins()
    assert pins["psycopg"].specifier == pins["psycopg-binary"].specifier
    assert pins["psycopg-binary"].marker is None  # a wheel for Linux, Windows and macOS
    # psycopg's own requirements: typing-extensions before 3.13, tzdata on Windows.
    assert str(pins["typing-extensions"].marker) == 'python_version < "3.13"'
    assert str(pins["tzdata"].marker) == 'sys_platform == "win32"'


def test_the_spec_collects_psycopg_as_plain_files_outside_the_archive() -> None:
    """LGPL-3.0: the user can replace psycopg's files, so they are not in the PYZ archive."""
    tree = ast.parse((PACKAGING / "licensedesk.spec").read_text("utf-8"))
    assigned = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    modes = ast.literal_eval(assigned["MODULE_COLLECTION_MODE"])
    assert modes == {"psycopg": "py", "psycopg_binary": "py"}
    analysis = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Analysis"
    )
    keywords = {keyword.arg: keyword.value for keyword in analysis.keywords}
    assert getattr(keywords["module_collection_mode"], "id", "") == "MODULE_COLLECTION_MODE"
    collected = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "collect_submodules"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert "psycopg" in collected  # psycopg_binary's C code imports psycopg's modules


def test_the_notices_say_where_psycopg_is_and_know_the_libraries_of_its_wheels() -> None:
    notices = _notices()
    assert "licensedesk/_internal/psycopg/" in notices.PSYCOPG_NOTE
    for _, _, text in notices.LIBRARIES.values():
        assert (notices.LICENSES / text).is_file(), text
    # The libraries psycopg-binary 3.3.9's wheels carry, on each platform the spec builds for.
    wheels = {
        "manylinux x86_64": "libcom_err libcrypt libcrypto libgssapi_krb5 libk5crypto "
        "libkeyutils libkrb5 libkrb5support liblber libldap libpq libsasl2 libssl",
        "macOS": "libcom_err libcrypto libgssapi_krb5 libk5crypto libkrb5 libkrb5support "
        "liblber libldap libpq libssl",
        "Windows": "libcrypto libpq libssl",
    }
    for platform, stems in wheels.items():
        assert set(stems.split()) <= set(notices.LIBRARIES), platform


def test_the_notices_know_the_icu_libraries_beside_qt_in_the_pyside6_wheel() -> None:
    """PySide6's Linux wheel puts ICU in Qt/lib; it carries no licence files, so ICU is named
    like a wheel's .libs/ library, and Qt's own libraries stay under QT_NOTE."""
    notices = _notices()
    library = notices.WHEEL_LIBRARY
    for icu in ("libicudata.so.73", "libicui18n.so.73", "libicuuc.so.73"):
        assert library.search(f"PySide6/Qt/lib/{icu}"), icu
        assert icu.split(".")[0] in notices.LIBRARIES
    assert not library.search("PySide6/Qt/lib/libQt6Core.so.6")
    assert not library.search("PySide6/Qt/plugins/platforms/libqxcb.so")
    icu_text = (notices.LICENSES / "ICU.txt").read_text("utf-8")
    assert "COPYRIGHT AND PERMISSION NOTICE" in icu_text
    checked_in = (ROOT / "THIRD-PARTY-NOTICES").read_text("utf-8")
    assert re.search(r"^PySide6/Qt/lib/libicuuc\.so\.\d+: ICU ", checked_in, re.M)


def test_the_checked_in_notices_list_psycopg_and_the_libraries_of_its_linux_wheel() -> None:
    text = (ROOT / "THIRD-PARTY-NOTICES").read_text("utf-8")
    version = str(_pins()["psycopg"].specifier).removeprefix("==")
    assert f"\npsycopg {version}\nLicense: LGPL-3.0-only\n" in text
    assert f"\npsycopg-binary {version}\nLicense: LGPL-3.0-only\n" in text
    for library in ("libpq", "libssl", "libcrypto"):
        assert re.search(rf"^psycopg_binary\.libs/{library}-\w+\.so[.\d]*: ", text, re.M), library


def _launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("launch", PACKAGING / "launch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_linux_command_line_is_a_link_the_launcher_knows_by_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One executable on Linux (one copy of the code archive): `licensedesk-cli` links to it,
    and the bootloader reports the link's target as sys.executable."""
    assert 'ln -sfn licensedesk "$bundle/licensedesk-cli"' in (PACKAGING / "build.sh").read_text()
    launch = _launcher()
    monkeypatch.setattr(sys, "executable", "/opt/licensedesk/licensedesk")
    monkeypatch.setattr(sys, "argv", ["/home/ann/.local/bin/licensedesk-cli", "history"])
    assert launch.CLI_NAME in launch._invoked_names()
    monkeypatch.setattr(sys, "argv", ["licensedesk"])
    assert launch.CLI_NAME not in launch._invoked_names()
    monkeypatch.setattr(sys, "executable", "/Applications/LicenseDesk.app/MacOS/licensedesk-cli")
    assert launch.CLI_NAME in launch._invoked_names()  # macOS, Windows: two executables
