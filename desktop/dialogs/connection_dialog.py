"""The Create PowerShell Source Connection dialog (spec §2–§3).

It returns a ConnectionDraft through `submitted` and never saves: the caller saves, then calls
`accept()`, or `show_save_error()` to keep the dialog open with the problem shown inline.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.controller import admin_consent_steps
from core.domain.beacon import BeaconVersion
from core.domain.connection import AuthMethod, Connection, ConnectionDraft, ConnectionTestReport
from core.errors import AuthError, LicenseDeskError, ValidationError
from desktop.dialogs.connection_form import ConnectionForm
from desktop.dialogs.report_view import PermissionReportView
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage, restyle

if TYPE_CHECKING:
    from core.controller import Controller, SignInResult

_URL_RE = re.compile(r"https://[^\s<>\"]+")


def linkify(text: str) -> str:
    """Escape `text` and turn its https addresses into links."""
    escaped = html.escape(text)
    return _URL_RE.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped)


def consent_html(message: str, consent_url: str | None, steps: str = "") -> str:
    """The message with the admin-consent link and, if given, what the admin will see."""
    text = linkify(message)
    if consent_url:
        link = html.escape(consent_url, quote=True)
        text += f' <a href="{link}">Open the admin-consent page</a>'
        if steps:
            text += f"<br>{html.escape(steps)}"
    return text


class ConnectionDialog(QDialog):
    """Signals: submitted(object): OK with a valid ConnectionDraft."""

    submitted = Signal(object)
    _code_received = Signal(str)

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        *,
        version: BeaconVersion,
        existing: Sequence[Connection] = (),
        draft: ConnectionDraft | None = None,
        editing_id: int | None = None,
        browse: Callable[[str], str | None] | None = None,
        confirm_discard: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`confirm_discard` asks the user whether to drop the changes typed in (Cancel,
        Escape or closing a changed form); without it the changes are dropped. `version` and
        `existing` (the saved connections, for unique names) are read once by the opener: the
        form validates every edit on them, without the database."""
        super().__init__(parent)
        self._version = version
        self._existing = list(existing)
        self.stored_loader = LatestJob(jobs, "read connection", self)
        self.stored_loader.succeeded.connect(self.notice_stored)
        self.stored_loader.failed.connect(self._on_stored_read_failed)
        self._confirm_discard = confirm_discard
        self._controller = controller
        self._jobs = jobs
        self.editing_id = editing_id
        self.result_draft: ConnectionDraft | None = None
        self.errors: dict[str, str] = {}
        self.last_report: ConnectionTestReport | None = None
        self.test_job: Job | None = None
        self.sign_in_job: Job | None = None
        self._revealed = False
        self._auth_error: tuple[str, str] | None = None
        verb = "Edit" if editing_id is not None else "Create"
        self.setWindowTitle(f"{verb} PowerShell Source Connection")
        self.setObjectName("connectionDialog")
        self.form = ConnectionForm(
            controller, version, editing=editing_id is not None, browse=browse
        )
        self._build(draft)
        self.form.load(draft or ConnectionDraft(name=""))
        # What the dialog opened with: the stored connection (to notice changes made
        # elsewhere) and the form's first draft (to ask before discarding edits).
        self._stored = draft
        self._initial = self.form.draft()
        self._gone = False
        self.form.changed.connect(self._on_form_changed)
        self._code_received.connect(self._on_code_received, Qt.ConnectionType.QueuedConnection)
        self._validate()

    # Building

    def _build(self, draft: ConnectionDraft | None) -> None:
        self.simulated_label = QLabel(self)
        self.simulated_label.setObjectName("simulatedLabel")
        self.simulated_label.setWordWrap(True)
        simulated = draft is not None and draft.is_simulated
        self.simulated_label.setText(
            f"Simulated tenant “{draft.simulated_tenant}”: demo data served by the built-in "
            "simulator, no Microsoft account is used."
            if simulated and draft
            else ""
        )
        self.simulated_label.setVisible(simulated)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setObjectName("formScroll")
        scroll.setAccessibleName("Connection settings")
        # Focus starts in the first field, not on the scroll area (it scrolls to the field
        # that has focus).
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sign_in_button = QPushButton("Sign in…", self)
        self.cancel_sign_in_button = QPushButton("Cancel sign-in", self)
        self.cancel_sign_in_button.hide()
        self.sign_in_message = InlineMessage(self)
        self.test_button = QPushButton("Test connection", self)
        self.report_view = PermissionReportView(self)
        self.save_error = InlineMessage(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("formSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.linkActivated.connect(self._on_reveal_requested)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.rejected.connect(self.reject)
        self.ok_button.clicked.connect(self._on_ok_clicked)
        self.sign_in_button.clicked.connect(self._on_sign_in_clicked)
        self.cancel_sign_in_button.clicked.connect(self._on_cancel_sign_in_clicked)
        self.test_button.clicked.connect(self._on_test_clicked)
        self._lay_out(scroll)

    def _lay_out(self, scroll: QScrollArea) -> None:
        actions = QHBoxLayout()
        actions.addWidget(self.sign_in_button)
        actions.addWidget(self.cancel_sign_in_button)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.simulated_label)
        layout.addWidget(scroll, 1)
        layout.addLayout(actions)
        layout.addWidget(self.sign_in_message)
        layout.addWidget(self.report_view)
        layout.addWidget(self.save_error)
        layout.addLayout(bottom)
        # Wide enough for a field's message on one line (its reserved line), and short
        # enough for a 1280×800 screen; wider with a larger font, so the form never needs
        # to scroll sideways.
        needed = self.form.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        width = max(800, needed + 2 * layout.contentsMargins().left() + 8)
        self.resize(width, 720)

    # Validation

    def draft(self) -> ConnectionDraft:
        return self.form.draft()

    def set_existing(self, existing: Sequence[Connection]) -> None:
        """The saved connections as read again (names must stay unique): validate on them."""
        if list(existing) != self._existing:
            self._existing = list(existing)
            self._validate()

    def _validate(self) -> None:
        draft = self.form.draft()
        self.errors = self._controller.validate_draft(
            draft, version=self._version, existing=self._existing, editing_id=self.editing_id
        )
        hidden = self.form.show_errors(self.errors, reveal_all=self._revealed)
        if self._auth_error is not None and self.form.is_visible_field(self._auth_error[0]):
            self.form.rows[self._auth_error[0]].set_message(self._auth_error[1], show=True)
        self.ok_button.setEnabled(not self.errors and not self._gone)
        self._update_summary(hidden)
        self._update_actions(draft)

    def _update_summary(self, hidden: dict[str, str]) -> None:
        touched = any(self.form.rows[name].touched for name in self.form.visible_fields())
        calm = bool(self.errors) and not touched and not self._revealed
        if bool(self.summary.property("calm")) != calm:
            self.summary.setProperty("calm", calm)
            restyle(self.summary)
        if not self.errors:
            self.summary.clear()
        elif not touched and not self._revealed:
            # Nothing typed yet: no alarm, only what to do.
            self.summary.setText("Fill in the fields marked * to continue.")
        elif hidden and self._revealed:
            self.summary.setText(html.escape(" ".join(hidden.values())))
        elif self._revealed:
            self.summary.setText("Fix the fields marked in red to continue.")
        else:
            count = len(self.errors)
            noun = "field needs" if count == 1 else "fields need"
            self.summary.setText(f'{count} {noun} attention. <a href="reveal">Show</a>')

    def _update_actions(self, draft: ConnectionDraft) -> None:
        multi = draft.method is AuthMethod.MULTI_TENANT and not draft.is_simulated
        signing_in = self.sign_in_job is not None and self.sign_in_job.running
        testing = self.test_job is not None and self.test_job.running
        self.sign_in_button.setVisible(multi and not signing_in)
        self.sign_in_button.setEnabled("name" not in self.errors)
        self.sign_in_button.setToolTip("" if "name" not in self.errors else "Name it first.")
        self.cancel_sign_in_button.setVisible(signing_in)
        self.test_button.setEnabled(not testing and not signing_in and not self.errors)

    @Slot()
    def _on_form_changed(self) -> None:
        self._auth_error = None
        if not self._gone:
            self.save_error.clear()
        self._validate()

    @Slot(str)
    def _on_reveal_requested(self, _link: str) -> None:
        self._reveal()

    def _reveal(self) -> None:
        self._revealed = True
        self.form.touch_all()
        self._validate()

    # The connection underneath

    def check_stored(self) -> None:
        """Read the stored connection again (on a worker thread) and say so if it changed
        or went away."""
        if self.editing_id is None or self._gone:
            return
        self.stored_loader.run(functools.partial(_read_stored, self._controller, self.editing_id))

    @Slot(object)
    def _on_stored_read_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LicenseDeskError):
            self.notice_stored(None)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Coming back to the dialog (e.g. from a terminal where the CLI changed it).
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.check_stored()

    @Slot(object)
    def notice_stored(self, current: ConnectionDraft | None) -> None:
        """The stored connection as it is now (None: deleted) while this dialog edits it."""
        if self.editing_id is None:
            return
        if current is None:
            self._gone = True
            self.ok_button.setEnabled(False)
            self.save_error.show_message(
                "error",
                "This connection was deleted while you were editing it; there is nothing left "
                "to save. Close the dialog, or create it again with New.",
            )
        elif current != self._stored:
            self._stored = current
            self.save_error.show_message(
                "warning",
                "This connection was changed elsewhere (another window or the command line) "
                "since you opened it. OK saves what this form shows, replacing those changes.",
            )

    # OK and saving

    @Slot()
    def _on_ok_clicked(self) -> None:
        self._reveal()
        if self.errors or self._gone:
            return
        self.result_draft = self.form.draft()
        self.submitted.emit(self.result_draft)

    def show_save_error(self, exc: BaseException) -> None:
        """Show why saving failed next to the field it names, keeping the dialog open."""
        if isinstance(exc, ValidationError):
            self.errors = dict(exc.errors)
            self.form.touch_all()
            hidden = self.form.show_errors(exc.errors, reveal_all=True)
            if hidden:
                self.save_error.show_message("error", html.escape(" ".join(hidden.values())))
            self.ok_button.setEnabled(False)
            return
        message, detail = describe_error(exc)
        field = getattr(exc, "field", None)
        if field and self.form.is_visible_field(field):
            self.form.rows[field].set_message(message, show=True)
        self.save_error.show_message(
            "error", f"The connection was not saved: {html.escape(message)}", detail
        )

    # Test connection

    @Slot()
    def _on_test_clicked(self) -> None:
        self.start_test()

    def start_test(self) -> Job:
        draft = self.form.draft()
        call = functools.partial(self._run_test, self._controller, draft, self.editing_id)
        self.report_view.show_running("Testing the connection…")
        self._auth_error = None
        self.test_job = self._jobs.run("test connection", call)
        self.test_job.succeeded.connect(self._on_test_succeeded)
        self.test_job.failed.connect(self._on_test_failed)
        self.test_job.completed.connect(self._on_job_completed)
        self._update_actions(draft)
        return self.test_job

    @staticmethod
    def _run_test(
        controller: Controller, draft: ConnectionDraft, editing_id: int | None, _token: object
    ) -> ConnectionTestReport:
        return controller.test_connection(draft, editing_id=editing_id)

    @Slot(object)
    def _on_test_succeeded(self, report: ConnectionTestReport) -> None:
        self.last_report = report
        self.report_view.show_report(report)
        if report.error is not None:
            self._show_auth_problem(report.error, report.error_field, report.consent_url, "")
        elif report.tenant_id:
            self._fill_tenant(report.tenant_id)

    @Slot(object)
    def _on_test_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        consent = exc.consent_url if isinstance(exc, AuthError) else None
        field = exc.field if isinstance(exc, LicenseDeskError) else None
        self._show_auth_problem(message, field, consent, detail)

    def _show_auth_problem(
        self, message: str, field: str | None, consent_url: str | None, detail: str
    ) -> None:
        text = consent_html(message, consent_url)
        steps = admin_consent_steps(self.form.draft().method) if consent_url else ""
        if field and self.form.is_visible_field(field):
            self._auth_error = (field, message)
            row = self.form.rows[field]
            row.set_message(message, show=True)
            if consent_url:
                row.message.setTextFormat(Qt.TextFormat.RichText)
                row.message.setOpenExternalLinks(True)
                row.message.setText(text)
        self.report_view.show_problem("error", consent_html(message, consent_url, steps), detail)

    def _fill_tenant(self, tenant_id: str) -> None:
        row = self.form.rows.get("tenant")
        if row is not None and not str(row.value()).strip():
            row.set_value(tenant_id)
            self.form.refresh()
            self._validate()

    # Multi-tenant sign-in

    @Slot()
    def _on_sign_in_clicked(self) -> None:
        self.start_sign_in()

    def start_sign_in(self) -> Job:
        draft = self.form.draft()
        call = functools.partial(self._run_sign_in, draft)
        self.sign_in_message.show_message(
            "info", "Signing in: finish the sign-in in your browser (or with the code below)."
        )
        self.sign_in_job = self._jobs.run("sign-in", call)
        self.sign_in_job.succeeded.connect(self._on_sign_in_succeeded)
        self.sign_in_job.failed.connect(self._on_sign_in_failed)
        self.sign_in_job.cancelled.connect(self._on_sign_in_cancelled)
        self.sign_in_job.completed.connect(self._on_job_completed)
        self._update_actions(draft)
        return self.sign_in_job

    def _run_sign_in(self, draft: ConnectionDraft, token: object) -> SignInResult:
        return self._controller.sign_in(
            draft, show_code=self._code_received.emit, cancel=token,  # type: ignore[arg-type]
            editing_id=self.editing_id,
        )  # fmt: skip

    @Slot(str)
    def _on_code_received(self, text: str) -> None:
        self.sign_in_message.show_message("info", linkify(text))

    @Slot()
    def _on_cancel_sign_in_clicked(self) -> None:
        if self.sign_in_job is not None:
            self.sign_in_job.cancel()
            self.cancel_sign_in_button.setEnabled(False)
            self.cancel_sign_in_button.setText("Cancelling…")

    @Slot(object)
    def _on_sign_in_succeeded(self, result: SignInResult) -> None:
        who = html.escape(result.username or "an administrator")
        self.sign_in_message.show_message(
            "ok", f"Signed in as {who} to tenant {html.escape(result.tenant_id)}."
        )
        self.form.keep_sign_in(result.sign_in_id)
        self._fill_tenant(result.tenant_id)
        self.start_test()

    @Slot(object)
    def _on_sign_in_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        consent = exc.consent_url if isinstance(exc, AuthError) else None
        steps = admin_consent_steps(self.form.draft().method)
        self.sign_in_message.show_message("error", consent_html(message, consent, steps), detail)
        field = exc.field if isinstance(exc, LicenseDeskError) else None
        if field and self.form.is_visible_field(field):
            self._auth_error = (field, message)
            self.form.rows[field].set_message(message, show=True)

    @Slot()
    def _on_sign_in_cancelled(self) -> None:
        self.sign_in_message.show_message("info", "Sign-in cancelled.")

    @Slot()
    def _on_job_completed(self) -> None:
        self.cancel_sign_in_button.setEnabled(True)
        self.cancel_sign_in_button.setText("Cancel sign-in")
        self._update_actions(self.form.draft())

    def has_changes(self) -> bool:
        return self.form.draft() != self._initial

    def reject(self) -> None:
        """Cancel, Escape and the close button: ask first when the form was changed."""
        if (
            self.result() != QDialog.DialogCode.Accepted
            and self.has_changes()
            and self._confirm_discard is not None
            and not self._confirm_discard()
        ):
            return
        if self.sign_in_job is not None and self.sign_in_job.running:
            self.sign_in_job.cancel()
        super().reject()


def _read_stored(controller: Controller, connection_id: int, _token: object) -> ConnectionDraft:
    return controller.draft_for_edit(connection_id)
