#!/usr/bin/env bash
# Build the one-folder LicenseDesk app with PyInstaller, plus icons and the Linux desktop
# entry. PyInstaller is a build-time tool only, installed here, not a runtime dependency.
#   bash packaging/build.sh            -> dist/licensedesk/
#   bash packaging/build.sh --install  -> also installs the .desktop file and icons for the user
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip install --quiet 'pyinstaller>=6'
"$PY" packaging/make_icons.py build/icons
"$PY" -m PyInstaller packaging/licensedesk.spec --noconfirm --distpath dist --workpath build/pyinstaller
mkdir -p dist/licensedesk/share/applications dist/licensedesk/share/icons
cp packaging/licensedesk.desktop dist/licensedesk/share/applications/
cp -r build/icons/hicolor dist/licensedesk/share/icons/
if [[ "${1:-}" == "--install" ]]; then
    data=${XDG_DATA_HOME:-$HOME/.local/share}
    mkdir -p "$data/applications" "$data/icons" "$HOME/.local/bin"
    sed "s|^Exec=.*|Exec=$PWD/dist/licensedesk/licensedesk %U|; s|^TryExec=.*|TryExec=$PWD/dist/licensedesk/licensedesk|" \
        packaging/licensedesk.desktop > "$data/applications/licensedesk.desktop"
    cp -r build/icons/hicolor "$data/icons/"
    command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
    echo "installed the desktop entry in $data/applications"
fi
echo "built dist/licensedesk/licensedesk"
