"""ITAM Settings: the General, Integrations and Prices sub-tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop.jobs import JobRunner
from desktop.notify import Notifier
from desktop.settings.general_tab import GeneralSettingsTab
from desktop.settings.integrations_tab import IntegrationsTab
from desktop.settings.prices_tab import PricesTab
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller


class _Reloadable(Protocol):
    def reload(self) -> None: ...


class ItamSettingsTab(QWidget):
    """Signals: data_changed(): settings, prices or license statuses changed."""

    data_changed = Signal()

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.general = GeneralSettingsTab(controller, jobs, self)
        self.integrations = IntegrationsTab(controller, jobs, notifier, self)
        self.prices = PricesTab(controller, jobs, notifier, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("ITAM Settings sections")
        self.tabs.addTab(self.general, "General")
        self.tabs.addTab(self.integrations, "Integrations")
        self.tabs.addTab(self.prices, "Prices")
        self.tabs.currentChanged.connect(self._on_sub_tab_changed)
        self.general.settings_changed.connect(self._on_data_changed)
        self.integrations.licenses_changed.connect(self._on_data_changed)
        self.prices.prices_changed.connect(self._on_data_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

    def panels(self) -> list[TablePanel]:
        return self.prices.panels() if self.tabs.currentWidget() is self.prices else []

    def reload(self) -> None:
        """Read the sub-tab shown (each reads on a worker thread)."""
        current = self.tabs.currentWidget()
        if hasattr(current, "reload"):
            current.reload()

    @Slot(int)
    def _on_sub_tab_changed(self, _index: int) -> None:
        self.reload()

    @Slot()
    def _on_data_changed(self) -> None:
        self.data_changed.emit()
