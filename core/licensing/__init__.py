"""Licenses: creation from imports, status, reconciliation, usage, waste and cost (spec §5–§7)."""

from core.licensing.service import LicensingService

__all__ = ["LicensingService"]
