"""Overview: figures per tenant and in total, the product chart and the warnings to act on."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain.licensing import ActionWarning, Overview, OverviewTotals, usage_unknown_note
from desktop import formatting
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.models.overview_model import TotalsColumn, TotalsModel, is_total
from desktop.models.product_figures_model import ProductFiguresColumn, ProductFiguresModel
from desktop.models.proxy import SearchProxyModel
from desktop.models.warnings_model import WarningColumn, WarningsModel
from desktop.notify import describe_error
from desktop.widgets.bar_chart import BarChart, BarGroup
from desktop.widgets.inline_message import InlineMessage, restyle
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller

CARDS = (
    ("entitled", "Entitled"),
    ("assigned", "Assigned"),
    ("active", "Active"),
    ("unassigned", "Unassigned"),
    ("shortfall", "Shortfall"),
    ("monthly_cost", "Monthly cost"),
    ("monthly_waste", "Monthly waste"),
)
MAX_CHART_PRODUCTS = 20


class _FigureCard(QFrame):
    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figureCard")
        self.value = QLabel(formatting.DASH, self)
        self.value.setObjectName("figureValue")
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("figureCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def _describe(self) -> None:
        # A screen reader reads the card as one thing: "Shortfall: 12".
        self.setAccessibleDescription(f"{self.caption.text()}: {self.value.text()}")

    def set_value(self, text: str, tone: str = "") -> None:
        self.value.setText(text)
        self._describe()
        if self.value.property("tone") != tone:
            self.value.setProperty("tone", tone)
            restyle(self.value)


def _section(title: str, body: QWidget, tool: QWidget | None = None) -> QWidget:
    box = QWidget()
    label = QLabel(title, box)
    label.setObjectName("sectionTitle")
    head = QHBoxLayout()
    head.addWidget(label, 1)
    if tool is not None:
        head.addWidget(tool)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addLayout(head)
    layout.addWidget(body, 1)
    return box


class OverviewTab(QWidget):
    """Signals: warning_activated(object): the user double-clicked an ActionWarning."""

    warning_activated = Signal(object)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self.overview: Overview | None = None
        self.loader = LatestJob(jobs, "load overview", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.message = InlineMessage(self)
        self.cards = {name: _FigureCard(caption) for name, caption in CARDS}
        self.totals_model = TotalsModel(self)
        totals_proxy = SearchProxyModel(self)
        totals_proxy.setSourceModel(self.totals_model)
        totals_proxy.set_pinned(is_total)
        self.totals = TablePanel("overview-tenants", totals_proxy, placeholder="Search tenants")
        self.totals.export_table = "overview"
        # The figures take the width they need; the tenant's name the rest (whole where it
        # fits, else elided with the full name one hover away), so nothing scrolls sideways.
        totals_header = self.totals.view.horizontalHeader()
        totals_header.setStretchLastSection(False)
        totals_header.setSectionResizeMode(TotalsColumn.TENANT, QHeaderView.ResizeMode.Stretch)
        self.warnings_model = WarningsModel(self)
        warnings_proxy = SearchProxyModel(self)
        warnings_proxy.setSourceModel(self.warnings_model)
        self.warnings = TablePanel("overview-warnings", warnings_proxy, placeholder="Search")
        self.warnings.export_table = "warnings"
        self.totals.set_accessible_title("Per tenant")
        self.warnings.set_accessible_title("Warnings that need action")
        self.warnings.set_column_widths(
            {WarningColumn.SEVERITY: 90, WarningColumn.TENANT: 150, WarningColumn.KIND: 150}
        )
        self.warnings.row_activated.connect(self._on_warning_activated)
        self.open_warning_action = QAction("Go to it", self)
        self.open_warning_action.setToolTip("Open the license or connection the warning is about")
        self.open_warning_action.triggered.connect(self._on_open_warning_requested)
        self.warnings.add_row_action(self.open_warning_action)
        self.chart = BarChart()
        # The chart's text alternative: the same figures as a table, one toggle away.
        self.products_model = ProductFiguresModel(self)
        products_proxy = SearchProxyModel(self)
        products_proxy.setSourceModel(self.products_model)
        self.products = TablePanel(
            "overview-products", products_proxy, placeholder="Search products"
        )
        self.products.view.horizontalHeader().setStretchLastSection(False)
        self.products.view.horizontalHeader().setSectionResizeMode(
            ProductFiguresColumn.PRODUCT, QHeaderView.ResizeMode.Stretch
        )
        self.show_table = QCheckBox("Show as &table", self)
        self.show_table.setToolTip("Show the chart's figures as a table")
        self.show_table.setAccessibleDescription("Shows the chart's figures as a table")
        self.products.set_accessible_title("Per product")
        self.show_table.toggled.connect(self._on_show_table_toggled)
        self._lay_out()

    def _lay_out(self) -> None:
        cards = QGridLayout()
        for i, card in enumerate(self.cards.values()):
            cards.addWidget(card, 0, i)
        scroll = QScrollArea()
        scroll.setObjectName("overviewScroll")
        scroll.setAccessibleName("Per product chart")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chart)
        self.product_stack = QStackedWidget()
        self.chart_scroll = scroll
        self.product_stack.addWidget(scroll)
        self.product_stack.addWidget(self.products)
        self._on_show_table_toggled(False)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(_section("Per tenant", self.totals))
        left.addWidget(_section("Warnings that need action", self.warnings))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(_section("Per product", self.product_stack, self.show_table))
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([980, 280])  # the tenant column shows "Contoso (simulated)" whole
        left.setSizes([220, 400])
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addLayout(cards)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    def panels(self) -> list[TablePanel]:
        return [self.totals, self.warnings, self.products]

    def reload(self) -> Job:
        """Read the figures on a worker thread; the last ones stay shown meanwhile."""
        return self.loader.run(self._controller_overview)

    def _controller_overview(self, _token: object) -> Overview:
        return self._controller.overview()

    @Slot(object)
    def _on_loaded(self, overview: Overview) -> None:
        self.message.clear()
        self.show_overview(overview)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"Could not read the overview: {html.escape(message)}", detail
        )

    def show_overview(self, overview: Overview) -> None:
        self.overview = overview
        self.totals_model.currency = overview.currency
        self.totals_model.replace_rows([*overview.tenants, overview.total])
        self.warnings_model.replace_rows(overview.warnings)
        self.totals.fit_contents()  # a few rows: every figure shown whole
        for column in (WarningColumn.SEVERITY, WarningColumn.TENANT, WarningColumn.KIND):
            self.warnings.view.resizeColumnToContents(column)
        self.warnings.fit_headers()
        self._fill_cards(overview.total, overview.currency)
        products = sorted(overview.products, key=lambda p: p.entitlement, reverse=True)
        groups = [
            BarGroup(p.product, (p.entitlement, p.assigned_users, p.active_users)) for p in products
        ]
        self.chart.set_groups(groups[:MAX_CHART_PRODUCTS])
        self.products_model.replace_rows(groups)  # a table has room for every product
        for figure in list(ProductFiguresColumn)[1:]:
            self.products.view.resizeColumnToContents(figure)
        self.products.fit_headers()

    def _fill_cards(self, total: OverviewTotals, currency: str) -> None:
        for name, card in self.cards.items():
            value = getattr(total, name)
            if isinstance(value, float):
                card.set_value(formatting.money(value, currency))
            else:
                card.set_value(formatting.count(value))  # None (usage unknown) reads "—"
        self.cards["active"].setToolTip(
            usage_unknown_note(total.usage_unknown, total.assigned) or ""
        )
        self.cards["shortfall"].set_value(
            formatting.count(total.shortfall), "negative" if total.shortfall else ""
        )
        self.cards["monthly_waste"].set_value(
            formatting.money(total.monthly_waste, currency),
            "warning" if total.monthly_waste else "",
        )

    @Slot(bool)
    def _on_show_table_toggled(self, shown: bool) -> None:
        # Only the page shown counts for the pane's size: the table's tools would otherwise
        # widen the pane beside the chart.
        current = self.products if shown else self.chart_scroll
        self.product_stack.setCurrentWidget(current)
        for page in (self.chart_scroll, self.products):
            policy = QSizePolicy.Policy.Expanding if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
            page.updateGeometry()

    @Slot()
    def _on_open_warning_requested(self) -> None:
        warning = self.warnings.current_row()
        if isinstance(warning, ActionWarning):
            self.warning_activated.emit(warning)

    @Slot(object)
    def _on_warning_activated(self, warning: ActionWarning) -> None:
        self.warning_activated.emit(warning)
