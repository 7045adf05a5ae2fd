"""The shipped metadata agrees with the project: one version, one reverse-DNS application ID;
the bundle's build pins what the project needs and keeps psycopg (LGPL) replaceable."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import shutil
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
    sys.modules[spec.name] = module  # its dataclasses look their module up there
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


# --system-libraries (packaging/build.sh, Linux): the build machine's libraries PyInstaller
# copies into the bundle are named with their Debian package. These use real system files.
needs_dpkg = pytest.mark.skipif(
    shutil.which("dpkg-query") is None or not Path("/usr/share/doc/zlib1g/copyright").is_file(),
    reason="needs a Debian system (dpkg) with zlib1g",
)


def _system_library(name: str) -> Path:
    path = next((d / name for d in _notices().LIBRARY_DIRS if (d / name).is_file()), None)
    if path is None:
        pytest.skip(f"{name} is not on this system")
    return path


def _installed_version(package: str) -> str:
    """The version dpkg's own database records (read directly, not through notices.py)."""
    status = Path("/var/lib/dpkg/status").read_text("utf-8", "replace")
    for stanza in status.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line[:40])
        if fields.get("Package") == package and "installed" in fields.get("Status", ""):
            return fields["Version"]
    raise AssertionError(f"{package} is not installed")


def _bundle(tmp_path: Path, files: dict[str, Path | None]) -> Path:
    """An _internal folder: each name a copy of the given file (None: made-up bytes)."""
    internal = tmp_path / "licensedesk" / "_internal"
    for name, source in files.items():
        target = internal / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes() if source else b"\x7fELF not a real library")
    return internal


@needs_dpkg
def test_a_bundled_system_library_is_named_with_its_package_version_and_copyright(
    tmp_path: Path,
) -> None:
    notices = _notices()
    internal = _bundle(
        tmp_path,
        {
            "libz.so.1": _system_library("libz.so.1"),
            # A wheel's file: its distribution's section covers it, whatever it is.
            "PySide6/Qt/lib/libmadeup.so.1": None,
        },
    )
    # A link into the bundle (PyInstaller links Qt's libraries at the top): its target counts.
    (internal / "libmadeup.so.1").symlink_to("PySide6/Qt/lib/libmadeup.so.1")

    found = notices.system_libraries(internal, covered={"PySide6/Qt/lib/libmadeup.so.1"})

    [zlib] = found.packages
    version = _installed_version("zlib1g")
    assert (zlib.name.split(":")[0], zlib.version, zlib.files) == ("zlib1g", version, ["libz.so.1"])
    assert zlib.source == "zlib"
    assert found.python == []
    text = notices.render_system(found)
    assert text.startswith(f"{notices.RULE}\n{notices.SYSTEM_HEADING} (")
    assert f"\nzlib1g {version} (Debian package)\nFiles: libz.so.1\n" in text
    assert f"https://sources.debian.org/src/zlib/{zlib.source_version}/" in text
    copyright = Path("/usr/share/doc/zlib1g/copyright").read_text("utf-8").strip()
    assert f"--- /usr/share/doc/zlib1g/copyright ---\n{copyright}\n" in text
    assert "Lesser General Public" not in text  # zlib is not LGPL: no LGPL note


@needs_dpkg
def test_a_linked_doc_folder_is_followed_and_a_repeated_copyright_is_shown_once(
    tmp_path: Path,
) -> None:
    """Debian links libatomic1's doc folder to gcc-12-base's (libgomp1's too); the copyright
    file is then the same, and its text (GPL, with references to common-licenses) once."""
    notices = _notices()
    internal = _bundle(
        tmp_path,
        {
            "libatomic.so.1": _system_library("libatomic.so.1"),
            "libgomp.so.1": _system_library("libgomp.so.1"),
        },
    )
    doc = Path("/usr/share/doc/libatomic1")
    if not doc.is_symlink():
        pytest.skip("libatomic1's doc folder is no link here")

    found = notices.system_libraries(internal, covered=set())

    assert [p.name.split(":")[0] for p in found.packages] == ["libatomic1", "libgomp1"]
    assert {p.copyright for p in found.packages} == {doc.resolve() / "copyright"}
    text = notices.render_system(found)
    assert text.count(f"--- {doc.resolve() / 'copyright'} ---") == 1
    assert "Copyright: the same file as libatomic1's above\n" in text
    # The copyright file names GPL and LGPL texts by path: they ship once each, and the LGPL
    # note names the packages with the source to get.
    assert text.count("\n--- /usr/share/common-licenses/GPL-2 ---\n") == 1
    assert "GNU GENERAL PUBLIC LICENSE" in text
    assert "GNU Lesser General Public License (LGPL) for all\nor part of them: libatomic1" in text


@needs_dpkg
def test_an_unknown_library_stops_the_notices_naming_the_file(tmp_path: Path) -> None:
    notices = _notices()
    internal = _bundle(
        tmp_path,
        {"libz.so.1": _system_library("libz.so.1"), "sub/libnowhere-3f2a.so.7": None},
    )
    with pytest.raises(SystemExit) as stopped:
        notices.system_libraries(internal, covered=set())
    message = str(stopped.value)
    assert "sub/libnowhere-3f2a.so.7" in message and "\n" not in message


