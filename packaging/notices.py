"""Write THIRD-PARTY-NOTICES from the installed distributions' metadata.

    python packaging/notices.py [OUT]           (default: THIRD-PARTY-NOTICES at the repo root)
    python packaging/notices.py --check FILE    (exit 1 when FILE differs from what it would write)
    python packaging/notices.py --system-libraries BUNDLE FILE...
        (Linux, after PyInstaller: append to each FILE the Debian packages of the build machine's
        libraries that PyInstaller copied into BUNDLE; fails on a library it cannot attribute)

Run it with the interpreter the bundle is built from (packaging/build.sh does): it walks the
runtime requirements in pyproject.toml through `importlib.metadata`, so the list is what that
environment ships on this platform, each with its version, licence and licence files' text.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.IGNORECASE)
RULE = "=" * 78
LICENSES = Path(__file__).resolve().parent / "licenses"

# Native libraries a wheel carries next to its extension modules (auditwheel and delvewheel:
# <package>.libs/, delocate: <package>/.dylibs/). The wheel's metadata holds only the Python
# package's licence, so each library is named here by its file name's stem: its project, SPDX
# licence and licence text (packaging/licenses/). A library not listed stops the notices: a new
# pin must not ship an unlisted licence.
LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libpq": (
        "libpq, PostgreSQL's client library (https://www.postgresql.org/)",
        "PostgreSQL",
        "PostgreSQL.txt",
    ),
    "libssl": ("OpenSSL (https://www.openssl.org/)", "Apache-2.0", "Apache-2.0.txt"),
    "libcrypto": ("OpenSSL (https://www.openssl.org/)", "Apache-2.0", "Apache-2.0.txt"),
    "libgssapi_krb5": ("MIT Kerberos (https://web.mit.edu/kerberos/)", "MIT", "MIT-Kerberos.txt"),
    "libkrb5": ("MIT Kerberos (https://web.mit.edu/kerberos/)", "MIT", "MIT-Kerberos.txt"),
    "libkrb5support": ("MIT Kerberos (https://web.mit.edu/kerberos/)", "MIT", "MIT-Kerberos.txt"),
    "libk5crypto": ("MIT Kerberos (https://web.mit.edu/kerberos/)", "MIT", "MIT-Kerberos.txt"),
    "libcom_err": ("com_err, of MIT Kerberos and e2fsprogs", "MIT-CMU", "com_err.txt"),
    "libldap": ("OpenLDAP (https://www.openldap.org/)", "OLDAP-2.8", "OpenLDAP-2.8.txt"),
    "liblber": ("OpenLDAP (https://www.openldap.org/)", "OLDAP-2.8", "OpenLDAP-2.8.txt"),
    "libsasl2": (
        "Cyrus SASL (https://www.cyrusimap.org/sasl/)",
        "BSD-4-Clause-CMU",
        "Cyrus-SASL.txt",
    ),
    # LGPL: replaceable like psycopg's own files (see above); source from the project's site.
    "libcrypt": (
        "libxcrypt (https://github.com/besser82/libxcrypt)",
        "LGPL-2.1-or-later",
        "LGPL-2.1.txt",
    ),
    "libkeyutils": (
        "keyutils (https://people.redhat.com/~dhowells/keyutils/)",
        "LGPL-2.1-or-later",
        "LGPL-2.1.txt",
    ),
    # The PySide6 wheel's Qt/lib holds ICU beside Qt's own libraries (Linux); the wheel carries
    # no licence files, and QT_NOTE covers Qt only.
    "libicudata": ("ICU (https://icu.unicode.org/)", "Unicode-DFS-2016 AND ICU", "ICU.txt"),
    "libicui18n": ("ICU (https://icu.unicode.org/)", "Unicode-DFS-2016 AND ICU", "ICU.txt"),
    "libicuuc": ("ICU (https://icu.unicode.org/)", "Unicode-DFS-2016 AND ICU", "ICU.txt"),
}
WHEEL_LIBRARY = re.compile(
    r"^[^/]+\.libs/[^/]+$|/\.dylibs/[^/]+$"
    # Qt's wheel: any library in Qt/lib that is not Qt's own (libQt6*) is a third party's.
    r"|^PySide6/Qt/lib/lib(?!Qt6)[^/]+$"
)

QT_NOTE = """\
Qt and Qt for Python (PySide6, shiboken6) are used under the GNU Lesser General Public License
version 3 (LGPL-3.0-only). Their source code is available from https://download.qt.io/ and
https://code.qt.io/cgit/pyside/pyside-setup.git/ (the version is given below). LicenseDesk
links them dynamically and loads them from files in its folder, so you can replace them with
your own build of the same Qt and PySide6 version:
  - Linux:   licensedesk/_internal/PySide6/ (Qt's libraries in PySide6/Qt/lib/)
  - Windows: LicenseDesk\\_internal\\PySide6\\ (Qt6*.dll, pyside6*.dll, the .pyd modules)
  - macOS:   LicenseDesk.app/Contents/Frameworks/PySide6/ (re-sign the app afterwards)
Replace the files with ones of the same names; the app then runs on your libraries.
"""

PSYCOPG_NOTE = """\
psycopg and psycopg-binary (the PostgreSQL driver) are used under the GNU Lesser General Public
License version 3 (LGPL-3.0-only). Their source code is available from
https://github.com/psycopg/psycopg (psycopg/ and psycopg_c/, at the version given below).
LicenseDesk does not put them in its archive: they are plain files in its folder, psycopg as
its Python source, and are imported from there, so you can replace them with your own build
of the same psycopg version (psycopg_binary is psycopg_c built under that name):
  - Linux:   licensedesk/_internal/psycopg/ (Python source), licensedesk/_internal/psycopg_binary/
             (C extensions) and licensedesk/_internal/psycopg_binary.libs/ (libpq and the
             libraries listed under psycopg-binary below)
  - Windows: LicenseDesk\\_internal\\psycopg\\, psycopg_binary\\ and psycopg_binary.libs\\
  - macOS:   LicenseDesk.app/Contents/Resources/psycopg/ and
             LicenseDesk.app/Contents/Frameworks/psycopg_binary/ (re-sign the app afterwards)
Replace the files with ones of the same names; the app then runs on your code.
"""

PYINSTALLER_NOTE = """\
The executables start through PyInstaller's bootloader, distributed under the GNU General
Public License version 2 with the PyInstaller bootloader exception, which allows it to be
combined with programs under any licence (https://pyinstaller.org/en/stable/license.html).
"""

# The post-build section (--system-libraries) starts with this heading, so that running the step
# again replaces it instead of appending a second copy.
SYSTEM_HEADING = "Libraries from the build machine's system"

SYSTEM_NOTE = """\
PyInstaller copied the shared libraries below from the Debian system the bundle was built on
into licensedesk/_internal/. Each Debian package is listed once, with its version, its files
in the bundle and its copyright file (/usr/share/doc/<package>/copyright), which gives the
licences of its parts.
"""

LGPL_NOTE = """\
LicenseDesk links these libraries dynamically and loads them from files in its folder,
licensedesk/_internal/ (each package's files are named below), so you can replace them with
your own build of the same libraries. Their source code, at the Debian version given with each
package, is available from https://sources.debian.org/src/<source>/<version>/ or with
`apt-get source <source>=<version>` (https://snapshot.debian.org/ keeps every version).
"""

# Debian's copyright files name the common licences' texts by path instead of quoting them;
# the notices ship those texts once each, since the bundle may run on no Debian system.
COMMON_LICENSES = Path("/usr/share/common-licenses")
COMMON_LICENSE = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9.+-]*[A-Za-z0-9+])")

# Where a library's file name finds its origin when ldconfig's cache has not got it: the
# multiarch directories (Debian, Ubuntu), then the classic ones (after usrmerge /lib is /usr/lib,
# but dpkg still records some packages' files under /lib: see _dpkg_aliases).
MULTIARCH = getattr(sys.implementation, "_multiarch", f"{platform.machine()}-linux-gnu")
LIBRARY_DIRS = tuple(
    Path(d)
    for d in (
        f"/lib/{MULTIARCH}",
        f"/usr/lib/{MULTIARCH}",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    )
)
SHARED_LIBRARY = re.compile(r"\.so(\.[0-9]+)*$")
LGPL = re.compile(r"\bLGPL|GNU (Lesser|Library) General Public", re.IGNORECASE)
DOC = Path("/usr/share/doc")


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return list(project["dependencies"])


def closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions the requirements need here, each once, sorted by name.
    Extras count: `psycopg[binary]` brings psycopg-binary (and its native libraries)."""
    env = default_environment()
    found: dict[str, metadata.Distribution] = {}
    extras: dict[str, set[str]] = {}  # the extras each distribution was asked for
    pending = [(Requirement(r), frozenset[str]()) for r in requirements]
    while pending:
        req, wanted = pending.pop()  # wanted: the extras asked of the requiring distribution
        if req.marker is not None and not any(
            req.marker.evaluate({**env, "extra": extra}) for extra in wanted | {""}
        ):
            continue
        key = _key(req.name)
        if key in found and req.extras <= extras[key]:
            continue
        try:
            dist = found.get(key) or metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform dependency not installed here
        found[key] = dist
        extras.setdefault(key, set()).update(req.extras)
        pending.extend((Requirement(r), frozenset(extras[key])) for r in dist.requires or [])
    return [found[k] for k in sorted(found)]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) < 100:
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []]
    named = [c for c in classifiers if c.startswith(("License", "GNU", "MIT", "BSD", "Apache"))]
    licences = [c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    return "; ".join(c.split(" :: ")[-1] for c in licences) or ", ".join(named) or "see below"


def licence_texts(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for file in dist.files or []:
        name = str(file)
        if ".dist-info/" not in name or not LICENSE_FILE.search(name):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        texts.append((name.split(".dist-info/", 1)[1], text.strip()))
    return sorted(texts)


def bundled_libraries(dist: metadata.Distribution) -> list[tuple[str, str, str, str]]:
    """The native libraries in the wheel: (file, project, licence, licence file), by file."""
    libraries = []
    for file in dist.files or []:
        name = str(file)
        if not WHEEL_LIBRARY.search(name):
            continue
        filename = name.rsplit("/", 1)[1]
        stem = re.split(r"[-.]", filename, maxsplit=1)[0]
        if stem not in LIBRARIES:
            raise SystemExit(
                f"notices.py: {dist.metadata['Name']} bundles {filename}, whose licence is not"
                " known: add it to LIBRARIES (and its text to packaging/licenses/)"
            )
        libraries.append((name, *LIBRARIES[stem]))
    return sorted(libraries)


def python_section() -> str:
    version = platform.python_version()
    text = ""
    for candidate in (
        Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}",
        Path(sys.base_prefix),
    ):
        if (candidate / "LICENSE.txt").is_file():
            text = (candidate / "LICENSE.txt").read_text("utf-8", errors="replace").strip()
            break
    body = text or "See https://docs.python.org/3/license.html"
    return f"{RULE}\nPython {version}\nLicense: PSF-2.0\n\n{body}\n"


def render(dists: list[metadata.Distribution]) -> str:
    parts = [
        "THIRD-PARTY NOTICES for LicenseDesk\n\n"
        "LicenseDesk bundles the following components. Each is listed with its version and\n"
        "licence, followed by the licence files it ships.\n\n",
        QT_NOTE,
        "\n",
        PSYCOPG_NOTE,
        "\n",
        PYINSTALLER_NOTE,
        "\n",
        python_section(),
    ]
    for dist in dists:
        meta = dist.metadata
        home = meta.get("Home-page") or next(
            (u.split(",", 1)[1].strip() for u in meta.get_all("Project-URL") or []), ""
        )
        parts.append(f"{RULE}\n{meta['Name']} {dist.version}\nLicense: {licence_of(dist)}\n")
        if home:
            parts.append(f"Home: {home}\n")
        for name, text in licence_texts(dist):
            parts.append(f"\n--- {name} ---\n{text}\n")
        libraries = bundled_libraries(dist)
        if libraries:
            parts.append(f"\n--- native libraries in {meta['Name']} (not in its licence) ---\n")
            parts.extend(
                f"{name}: {project}; License: {spdx}\n" for name, project, spdx, _ in libraries
            )
        by_text: dict[str, set[str]] = {}  # licence file -> the projects under it
        for _, project, spdx, file in libraries:
            by_text.setdefault(file, set()).add(f"{project.split(' (')[0]}: {spdx}")
        for file, projects in sorted(by_text.items()):
            text = (LICENSES / file).read_text("utf-8").strip()
            parts.append(f"\n--- {'; '.join(sorted(projects))} ---\n{text}\n")
    return "".join(parts)


@dataclass
class DebianPackage:
    """A Debian package some of the bundle's libraries come from."""

    name: str  # as dpkg names it, with its architecture when it is Multi-Arch: same
    version: str
    source: str  # the source package: what sources.debian.org and `apt-get source` know
    source_version: str
    copyright: Path  # the doc directory's copyright file, symbolic links followed
    files: list[str] = field(default_factory=list)  # in the bundle, relative to _internal


@dataclass
class SystemLibraries:
    """What --system-libraries found: the Debian packages, and what the Python section covers."""

    packages: list[DebianPackage]
    python: list[str]  # libpython and lib-dynload's modules of a Python dpkg does not own


def shared_libraries(internal: Path) -> list[Path]:
    """The shared libraries in the bundle (lib*.so.N and extension modules), by path.
    A symbolic link into the bundle is skipped: its target is listed on its own."""
    found = []
    for path in sorted(internal.rglob("*")):
        if not SHARED_LIBRARY.search(path.name) or path.is_dir():
            continue
        if path.is_symlink() and path.resolve().is_relative_to(internal.resolve()):
            continue
        found.append(path)
    return found


def wheel_files(dists: Iterable[metadata.Distribution]) -> set[str]:
    """Every file the distributions installed, relative to site-packages: PyInstaller puts
    them at the same path in _internal, and their sections above cover them (a wheel's
    third-party libraries through LIBRARIES)."""
    return {Path(str(file)).as_posix() for dist in dists for file in dist.files or []}


def python_library_dirs() -> tuple[Path, Path]:
    """This Python's library directory (libpython) and lib-dynload (its extension modules)."""
    libdir = sysconfig.get_config_var("LIBDIR") or str(Path(sys.base_prefix) / "lib")
    dynload = sysconfig.get_config_var("DESTSHARED") or str(
        Path(sysconfig.get_path("platstdlib")) / "lib-dynload"
    )
    return Path(libdir), Path(dynload)


def ldconfig_cache() -> dict[str, Path]:
    """The dynamic linker's cache: file name -> the first path it gives (its search order)."""
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if Path(p).exists()), None
    )
    if ldconfig is None:
        return {}
    out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    cache: dict[str, Path] = {}
    for line in out.splitlines():
        name, arrow, target = line.strip().partition(" => ")
        if arrow:
            cache.setdefault(name.split(" (", 1)[0], Path(target))
    return cache


def origin(relative: str, python_dirs: tuple[Path, Path], cache: dict[str, Path]) -> Path | None:
    """The build machine's file a bundled library was copied from, found by its name.
    The Python's own directories come first: a machine can have the distribution's
    libpython3.X as well as the one of the Python (pyenv, /usr/local) the bundle is built with."""
    libdir, dynload = python_dirs
    name = relative.rsplit("/", 1)[-1]
    if "/lib-dynload/" in f"/{relative}":
        candidates = [dynload / name]
    else:
        candidates = [libdir / name]
        if name in cache:
            candidates.append(cache[name])
        candidates.extend(d / name for d in LIBRARY_DIRS)
    return next((c for c in candidates if c.is_file()), None)


def _dpkg_aliases(path: Path) -> list[str]:
    """The names dpkg may know a file by: as found and resolved, each with and without /usr
    (merged /usr: /lib is /usr/lib, yet dpkg records each package's files where it ships them)."""
    names: list[str] = []
    for found in (str(path), str(path.resolve())):
        if merged := re.match(r"/usr(/(lib|lib64|bin|sbin)/.*)", found):
            other = merged.group(1)
        elif re.match(r"/(lib|lib64|bin|sbin)/", found):
            other = "/usr" + found
        else:
            other = found
        names.extend(name for name in (found, other) if name not in names)
    return names


def dpkg_owners(paths: Iterable[Path]) -> dict[Path, str]:
    """The package that owns each path (paths no package owns are left out), in one dpkg call."""
    aliases = {path: _dpkg_aliases(path) for path in paths}
    queried = sorted({name for names in aliases.values() for name in names})
    if not queried:
        return {}
    # Exit status 1 only says some path is no package's: the others are still on stdout.
    out = subprocess.run(
        ["dpkg-query", "--search", *queried], capture_output=True, text=True, check=False
    ).stdout
    owner_of: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("diversion by "):
            continue
        packages, sep, name = line.partition(": ")
        if sep:
            owner_of.setdefault(name.strip(), packages.split(", ")[0].strip())
    return {
        path: next(owner_of[n] for n in names if n in owner_of)
        for path, names in aliases.items()
        if any(n in owner_of for n in names)
    }


def debian_package(name: str) -> DebianPackage:
    fields = "${Version}\t${source:Package}\t${source:Version}"
    out = subprocess.run(
        ["dpkg-query", "--show", f"--showformat={fields}", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    version, source, source_version = out.split("\t")
    # Debian points some packages' doc directory at another's (libatomic1 -> gcc-12-base).
    copyright = (DOC / name.split(":", 1)[0]).resolve() / "copyright"
    if not copyright.is_file():
        raise SystemExit(f"notices.py: {name} has no copyright file ({copyright})")
    return DebianPackage(name, version, source, source_version or version, copyright)


def system_libraries(internal: Path, covered: set[str]) -> SystemLibraries:
    """Attribute every shared library in the bundle that no section above covers (not a file of
    a distribution in `covered`) to the Debian package it came from. A library without one
    stops the build: a new dependency must not ship unlisted."""
    python_dirs = python_library_dirs()
    cache = ldconfig_cache()
    found: dict[str, Path] = {}
    for path in shared_libraries(internal):
        relative = path.relative_to(internal).as_posix()
        if relative in covered:
            continue
        source = origin(relative, python_dirs, cache)
        if source is None:
            raise SystemExit(
                f"notices.py: {relative} in the bundle is no distribution's and not found on"
                " this system: cannot name its licence"
            )
        found[relative] = source
    if found and shutil.which("dpkg-query") is None:
        raise SystemExit(
            f"notices.py: no dpkg here to name the packages of the bundle's {len(found)} system"
            f" libraries ({', '.join(sorted(found)[:3])}...): build the Linux bundle on Debian"
            " or Ubuntu"
        )
    owners = dpkg_owners(found.values())
    packages: dict[str, DebianPackage] = {}
    python: list[str] = []
    for relative, source in sorted(found.items()):
        owner = owners.get(source)
        if owner is None and source.resolve().is_relative_to(Path(sys.base_prefix).resolve()):
            python.append(relative)  # this Python's own (not a Debian one): its section covers it
            continue
        if owner is None:
            raise SystemExit(
                f"notices.py: {relative} in the bundle comes from {source}, which no Debian"
                " package owns: cannot name its licence"
            )
        if owner not in packages:
            packages[owner] = debian_package(owner)
        packages[owner].files.append(relative)
    return SystemLibraries(sorted(packages.values(), key=lambda p: p.name), python)


def _os_name() -> str:
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return "Linux"
    return release.get("PRETTY_NAME") or release.get("NAME") or "Linux"


def render_system(found: SystemLibraries) -> str:
    parts = [f"{RULE}\n{SYSTEM_HEADING} ({_os_name()})\n\n", SYSTEM_NOTE]
    if found.python:
        # Its extension modules by folder: the Python section's licence covers them all.
        modules = [n for n in found.python if "/lib-dynload/" in f"/{n}"]
        listed = [n for n in found.python if n not in modules]
        if modules:
            listed.append(f"{modules[0].rsplit('/', 1)[0]}/ ({len(modules)} extension modules)")
        parts.append(
            "\n"
            + textwrap.fill(
                "Also from the build machine, and covered by the Python"
                f" {platform.python_version()} section above (this Python's own files, no"
                f" Debian package's): {', '.join(listed)}.",
                95,
            )
            + "\n"
        )
    texts = {p.name: p.copyright.read_text("utf-8", "replace").strip() for p in found.packages}
    lgpl = [p for p in found.packages if LGPL.search(texts[p.name])]
    if lgpl:
        # \0 holds each name to its version while the paragraph is wrapped.
        names = ", ".join(f"{_short(p.name)}\0{p.version}" for p in lgpl)
        lead = (
            "The copyright files of these packages name the GNU Lesser General Public License"
            f" (LGPL) for all or part of them: {names}."
        )
        lead = textwrap.fill(lead, 95, break_on_hyphens=False).replace("\0", " ")
        parts.append(f"\n{lead}\n{LGPL_NOTE}")
    shown: dict[str, str] = {}  # copyright text -> the package it was first shown with
    for package in found.packages:
        text = texts[package.name]
        source = f"{package.source}/{package.source_version}"
        parts.append(
            f"\n{RULE}\n{_short(package.name)} {package.version} (Debian package)\n"
            f"Files: {', '.join(package.files)}\n"
            f"Source code: https://sources.debian.org/src/{source}/\n"
            f"             (apt-get source {package.source}={package.source_version})\n"
        )
        if text in shown:  # the libxcb-* packages, for one, each ship the same file
            parts.append(f"Copyright: the same file as {shown[text]}'s above\n")
            continue
        shown[text] = _short(package.name)
        parts.append(f"\n--- {package.copyright} ---\n{text}\n")
    parts.extend(_common_licenses(texts.values()))
    return "".join(parts)


def _short(package: str) -> str:
    return package.split(":", 1)[0]  # zlib1g:amd64 -> zlib1g


def _common_licenses(texts: Iterable[str]) -> list[str]:
    """The texts of /usr/share/common-licenses the copyright files refer to, each once (GPL
    is a link to GPL-3 there: the text goes under every name that reached it)."""
    names: dict[Path, set[str]] = {}
    for text in texts:
        for name in COMMON_LICENSE.findall(text):
            path = COMMON_LICENSES / name.rstrip(".")
            if path.is_file():
                names.setdefault(path.resolve(), set()).add(path.name)
    parts = []
    if names:
        parts.append(
            f"\n{RULE}\nThe licences in /usr/share/common-licenses/ the copyright files above"
            " refer to\n"
        )
    for path, aliases in sorted(names.items()):
        text = path.read_text("utf-8", "replace").strip()
        parts.append(f"\n--- /usr/share/common-licenses/{', '.join(sorted(aliases))} ---\n{text}\n")
    return parts


def append_system_section(notices: Path, section: str) -> None:
    """Append the section, replacing one an earlier run appended."""
    text = notices.read_text("utf-8")
    start = text.find(f"{RULE}\n{SYSTEM_HEADING}")
    if start >= 0:
        text = text[:start]
    notices.write_text(text.rstrip("\n") + "\n\n" + section, "utf-8")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--system-libraries"]:
        if len(argv) < 3:
            print("usage: notices.py --system-libraries BUNDLE FILE...", file=sys.stderr)
            return 2
        bundle = Path(argv[1])
        # PyInstaller 6 keeps everything but the executables in _internal/.
        internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
        found = system_libraries(internal, wheel_files(closure(runtime_requirements())))
        section = render_system(found)
        for name in argv[2:]:
            append_system_section(Path(name), section)
        print(
            f"appended {len(found.packages)} Debian packages' notices to {', '.join(argv[2:])}"
            f" ({sum(len(p.files) for p in found.packages)} libraries)"
        )
        return 0
    text = render(closure(runtime_requirements()))
    if argv[:1] == ["--check"]:
        current = Path(argv[1]).read_text("utf-8") if Path(argv[1]).is_file() else ""
        if current != text:
            print(f"{argv[1]} is out of date: run packaging/notices.py", file=sys.stderr)
            return 1
        return 0
    out = Path(argv[0]) if argv else ROOT / "THIRD-PARTY-NOTICES"
    out.write_text(text, "utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
