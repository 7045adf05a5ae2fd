"""Write THIRD-PARTY-NOTICES from the installed distributions' metadata.

    python packaging/notices.py [OUT]           (default: THIRD-PARTY-NOTICES at the repo root)
    python packaging/notices.py --check FILE    (exit 1 when FILE differs from what it would write)

Run it with the interpreter the bundle is built from (packaging/build.sh does): it walks the
runtime requirements in pyproject.toml through `importlib.metadata`, so the list is what that
environment ships on this platform, each with its version, licence and licence files' text.
"""

from __future__ import annotations

import platform
import re
import sys
import tomllib
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


def main(argv: list[str]) -> int:
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
