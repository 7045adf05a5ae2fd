"""The main window: one job per tab, menus and shortcuts, running imports in the status bar."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTabWidget, QWidget

from core import APP_NAME, __version__
from core.domain.connection import Connection, tenant_label
from core.domain.imports import ImportRun
from core.domain.licensing import ActionWarning
from core.errors import LicenseDeskError
from desktop.data_watch import DataWatcher, WatchReading
from desktop.database_switch import DatabaseSwitch
from desktop.exporter import TableExporter
from desktop.import_status import ImportStatusPanel
from desktop.jobs import ImportRunner, JobRunner, LatestJob
from desktop.layout_store import LayoutStore
from desktop.models.connections_model import data_age
from desktop.notify import Notifier
from desktop.resources import icon, notices_text
from desktop.settings.itam_settings_tab import ItamSettingsTab
from desktop.tabs.history_tab import HistoryTab
from desktop.tabs.inventory_tab import InventoryTab
from desktop.tabs.licenses_tab import LicensesTab
from desktop.tabs.overview_tab import OverviewTab
from desktop.tabs.products_tab import ProductsTab
from desktop.tabs.users_tab import UsersTab
from desktop.theme import SETTINGS_KEY as SCHEME_KEY
from desktop.theme import Appearance, ColorScheme
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller

log = logging.getLogger(__name__)
SCHEDULE_CHECK_MS = 60_000
CLOSE_TIMEOUT_S = 10.0
DEFAULT_SIZE = QSize(1280, 800)  # every label fits at this size (spec §8)


class MainWindow(QMainWindow):
    def __init__(
        self,
        controller: Controller,
        runner: ImportRunner,
        jobs: JobRunner,
        notifier: Notifier,
        layout: LayoutStore,
        parent: QWidget | None = None,
        *,
        appearance: Appearance | None = None,
    ) -> None:
        super().__init__(parent)
        self._appearance = appearance
        self._controller = controller
        self.runner = runner
        self.jobs = jobs
        self.notifier = notifier
        self._layout = layout
        self._shown_once = False
        self.database = DatabaseSwitch(controller, jobs, notifier, self)
        self.setWindowTitle(self.database.title(APP_NAME))
        self.setObjectName("mainWindow")
        self.overview = OverviewTab(controller, jobs)
        self.licenses = LicensesTab(controller, jobs)
        self.products = ProductsTab(controller, jobs)
        self.users = UsersTab(controller, jobs)
        self.inventory = InventoryTab(controller, runner, jobs, notifier)
        self.history = HistoryTab(controller, jobs)
        self.settings_tab = ItamSettingsTab(controller, jobs, notifier)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(False)
        self.tabs.setAccessibleName("Views")
        for widget, title, icon_name in (
            (self.overview, "Overview", "overview"),
            (self.licenses, "Licenses", "licenses"),
            (self.products, "Products", "licenses"),
            (self.users, "Users", "users"),
            (self.inventory, "Inventory Systems", "inventory"),
            (self.history, "Import history", "history"),
            (self.settings_tab, "ITAM Settings", "settings"),
        ):
            self.tabs.addTab(widget, icon(icon_name), title)
        self.setCentralWidget(self.database.with_read_only_bar(self.tabs))
        self._stale: set[QWidget] = set(self._data_tabs())
        self.exporter = TableExporter(controller, jobs, notifier, self)
        self.import_panel = ImportStatusPanel(runner, self)
        self.statusBar().addPermanentWidget(self.import_panel)
        self.data_age = QLabel(self)
        self.data_age.setObjectName("dataAge")
        self.age_loader = LatestJob(jobs, "read import times", self)
        self.age_loader.succeeded.connect(self._on_import_times_read)
        self.age_loader.failed.connect(self._on_import_times_failed)
        self.statusBar().addPermanentWidget(self.data_age)
        # Changes by other processes (workers, other analysts, the CLI): polled as a job.
        self.watcher = DataWatcher(controller, jobs, self)
        self.updated = QLabel(self)
        self.updated.setObjectName("dataUpdated")
        self.statusBar().addPermanentWidget(self.updated)
        notifier.attach(self, self.statusBar())
        self._keychain_note()
        self._build_menus()
        self._connect()
        self._schedule = QTimer(self)
        self._schedule.setInterval(SCHEDULE_CHECK_MS)
        self._schedule.timeout.connect(self._on_schedule_tick)
        self.write_lock = self.database.lock_writes(self)
        self._restore_layout()
        if not layout.restore_window(self):
            self.resize(DEFAULT_SIZE)

    def _data_tabs(self) -> list[QWidget]:
        return [self.overview, self.licenses, self.products, self.users, self.inventory,
                self.history, self.settings_tab]  # fmt: skip

    def _all_panels(self) -> list[TablePanel]:
        panels = [p for tab in self._data_tabs() for p in tab.panels()]  # type: ignore[attr-defined]
        return [*panels, *self.settings_tab.prices.panels()]

    def _keychain_note(self) -> None:
        if self._controller.keychain_available:
            return
        if self._controller.keeps_secrets:  # the owner-only secrets file the user chose
            text = "No OS keychain: secrets are kept in an owner-only file"
        else:
            text = "No OS keychain: secrets are kept for this run only"
        note = QLabel(text, self)
        note.setToolTip(self._controller.keychain_description())
        self.statusBar().addPermanentWidget(note)

    # Menus and shortcuts

    def _action(self, text: str, slot: object,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon_name: str = "") -> QAction:  # fmt: skip
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action("&New connection…", self._on_new_connection, "Ctrl+N", "add")
        self.export_action = self._action("&Export table as CSV…", self._on_export, "Ctrl+E",
                                          "export")  # fmt: skip
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcuts([QKeySequence("Ctrl+Q")])
        file_menu.addActions([self.new_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self.database.action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        self.find_action = self._action("&Find…", self._on_find, "Ctrl+F", "search")
        edit_menu.addAction(self.find_action)
        import_menu = bar.addMenu("&Import")
        self.import_all_action = self._action("Import &all", self._on_import_all, "F5", "run")
        self.cancel_all_action = self._action("&Cancel all imports", self._on_cancel_all,
                                              "Ctrl+.", "cancel")  # fmt: skip
        import_menu.addActions([self.import_all_action, self.cancel_all_action])
        view_menu = bar.addMenu("&View")
        for index in range(self.tabs.count()):
            action = self._action(self.tabs.tabText(index), self._on_view_tab, f"Ctrl+{index + 1}")
            action.setData(index)
            view_menu.addAction(action)
        self._build_appearance_menu(view_menu)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action(f"&About {APP_NAME}", self._on_about))

    def _build_appearance_menu(self, view_menu: QMenu) -> None:
        """View ▸ Appearance: System, Light, Dark (remembered with the window's layout)."""
        if self._appearance is None:
            return
        view_menu.addSeparator()
        menu = view_menu.addMenu("&Appearance")
        group = QActionGroup(self)
        self.scheme_actions: dict[ColorScheme, QAction] = {}
        for choice, text in ((ColorScheme.SYSTEM, "&System"), (ColorScheme.LIGHT, "&Light"),
                             (ColorScheme.DARK, "&Dark")):  # fmt: skip
            action = self._action(text, self._on_scheme_chosen)
            action.setCheckable(True)
            action.setChecked(choice is self._appearance.choice)
            action.setData(choice.value)
            group.addAction(action)
            menu.addAction(action)
            self.scheme_actions[choice] = action

    def _connect(self) -> None:
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.runner.finished.connect(self._on_import_finished)
        self.runner.failed.connect(self._on_import_failed)
        self.runner.cancelled.connect(self._on_import_cancelled)
        self.runner.running_changed.connect(self._on_running_changed)
        self.runner.all_started.connect(self._on_all_started)
        self.inventory.connections_changed.connect(self._on_data_changed)
        self.inventory.connections_changed.connect(self._on_underlying_changed)
        self.licenses.licenses_changed.connect(self._on_data_changed)
        self.settings_tab.data_changed.connect(self._on_data_changed)
        self.settings_tab.data_changed.connect(self._on_underlying_changed)
        for own_write in (self.inventory.connections_changed, self.licenses.licenses_changed,
                          self.settings_tab.data_changed, self.runner.finished,
                          self.runner.failed, self.runner.cancelled):  # fmt: skip
            own_write.connect(self.watcher.absorb)
        self.watcher.read.connect(self._on_watch_read)
        self.watcher.read_failed.connect(self._on_watch_failed)
        self.watcher.changed.connect(self._on_changed_elsewhere)
        self.inventory.worker_queue.queued.connect(self._on_queued)
        self.inventory.welcome.team_requested.connect(self.database.open_dialog)
        self.overview.warning_activated.connect(self._on_warning_activated)
        self.products.licenses_requested.connect(self._on_product_licenses_requested)
        for panel in self._all_panels():
            panel.enable_export()
            panel.export_requested.connect(self._on_panel_export_requested)

    # Loading, lazily: a tab reads its data when it is shown and something changed

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self._on_first_shown)

    @Slot()
    def _on_first_shown(self) -> None:
        self._schedule.start()
        self.watcher.start()
        # The first tab reads at once; the import times say whether there is anything to show.
        self.reload_current()
        self.update_data_age(first=True)
        if self.tabs.currentWidget() is not self.inventory:
            # The connections are few: read now, a connection dialog (Ctrl+N) opens at once.
            self.inventory.reload()

    def reload_current(self) -> None:
        tab = self.tabs.currentWidget()
        self._stale.discard(tab)
        try:
            tab.reload()  # type: ignore[attr-defined]
        except LicenseDeskError as exc:
            self.notifier.error_from("Could not load this view", exc)

    def mark_stale(self) -> None:
        self._stale = set(self._data_tabs())
        self.reload_current()

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() in self._stale:
            self.reload_current()

    @Slot()
    def _on_data_changed(self) -> None:
        self._stale = set(self._data_tabs()) - {self.tabs.currentWidget()}

    @Slot()
    def _on_changed_elsewhere(self) -> None:
        """Another process changed data: the visible tab reads again through its usual job,
        the others when shown, and open dialogs read their license or connection again
        (keeping unsaved input). A settings form being edited is not read over."""
        self._stale = set(self._data_tabs())
        if self.tabs.currentWidget() is not self.settings_tab:
            self.reload_current()
        self._on_underlying_changed()

    @Slot(object)
    def _on_watch_read(self, reading: WatchReading) -> None:
        self.updated.setText(f"Updated {reading.read_at:%H:%M:%S}")
        self.updated.setToolTip(
            "Checked for changes by workers, other analysts and the command line every few "
            "seconds; a change reloads the view."
        )
        self.inventory.show_watch(reading.worker_imports, reading.imports_on_workers)
        self.import_panel.show_worker_imports(reading.worker_imports)

    @Slot(object)
    def _on_watch_failed(self, exc: BaseException) -> None:
        self.updated.setToolTip(f"Could not check for changes: {exc}")

    @Slot(object)
    def _on_queued(self, requests: list[object]) -> None:
        if requests:
            self.notifier.status("Queued for the workers")
        else:
            self.notifier.status("There is no connection to import yet.")
        self.watcher.absorb()

    @Slot()
    def _on_underlying_changed(self) -> None:
        """Licenses or connections changed: open dialogs show what they are now."""
        self.licenses.refresh_dialogs()
        self.inventory.check_dialog()
        self.update_data_age()

    def update_data_age(self, *, first: bool = False) -> None:
        """The status bar says when the data shown was imported (last successful imports);
        read on a worker thread. On the first show, no connection yet opens Inventory."""
        self.age_loader.run(functools.partial(_import_times, self._controller, first))

    @Slot(object)
    def _on_import_times_read(
        self, result: tuple[list[Connection], dict[int, datetime], bool]
    ) -> None:
        connections, last, first = result
        text, tip = data_age(connections, last)
        self.data_age.setText(text)
        self.data_age.setToolTip(tip)
        if first and not connections and self.tabs.currentWidget() is self.overview:
            self.tabs.setCurrentWidget(self.inventory)

    @Slot(object)
    def _on_import_times_failed(self, exc: BaseException) -> None:
        log.warning("could not read the import times: %r", exc)

    # Imports

    @property
    def reopen_requested(self) -> bool:
        """Closed to open again on another database (File ▸ Team database)."""
        return self.database.reopen_requested

    def add_demo(self) -> None:
        """--demo: add the demo tenants (once) and import them."""
        self.inventory.add_demo_tenants()

    @Slot(object)
    def _on_import_finished(self, run: ImportRun) -> None:
        self.notifier.status(
            f"Imported {tenant_label(run.connection_name, run.simulated)}: "
            f"{run.counts.users:,} users, "
            f"{run.counts.skus:,} SKUs ({run.status.value})."
        )
        self.mark_stale()
        self._on_underlying_changed()

    @Slot(int, str, str)
    def _on_import_failed(self, connection_id: int, message: str, _detail: str) -> None:
        name = self.runner.name_of(connection_id) or "The import"
        self.notifier.status(
            f"{name} failed: {message} The data shown is from its last successful import; "
            "see Import history.",
            15000,
        )
        self.update_data_age()
        self._stale |= {self.inventory, self.history, self.overview}
        if self.tabs.currentWidget() in self._stale:
            self.reload_current()

    @Slot(int)
    def _on_import_cancelled(self, _connection_id: int) -> None:
        self.notifier.status("Import cancelled; the previous data is kept.")
        self.update_data_age()
        self._stale |= {self.inventory, self.history}
        if self.tabs.currentWidget() in self._stale:
            self.reload_current()

    @Slot()
    def _on_running_changed(self) -> None:
        self.cancel_all_action.setEnabled(bool(self.runner.running_ids()))

    @Slot()
    def _on_schedule_tick(self) -> None:
        # With imports on the headless workers, the workers run the schedules; nothing can
        # be imported into a read-only store.
        if not self.inventory.imports_on_workers and not self.database.opened.read_only:
            self.runner.start_due()

    @Slot()
    def _on_import_all(self) -> None:
        self.inventory.execute(None)

    @Slot(int)
    def _on_all_started(self, count: int) -> None:
        if count == 0 and not self.runner.running_ids():
            self.notifier.status("There is no connection to import yet.")

    @Slot()
    def _on_cancel_all(self) -> None:
        self.runner.cancel_all()

    # Other actions

    @Slot()
    def _on_new_connection(self) -> None:
        self.tabs.setCurrentWidget(self.inventory)
        self.inventory.open_new_dialog()

    def current_panel(self) -> TablePanel | None:
        tab = self.tabs.currentWidget()
        panels: list[TablePanel] = tab.panels()  # type: ignore[attr-defined]
        focused = next((p for p in panels if p.isAncestorOf(self.focusWidget())), None)
        return focused or (panels[0] if panels else None)

    @Slot()
    def _on_export(self) -> None:
        panel = self.current_panel()
        if panel is None:
            self.notifier.status("This view has no table to export.")
            return
        self.exporter.export(panel, self.tabs.tabText(self.tabs.currentIndex()))

    @Slot()
    def _on_panel_export_requested(self) -> None:
        panel = self.sender()
        if isinstance(panel, TablePanel):
            tab = next((t for t in self._data_tabs() if t.isAncestorOf(panel)), None)
            title = self.tabs.tabText(self.tabs.indexOf(tab)) if tab is not None else ""
            self.exporter.export(panel, title)

    @Slot()
    def _on_find(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.focus_search()

    @Slot()
    def _on_view_tab(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.tabs.setCurrentIndex(int(action.data()))

    @Slot()
    def _on_scheme_chosen(self) -> None:
        action = self.sender()
        if isinstance(action, QAction) and self._appearance is not None:
            choice = ColorScheme(str(action.data()))
            self._appearance.set_choice(choice)
            self._layout.set_value(SCHEME_KEY, choice.value)

    @Slot(object)
    def _on_warning_activated(self, warning: ActionWarning) -> None:
        if warning.license_id is not None:
            self.tabs.setCurrentWidget(self.licenses)
            self.licenses.open_properties(warning.license_id)
        elif warning.connection_id is not None:
            self.tabs.setCurrentWidget(self.inventory)

    @Slot(str)
    def _on_product_licenses_requested(self, product: str) -> None:
        self.tabs.setCurrentWidget(self.licenses)
        self.licenses.panel.search.setText(product)

    @Slot()
    def _on_about(self) -> None:
        self.notifier.info(
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\n"
            "Microsoft 365 license status, compliance and waste across tenants.\n\n"
            "It ships open-source components (Qt and PySide6 under the LGPL-3.0): "
            "Show Details lists them with their licences.",
            notices_text(),
        )

    # Layout and closing

    def _restore_layout(self) -> None:
        for panel in self._all_panels():
            if self._layout.restore_header(panel.name, panel.view.horizontalHeader()):
                panel.reapply_sort()  # the restored arrow, and rows in its order

    def _save_layout(self) -> None:
        self._layout.save_window(self)
        for panel in self._all_panels():
            self._layout.save_header(panel.name, panel.view.horizontalHeader())
        self._layout.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.runner.running_ids()
        if running:
            names = ", ".join(self.runner.name_of(i) for i in running)
            question = f"Imports are running ({names}). Cancel them and quit?"
            if not self.notifier.confirm("Quit", question, ok_text="Cancel imports and quit"):
                event.ignore()
                return
            if not self.runner.shutdown(CLOSE_TIMEOUT_S):
                log.warning("closing with imports still stopping")
        self.watcher.stop()
        self.jobs.shutdown(2.0)
        self._schedule.stop()
        self._save_layout()
        event.accept()
        super().closeEvent(event)


def _import_times(
    controller: Controller, first: bool, _token: object
) -> tuple[list[Connection], dict[int, datetime], bool]:
    return controller.list_connections(), controller.last_successful_imports(), first
