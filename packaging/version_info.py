"""Write the Windows version resources of both executables from the project's version.

    python packaging/version_info.py 0.1.0 build

Writes <out>/version_info_licensedesk.txt and <out>/version_info_licensedesk-cli.txt in the
format PyInstaller's `EXE(version=...)` reads (a `VSVersionInfo` expression, as
`pyi-grab_version` prints it). Explorer shows them under Properties > Details.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TEMPLATE = """\
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
        StringStruct('CompanyName', 'LicenseDesk'),
        StringStruct('FileDescription', {description!r}),
        StringStruct('FileVersion', {version!r}),
        StringStruct('InternalName', {name!r}),
        StringStruct('LegalCopyright', 'LicenseDesk. Third-party notices: THIRD-PARTY-NOTICES'),
        StringStruct('OriginalFilename', {filename!r}),
        StringStruct('ProductName', 'LicenseDesk'),
        StringStruct('ProductVersion', {version!r})
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""

EXECUTABLES = {
    "licensedesk": "LicenseDesk",
    "licensedesk-cli": "LicenseDesk command line",
}


def numbers(version: str) -> tuple[int, int, int, int]:
    """Four 16-bit numbers from a version such as 1.2.3 or 1.2.3rc1 (pre-release tags dropped)."""
    parts = [int(re.sub(r"\D.*", "", p) or 0) for p in version.split(".")[:4]]
    a, b, c, d = (parts + [0, 0, 0, 0])[:4]
    return a, b, c, d


def main(version: str, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, description in EXECUTABLES.items():
        text = TEMPLATE.format(
            numbers=numbers(version),
            version=version,
            name=name,
            filename=f"{name}.exe",
            description=description,
        )
        (out / f"version_info_{name}.txt").write_text(text, "utf-8")
    print(f"version resources for {version} written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