def test_a_file_of_no_debian_package_stops_the_notices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found on the system, but outside dpkg and outside this Python (say /usr/local/lib)."""
    notices = _notices()
    elsewhere = tmp_path / "usr-local-lib"
    elsewhere.mkdir()
    (elsewhere / "liblocal.so.2").write_bytes(b"\x7fELF")
    monkeypatch.setattr(notices, "LIBRARY_DIRS", (elsewhere,))
    monkeypatch.setattr(notices, "ldconfig_cache", dict)
    monkeypatch.setattr(notices, "dpkg_owners", lambda paths: {})
    monkeypatch.setattr(notices.shutil, "which", lambda name: f"/usr/bin/{name}")
    internal = _bundle(tmp_path, {"liblocal.so.2": None})
    with pytest.raises(SystemExit, match=r"liblocal\.so\.2 .*usr-local-lib/liblocal\.so\.2"):
        notices.system_libraries(internal, covered=set())


def test_without_dpkg_the_notices_stop_instead_of_shipping_libraries_unlisted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = _notices()
    which = shutil.which
    monkeypatch.setattr(
        notices.shutil, "which", lambda name: None if name == "dpkg-query" else which(name)
    )
    internal = _bundle(tmp_path, {"libz.so.1": _system_library("libz.so.1")})
    with pytest.raises(SystemExit, match=r"^notices\.py: no dpkg here .*\(libz\.so\.1\.\.\.\)"):
        notices.system_libraries(internal, covered=set())
    # Nothing to attribute, nothing to ask dpkg.
    assert notices.system_libraries(internal, covered={"libz.so.1"}).packages == []


def test_libpython_is_looked_for_first_in_the_directory_of_the_python_building_the_bundle() -> None:
    """A machine can have Debian's libpython3.X besides the one of the Python (pyenv,
    /usr/local) the bundle is built with: the bundled one is this Python's."""
    notices = _notices()
    python_dirs = notices.python_library_dirs()
    name = f"libpython{sys.version_info[0]}.{sys.version_info[1]}.so.1.0"
    if not (python_dirs[0] / name).is_file():
        pytest.skip("this Python has no shared libpython")
    assert notices.origin(name, python_dirs, notices.ldconfig_cache()) == python_dirs[0] / name
    module = "python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"
    assert notices.origin(module, python_dirs, {}) in (None, python_dirs[1] / module.split("/")[-1])


def test_dpkg_is_asked_for_a_file_by_both_its_merged_usr_names() -> None:
    """Debian 12 merged /lib into /usr/lib, yet dpkg records zlib1g's files under /lib and
    libssl3's under /usr/lib: a path is looked up with and without /usr."""
    aliases = _notices()._dpkg_aliases(Path("/nonexistent/usr-merge-test"))
    assert aliases == ["/nonexistent/usr-merge-test"]
    aliases = _notices()._dpkg_aliases(Path("/usr/lib/x86_64-linux-gnu/libdoesnotexist.so.1"))
    assert "/usr/lib/x86_64-linux-gnu/libdoesnotexist.so.1" in aliases
    assert "/lib/x86_64-linux-gnu/libdoesnotexist.so.1" in aliases


@needs_dpkg
def test_dpkg_names_the_owner_whichever_merged_usr_name_the_linker_gave() -> None:
    notices = _notices()
    multiarch = notices.MULTIARCH
    for name, package in (("libz.so.1", "zlib1g"), ("libssl.so.3", "libssl3")):
        _system_library(name)
        paths = [Path(f"/lib/{multiarch}/{name}"), Path(f"/usr/lib/{multiarch}/{name}")]
        owners = notices.dpkg_owners(paths)
        assert {owner.split(":")[0] for owner in owners.values()} == {package}, name
        assert set(owners) == set(paths), name


def test_the_system_section_replaces_the_one_an_earlier_run_appended(tmp_path: Path) -> None:
    notices = _notices()
    file = tmp_path / "THIRD-PARTY-NOTICES"
    file.write_text("THIRD-PARTY NOTICES\n\npsycopg 3.3.9\n", "utf-8")
    section = f"{notices.RULE}\n{notices.SYSTEM_HEADING} (Debian)\n\nzlib1g 1:1.2.13\n"
    notices.append_system_section(file, section)
    notices.append_system_section(file, section.replace("1.2.13", "1.3"))
    text = file.read_text("utf-8")
    assert text == (
        "THIRD-PARTY NOTICES\n\npsycopg 3.3.9\n\n"
        f"{notices.RULE}\n{notices.SYSTEM_HEADING} (Debian)\n\nzlib1g 1:1.3\n"
    )


def test_the_linux_build_appends_the_system_libraries_to_both_bundled_notices() -> None:
    script = (PACKAGING / "build.sh").read_text("utf-8")
    call = re.search(r'notices\.py --system-libraries "\$bundle" \\\n\s+(.*)\n', script)
    assert call is not None
    assert call.group(1).split() == [
        '"$bundle/THIRD-PARTY-NOTICES"',
        '"$bundle/_internal/THIRD-PARTY-NOTICES"',
    ]
    # After PyInstaller (which put the _internal copy there), before the archive is made.
    assert script.index("PyInstaller packaging") < call.start() < script.index("tar --sort")
