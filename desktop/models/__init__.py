"""Table models: one QAbstractTableModel per table, holding core row dataclasses."""

from desktop.models.base import RowRole, RowTableModel, SortRole

__all__ = ["RowRole", "RowTableModel", "SortRole"]
