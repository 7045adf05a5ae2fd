"""ITAM Settings > Integrations: the SaaS Management connector (spec §6)."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.domain.saas import SAAS_RULE, SaasResult, SaasStatus, SaasZone, SwitchCounts
from core.errors import ValidationError
from desktop import formatting
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.notify import Notifier, describe_error
from desktop.resources import icon
from desktop.widgets.inline_message import InlineMessage, restyle

if TYPE_CHECKING:
    from core.controller import Controller

ZONES = (
    (SaasZone.NAM, "NAM (North America)"),
    (SaasZone.EU, "EU (Europe)"),
    (SaasZone.APAC, "APAC (Asia Pacific)"),
    (SaasZone.CUSTOM, "Custom"),
)


def result_html(result: SaasResult) -> tuple[str, str]:
    when = f" ({formatting.when(result.when)})" if result.when else ""
    text = html.escape(result.message) + when
    if result.ok and (result.apps or result.licenses):
        text += (
            f"<br>{result.apps:,} Microsoft apps, {result.licenses:,} licenses, "
            f"{result.app_users:,} app users."
        )
    return ("ok" if result.ok else "error"), text


class IntegrationsTab(QWidget):
    """Signals: licenses_changed(): enabling, disabling or importing changed licenses."""

    licenses_changed = Signal()

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs
        self._notifier = notifier
        self.status: SaasStatus | None = None
        self.job: Job | None = None
        self.loader = LatestJob(jobs, "load saas status", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        # Saving the settings, previewing and flipping the switch: one write at a time.
        self.writer = LatestJob(jobs, "saas change", self)
        self.writer.failed.connect(self._on_failed)
        self.writer.busy_changed.connect(self._on_writing_changed)
        self.rule = QLabel(SAAS_RULE, self)
        self.rule.setObjectName("explanation")
        self.rule.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.state.setObjectName("sectionTitle")
        self.enable_button = QPushButton(self)
        self.enable_button.setProperty("primary", True)
        self.enable_button.clicked.connect(self._on_enable_clicked)
        self.zone = QComboBox(self)
        for zone, label in ZONES:
            self.zone.addItem(label, zone.value)
        self.zone.currentIndexChanged.connect(self._on_zone_changed)
        self.token_url = QLineEdit(self)
        self.token_url.setPlaceholderText("https://login.flexera.com/oidc/token")
        self.api_url = QLineEdit(self)
        self.api_url.setPlaceholderText("https://api.flexera.com")
        self.org_id = QLineEdit(self)
        self.org_id.setPlaceholderText("Numeric Flexera One organization ID")
        self.refresh_token = QLineEdit(self)
        self.refresh_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.save_button = QPushButton("Save", self)
        self.demo_button = QPushButton(icon("simulated"), "Use the demo organization", self)
        self.demo_button.setToolTip(
            "Point the connector at the simulated Flexera One organization of the demo tenants."
        )
        self.demo_button.clicked.connect(self._on_demo_clicked)
        self.test_button = QPushButton(icon("test"), "Test connection", self)
        self.import_button = QPushButton(icon("run"), "Import now", self)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.test_button.clicked.connect(self._on_test_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.message = InlineMessage(self)
        self.last_result = InlineMessage(self)
        self.editors: dict[str, QWidget] = {
            "zone": self.zone,
            "token_url": self.token_url,
            "api_url": self.api_url,
            "org_id": self.org_id,
            "refresh_token": self.refresh_token,
        }
        self._lay_out()

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        self.form.addRow("Zone", self.zone)
        self.form.addRow("Token URL", self.token_url)
        self.form.addRow("API URL", self.api_url)
        self.form.addRow("Organization ID", self.org_id)
        self.form.addRow("API refresh token", self.refresh_token)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.test_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.demo_button)
        settings = QGroupBox("Connection to Flexera One", self)
        settings_layout = QVBoxLayout(settings)
        settings_layout.addLayout(self.form)
        settings_layout.addLayout(buttons)
        settings_layout.addWidget(self.message)
        top = QHBoxLayout()
        top.addWidget(self.state, 1)
        top.addWidget(self.enable_button)
        box = QGroupBox("SaaS Management connector", self)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(self.rule)
        box_layout.addLayout(top)
        box_layout.addWidget(settings)
        result_title = QLabel("Last import", self)
        result_title.setObjectName("sectionTitle")
        box_layout.addWidget(result_title)
        box_layout.addWidget(self.last_result)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)

    # Loading

    def reload(self) -> Job:
        """Read the connector's state on a worker thread; the form shows it when it comes."""
        return self.loader.run(functools.partial(_status, self._controller))

    @Slot(object)
    def _on_loaded(self, status: SaasStatus) -> None:
        self.status = status
        config = self.status.config
        self.zone.setCurrentIndex(max(0, self.zone.findData(config.zone.value)))
        self.token_url.setText(config.token_url if config.zone is SaasZone.CUSTOM else "")
        self.api_url.setText(config.api_url if config.zone is SaasZone.CUSTOM else "")
        self.org_id.setText(config.org_id)
        self.refresh_token.clear()
        self.refresh_token.setPlaceholderText(
            "Kept in the keychain; type to replace" if config.has_refresh_token else ""
        )
        self._show_state(self.status)
        if config.last_result is not None:
            self.last_result.show_message(*result_html(config.last_result))
        else:
            self.last_result.show_message("info", "The connector has not imported yet.")
        self._on_zone_changed()

    def _show_state(self, status: SaasStatus) -> None:
        simulated = " Simulated demo organization." if status.config.simulated else ""
        if status.config.enabled:
            self.state.setText(
                f"Enabled. It holds {status.retired_by_connector:,} Office 365 connector "
                f"licenses Retired; {status.saas_licenses:,} licenses come from SaaS Management."
                + simulated
            )
            self.enable_button.setText("Disable the connector…")
        else:
            held = (
                f" Its {status.saas_licenses:,} licenses are held Retired meanwhile."
                if status.saas_licenses
                else ""
            )
            self.state.setText(
                f"Disabled. Enabling it now retires {status.would_retire:,} licenses created by "
                "the Office 365 connectors." + held + simulated
            )
            self.enable_button.setText("Enable the connector…")
        running = (self.job is not None and self.job.running) or self.writer.busy
        self.enable_button.setEnabled(not running)
        self.test_button.setEnabled(not running)
        self.save_button.setEnabled(not self.writer.busy)
        self.demo_button.setEnabled(not self.writer.busy)
        ready = status.config.enabled and status.config.configured
        self.import_button.setEnabled(not running and ready)
        self.import_button.setToolTip("" if ready else "Enable the connector to import.")

    # Enabling

    @Slot()
    def _on_enable_clicked(self) -> None:
        """Count what the switch would change (a worker thread), then ask."""
        self.message.show_message("info", "Counting the licenses the switch changes…")
        job = self.writer.run(functools.partial(_preview, self._controller))
        job.succeeded.connect(self._on_preview_counted)

    @Slot(object)
    def _on_preview_counted(self, result: tuple[bool, SwitchCounts]) -> None:
        enable, counts = result
        self.message.clear()
        verb = "Enable" if enable else "Disable"
        question = (
            f"{SAAS_RULE}\n\n{verb[:-1]}ing the connector now changes: {counts.describe()}. "
            f"{verb} it?"
        )
        if self._notifier.confirm(f"{verb} SaaS Management", question, ok_text=verb):
            self.set_enabled(enable)

    def set_enabled(self, enabled: bool) -> Job:
        """Flip the switch on a worker thread; the buttons wait meanwhile."""
        verb = "Enabling" if enabled else "Disabling"
        self.message.show_message("info", f"{verb} the connector…")
        job = self.writer.run(functools.partial(_switch, self._controller, enabled))
        job.succeeded.connect(functools.partial(self._on_switched, enabled))
        return job

    def _on_switched(self, enabled: bool, changed: SwitchCounts) -> None:
        self.message.clear()
        state = "enabled" if enabled else "disabled"
        self._notifier.status(f"SaaS Management connector {state}: {changed.describe()}.")
        self.reload()
        self.licenses_changed.emit()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self._mark_invalid(exc.errors)
            text = "<br>".join(html.escape(m) for m in exc.errors.values())
            self.message.show_message("error", text)
            return
        message, detail = describe_error(exc)
        self.message.show_message("error", html.escape(message), detail)

    @Slot(bool)
    def _on_writing_changed(self, _busy: bool) -> None:
        if self.status is not None:
            self._show_state(self.status)

    # Settings, test and import

    @Slot()
    def _on_zone_changed(self) -> None:
        custom = self.zone.currentData() == SaasZone.CUSTOM.value
        self.form.setRowVisible(self.token_url, custom)
        self.form.setRowVisible(self.api_url, custom)

    def save(self, *, simulated: bool = False, then_test: bool = False) -> Job:
        """Save the settings (the database and the keychain) on a worker thread; a refusal
        marks its fields and the form keeps what was typed. `then_test`: test once saved."""
        self._mark_invalid({})
        self.message.show_message("info", "Saving…")
        call = functools.partial(
            _configure,
            self._controller,
            SaasZone(self.zone.currentData()),
            self.org_id.text().strip(),
            self.refresh_token.text() or None,
            self.token_url.text().strip(),
            self.api_url.text().strip(),
            simulated,
        )
        job = self.writer.run(call)
        job.succeeded.connect(functools.partial(self._on_saved, simulated, then_test))
        return job

    def _on_saved(self, simulated: bool, then_test: bool, _result: object) -> None:
        where = "" if simulated else " The refresh token is in the keychain."
        self.message.show_message("ok", "Saved." + where)
        self.reload()
        if then_test:
            self._run("test", functools.partial(_call, self._controller.test_saas))

    def _mark_invalid(self, errors: dict[str, str]) -> None:
        for name, editor in self.editors.items():
            invalid = name in errors
            if bool(editor.property("invalid")) != invalid:
                editor.setProperty("invalid", invalid)
                restyle(editor)
            editor.setToolTip(errors.get(name, ""))

    @Slot()
    def _on_save_clicked(self) -> None:
        self.save()

    @Slot()
    def _on_demo_clicked(self) -> None:
        self.save(simulated=True)

    @Slot()
    def _on_test_clicked(self) -> None:
        self.save(then_test=True)

    @Slot()
    def _on_import_clicked(self) -> None:
        self._run("import", functools.partial(_call, self._controller.import_saas))

    def _run(self, what: str, call: Any) -> Job:
        self.message.show_message("info", "Testing…" if what == "test" else "Importing…")
        self.job = self._jobs.run(f"saas {what}", call)
        self.job.setProperty("what", what)
        self.job.succeeded.connect(self._on_job_succeeded)
        self.job.failed.connect(self._on_job_failed)
        self.job.completed.connect(self._on_job_completed)
        if self.status is not None:
            self._show_state(self.status)
        return self.job

    @Slot(object)
    def _on_job_succeeded(self, result: SaasResult) -> None:
        self.message.show_message(*result_html(result))
        if self.job is not None and self.job.property("what") == "import":
            self.licenses_changed.emit()

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message("error", html.escape(message), detail)

    @Slot()
    def _on_job_completed(self) -> None:
        self.reload()


def _call(method: Any, _token: object) -> SaasResult:
    return method()  # type: ignore[no-any-return]


def _status(controller: Controller, _token: object) -> SaasStatus:
    return controller.saas_status()


def _preview(controller: Controller, _token: object) -> tuple[bool, SwitchCounts]:
    enable = not controller.saas_status().config.enabled
    return enable, controller.saas_switch_preview(enable)


def _switch(controller: Controller, enabled: bool, _token: object) -> SwitchCounts:
    return controller.set_saas_enabled(enabled)


def _configure(
    controller: Controller,
    zone: SaasZone,
    org_id: str,
    refresh_token: str | None,
    token_url: str,
    api_url: str,
    simulated: bool,
    _token: object,
) -> object:
    return controller.configure_saas(zone, org_id, refresh_token, token_url, api_url, simulated)
