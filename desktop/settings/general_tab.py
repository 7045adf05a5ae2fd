"""ITAM Settings > General: beacon version, inactivity, currency, snapshots kept, where
imports run."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.domain.beacon import BEACON_RELEASES
from core.domain.settings import (
    CURRENCY_RELABEL_NOTE,
    INACTIVE_DAY_CHOICES,
    RUN_IN_WINDOW,
    RUN_ON_WORKERS,
    AppSettings,
)
from desktop.dialogs.field_editors import Caption
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage, restyle

if TYPE_CHECKING:
    from core.controller import Controller

RUN_ON_NOTE = (
    "Execute now and Import all: run the import in this window, or queue it for the headless "
    "workers (licensedesk-cli worker) that share this database."
)
VERSION_NOTE = (
    "The beacon version decides which source types and fields the Create PowerShell Source "
    "Connection dialog offers. Existing connections keep working when it changes."
)


class GeneralSettingsTab(QWidget):
    """Signals: settings_changed(): saved settings that change figures or the dialog."""

    settings_changed = Signal()

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        # Reading and saving run on worker threads: saving the inactivity settings stores
        # every holder statistic again (about a second at 100,000 users).
        self.loader = LatestJob(jobs, "load settings", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.saver = LatestJob(jobs, "save settings", self)
        self.saver.succeeded.connect(self._on_saved)
        self.saver.failed.connect(self._on_failed)
        self.saver.busy_changed.connect(self._on_saving_changed)
        self.beacon_version = QComboBox(self)
        self.beacon_version.setEditable(True)
        for version in reversed(BEACON_RELEASES):
            self.beacon_version.addItem(str(version))
        self.inactive_days = QComboBox(self)
        for days in INACTIVE_DAY_CHOICES:
            self.inactive_days.addItem(f"{days} days", str(days))
        self.min_age = QSpinBox(self)
        self.min_age.setRange(0, 3650)
        self.min_age.setSuffix(" days")
        self.currency = QLineEdit(self)
        self.currency.setMaxLength(3)
        self.snapshots = QSpinBox(self)
        self.snapshots.setRange(1, 1000)
        self.run_imports_on = QComboBox(self)
        self.run_imports_on.addItem("In this window", RUN_IN_WINDOW)
        self.run_imports_on.addItem("On headless workers", RUN_ON_WORKERS)
        self.keychain = QLabel(self)
        self.keychain.setWordWrap(True)
        self.save_button = QPushButton("Save settings", self)
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.message = InlineMessage(self)
        self.errors: dict[str, Caption] = {}
        self._loading = False
        self._lay_out()
        # "Settings saved." is true only until the form is edited again.
        self.beacon_version.currentTextChanged.connect(self._on_form_edited)
        self.inactive_days.currentIndexChanged.connect(self._on_form_edited)
        self.min_age.valueChanged.connect(self._on_form_edited)
        self.currency.textEdited.connect(self._on_form_edited)
        self.snapshots.valueChanged.connect(self._on_form_edited)
        self.run_imports_on.currentIndexChanged.connect(self._on_form_edited)

    def _editors(self) -> dict[str, tuple[str, QWidget, str]]:
        return {
            "beacon_version": ("Inventory beacon version", self.beacon_version, VERSION_NOTE),
            "inactive_days": ("Inactive after", self.inactive_days,
                              "A licensed user with no activity for this long is inactive."),
            "min_assignment_age_days": ("New-hire window", self.min_age,
                                        "Licenses assigned more recently are never inactive."),
            "currency": ("Currency", self.currency,
                         f"Three-letter ISO code, e.g. USD or EUR. {CURRENCY_RELABEL_NOTE}"),
            "snapshots_kept": ("Snapshots kept per connection", self.snapshots,
                               "Older imports are kept for trends up to this number."),
            "run_imports_on": ("Run imports", self.run_imports_on, RUN_ON_NOTE),
        }  # fmt: skip

    def _lay_out(self) -> None:
        form = QFormLayout()
        for key, (label, editor, help_text) in self._editors().items():
            holder = QWidget(self)
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(editor)
            error = Caption("fieldError", holder)
            help_label = Caption("fieldHelp", holder)
            help_label.show_text(help_text)
            editor.setAccessibleName(label)
            editor.setAccessibleDescription(help_text)
            column.addWidget(error)
            column.addWidget(help_label)
            self.errors[key] = error
            form.addRow(label, holder)
        form.addRow("Secrets are kept in", self.keychain)
        body = QWidget(self)
        body.setMaximumWidth(760)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(body)
        layout.addStretch(1)

    def reload(self) -> Job:
        """Read the settings on a worker thread; the form shows them when they come."""
        return self.loader.run(functools.partial(_load, self._controller))

    @Slot(object)
    def _on_loaded(self, result: tuple[AppSettings, str]) -> None:
        self._loading = True
        try:
            self._show(*result)
        finally:
            self._loading = False

    def _show(self, settings: AppSettings, keychain: str) -> None:
        self.beacon_version.setCurrentText(settings.effective_beacon_version())
        self.inactive_days.setCurrentIndex(
            max(0, self.inactive_days.findData(str(settings.inactive_days)))
        )
        self.min_age.setValue(settings.min_assignment_age_days)
        self.currency.setText(settings.currency)
        self.snapshots.setValue(settings.snapshots_kept)
        self.run_imports_on.setCurrentIndex(
            max(0, self.run_imports_on.findData(settings.run_imports_on))
        )
        self.keychain.setText(html.escape(keychain))
        for key in self.errors:
            self._show_error(key, "")

    def values(self) -> dict[str, str]:
        return {
            "beacon_version": self.beacon_version.currentText().strip(),
            "inactive_days": str(self.inactive_days.currentData()),
            "min_assignment_age_days": str(self.min_age.value()),
            "currency": self.currency.text().strip(),
            "snapshots_kept": str(self.snapshots.value()),
            "run_imports_on": str(self.run_imports_on.currentData()),
        }

    def _show_error(self, key: str, message: str) -> None:
        self.errors[key].show_text(message)
        editor = self._editors()[key][1]
        if bool(editor.property("invalid")) != bool(message):
            editor.setProperty("invalid", bool(message))
            restyle(editor)

    @Slot()
    def _on_form_edited(self) -> None:
        if not self._loading and self.message.level == "ok":
            self.message.clear()

    @Slot()
    def _on_save_clicked(self) -> None:
        self.save()

    def save(self) -> Job:
        """Save the settings that changed on a worker thread; the button waits meanwhile and
        each invalid one is named below its field (the valid ones are saved)."""
        self.message.show_message("info", "Saving the settings…")
        return self.saver.run(functools.partial(_save, self._controller, self.values()))

    @Slot(object)
    def _on_saved(self, errors: dict[str, str]) -> None:
        for key in self.errors:
            self._show_error(key, errors.get(key, ""))
        if errors:  # what was typed stays, to be corrected
            self.message.show_message("error", "Some settings were not saved; see above.")
            return
        self.message.show_message("ok", "Settings saved.")
        self.reload()
        self.settings_changed.emit()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"The settings were not saved: {html.escape(message)}", detail
        )

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"Could not read the settings: {html.escape(message)}", detail
        )

    @Slot(bool)
    def _on_saving_changed(self, saving: bool) -> None:
        self.save_button.setEnabled(not saving)
        self.save_button.setText("Saving…" if saving else "Save settings")


def _load(controller: Controller, _token: object) -> tuple[AppSettings, str]:
    return controller.settings(), controller.keychain_description()


def _save(controller: Controller, values: dict[str, str], _token: object) -> dict[str, str]:
    return controller.update_settings(values)
