"""LicenseDesk core: everything but the window. Imports no Qt."""

APP_NAME = "LicenseDesk"
APP_ID = "licensedesk"
APP_ORG = "LicenseDesk"
# Reverse-DNS application ID: the .desktop file's name (and so the Wayland app id), the icon
# name, the AppStream id and the macOS bundle identifier. APP_ID stays the short name used for
# the data folder, the keychain service and WM_CLASS, so existing data keeps its place.
DESKTOP_ID = "io.licensedesk.LicenseDesk"
__version__ = "0.1.0"
