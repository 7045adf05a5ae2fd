"""LicenseDesk core: everything but the window. Imports no Qt."""

APP_NAME = "LicenseDesk"
APP_ID = "licensedesk"
APP_ORG = "LicenseDesk"
__version__ = "0.1.0"
