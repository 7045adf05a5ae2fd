#!/bin/sh
# Install LicenseDesk for the current user, without root.
#   ./install.sh               copy the app to ~/.local/lib/licensedesk, put licensedesk and
#                              licensedesk-cli in ~/.local/bin, add the menu entry and icons
#   ./install.sh --uninstall   remove all of that again (your data folder stays)
# PREFIX=/some/dir ./install.sh installs under that folder instead of ~/.local.
set -eu
ID=io.licensedesk.LicenseDesk
PREFIX=${PREFIX:-$HOME/.local}
APP=$PREFIX/lib/licensedesk
BIN=$PREFIX/bin
if [ "$PREFIX" = "$HOME/.local" ]; then DATA=${XDG_DATA_HOME:-$HOME/.local/share}; else DATA=$PREFIX/share; fi
HERE=$(cd "$(dirname "$0")" && pwd -P)

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" 2>/dev/null || true
    fi
}

uninstall() {
    for name in licensedesk licensedesk-cli; do
        # Only our own links: never a command of the same name from somewhere else.
        if [ -L "$BIN/$name" ] && [ "$(readlink "$BIN/$name")" = "$APP/$name" ]; then
            rm -f "$BIN/$name"
        fi
    done
    rm -f "$DATA/applications/$ID.desktop" "$DATA/metainfo/$ID.metainfo.xml"
    rm -f "$DATA"/icons/hicolor/*/apps/"$ID".png "$DATA/icons/hicolor/scalable/apps/$ID.svg"
    case "$HERE" in "$APP") cd / ;; esac
    rm -rf "$APP"
    refresh
    echo "LicenseDesk removed. Your data folder is kept (delete it yourself if you wish)."
}

install() {
    if [ ! -x "$HERE/licensedesk" ] || [ ! -x "$HERE/licensedesk-cli" ]; then
        echo "install.sh: run me from the unpacked licensedesk folder" >&2
        exit 1
    fi
    if [ "$HERE" != "$APP" ]; then
        rm -rf "$APP.new"
        mkdir -p "$PREFIX/lib"
        cp -R "$HERE" "$APP.new"
        rm -rf "$APP"
        mv "$APP.new" "$APP"
    fi
    mkdir -p "$BIN" "$DATA/applications" "$DATA/metainfo" "$DATA/icons"
    for name in licensedesk licensedesk-cli; do
        ln -sfn "$APP/$name" "$BIN/$name"
    done
    # Exec names the link by its full path: the menu works even where ~/.local/bin is not on
    # the session's PATH.
    sed -e "s|^Exec=.*|Exec=$BIN/licensedesk|" -e "s|^TryExec=.*|TryExec=$BIN/licensedesk|" \
        "$APP/share/applications/$ID.desktop" > "$DATA/applications/$ID.desktop"
    cp "$APP/share/metainfo/$ID.metainfo.xml" "$DATA/metainfo/"
    cp -R "$APP/share/icons/hicolor" "$DATA/icons/"
    refresh
    echo "LicenseDesk installed: $BIN/licensedesk (window), $BIN/licensedesk-cli (command line)."
    case ":$PATH:" in
        *":$BIN:"*) ;;
        *) echo "Add $BIN to your PATH to run the commands by name." ;;
    esac
    echo "Uninstall with: $APP/install.sh --uninstall"
}

case "${1:-}" in
    --uninstall) uninstall ;;
    "") install ;;
    *) echo "usage: install.sh [--uninstall]" >&2; exit 2 ;;
esac
