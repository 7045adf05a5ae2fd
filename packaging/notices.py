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

PYINSTALLER_NOTE = """\
The executables start through PyInstaller's bootloader, distributed under the GNU General
Public License version 2 with the PyInstaller bootloader exception, which allows it to be
combined with programs under any licence (https://pyinstaller.org/en/stable/license.html).
"""


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return list(project["dependencies"])


def closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions the requirements need here, each once, sorted by name."""
    env = default_environment()
    found: dict[str, metadata.Distribution] = {}
    pending = [Requirement(r) for r in requirements]
    while pending:
        req = pending.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        key = _key(req.name)
        if key in found:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform dependency not installed here
        found[key] = dist
        pending.extend(Requirement(r) for r in dist.requires or [])
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
