#!/usr/bin/env bash
# Build LicenseDesk with PyInstaller from pinned build requirements:
#   bash packaging/build.sh        -> dist/licensedesk/ (licensedesk + licensedesk-cli)
#                                     Linux: + dist/licensedesk-<version>-linux-x86_64.tar.gz
#                                     macOS: + dist/LicenseDesk.app
# The tools and the app's dependencies are installed from packaging/requirements-build.txt
# into their own virtual environment (build/venv), made with $PYTHON (default: python3).
# Exit status 3 means PyInstaller could not be installed (no package index reachable).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
VENV=build/venv
case "$(uname -s)" in
    Linux*) OS=linux ;;
    Darwin*) OS=macos ;;
    MINGW* | MSYS* | CYGWIN*) OS=windows ;;
    *) OS=other ;;
esac
BIN=$VENV/bin
[[ $OS == windows ]] && BIN=$VENV/Scripts
PY=$BIN/python
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)

if [[ ! -x $PY && ! -x $PY.exe ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
if ! "$PY" -m pip install --quiet --disable-pip-version-check -r packaging/requirements-build.txt; then
    echo "build.sh: cannot install the pinned build requirements (PyInstaller among them)" \
        "from the package index; the bundle was not built." >&2
    exit 3
fi
unpinned=$("$PY" -m pip freeze --disable-pip-version-check |
    grep -viE '^(pip|wheel)==' | sed 's/==.*//' | tr 'A-Z_.' 'a-z--' |
    grep -vxFf <(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/\1/p' packaging/requirements-build.txt |
        tr 'A-Z_.' 'a-z--') || true)
if [[ -n $unpinned ]]; then
    echo "build.sh: not pinned in packaging/requirements-build.txt: $unpinned" >&2
    exit 1
fi

# The app is imported from the source tree (not installed into the build environment).
export PYTHONPATH=$ROOT
export QT_QPA_PLATFORM=offscreen
"$PY" packaging/make_icons.py build/icons
"$PY" packaging/notices.py build/THIRD-PARTY-NOTICES
if ! "$PY" packaging/notices.py --check THIRD-PARTY-NOTICES 2>/dev/null; then
    echo "build.sh: note: THIRD-PARTY-NOTICES differs from this platform's build" \
        "(build/THIRD-PARTY-NOTICES is bundled)" >&2
fi
"$PY" packaging/version_info.py "$VERSION" build
"$PY" -m PyInstaller packaging/licensedesk.spec --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller

if [[ $OS == linux ]]; then
    bundle=dist/licensedesk
    # PyInstaller copied libraries from this machine's system into _internal/ (X11, xcb, GLib,
    # systemd, OpenSSL...): append their Debian packages' copyright files to the bundled
    # notices. It fails on a library it cannot attribute (and without dpkg): no release ships
    # a library unlisted.
    cp build/THIRD-PARTY-NOTICES "$bundle/THIRD-PARTY-NOTICES"
    "$PY" packaging/notices.py --system-libraries "$bundle" \
        "$bundle/THIRD-PARTY-NOTICES" "$bundle/_internal/THIRD-PARTY-NOTICES"
    # One executable for both commands (see licensedesk.spec): the name picks which.
    ln -sfn licensedesk "$bundle/licensedesk-cli"
    share=$bundle/share
    rm -rf "$share"
    mkdir -p "$share/applications" "$share/metainfo" "$share/icons" "$share/systemd"
    cp packaging/linux/io.licensedesk.LicenseDesk.desktop "$share/applications/"
    cp packaging/linux/io.licensedesk.LicenseDesk.metainfo.xml "$share/metainfo/"
    cp -r build/icons/hicolor "$share/icons/"
    cp packaging/linux/licensedesk-worker.service "$share/systemd/"
    cp packaging/linux/install.sh "$bundle/install.sh"
    chmod 755 "$bundle/install.sh"
    arch=$(uname -m)
    tarball=dist/licensedesk-$VERSION-linux-$arch.tar.gz
    # Sorted names, fixed owner and times: the same inputs give the same archive.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
        -C dist -cf - licensedesk | gzip -n -9 > "$tarball"
    echo "built $tarball"
fi
echo "built dist/licensedesk/ ($(du -sh dist/licensedesk | cut -f1))"
