"""File ▸ Team database: this computer's built-in database, or a team's PostgreSQL database
(host, port, database, user name, an optional password kept in the keychain).

"Test connection" and the switch run as jobs (never on the GUI thread); one line under the
fields says what happened. On a successful switch the dialog is accepted: the window then
closes and opens again on the database chosen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.domain.cancel import CancelToken
from core.domain.team import DEFAULT_PORT, DatabaseCheck, OpenedDatabase, TeamDatabase
from desktop.jobs import Job, JobRunner
from desktop.notify import describe_error
from desktop.widgets.inline_message import restyle

if TYPE_CHECKING:
    from core.controller import Controller

FIELDS = (
    ("host", "Host"),
    ("port", "Port"),
    ("database", "Database"),
    ("user", "User name"),
)


class TeamDatabaseDialog(QDialog):
    """Choose and test the database; accepted once the choice is saved."""

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        opened: OpenedDatabase,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Team database")
        self.setObjectName("teamDatabaseDialog")
        self._controller = controller
        self._jobs = jobs
        self._touched: set[str] = set()
        self.job: Job | None = None
        self.local_choice = QRadioButton("This computer only (the built-in database)", self)
        self.team_choice = QRadioButton("A team database (PostgreSQL 14 or newer)", self)
        group = QButtonGroup(self)
        group.addButton(self.local_choice)
        group.addButton(self.team_choice)
        self._build_fields(TeamDatabase.from_url(opened.url))
        self.test_button = QPushButton("Test connection", self)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("testResult")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._lay_out()
        self.test_button.clicked.connect(self._on_test_clicked)
        self.buttons.accepted.connect(self._on_ok_clicked)
        self.buttons.rejected.connect(self.reject)
        self.local_choice.toggled.connect(self._on_choice_changed)
        (self.team_choice if opened.url else self.local_choice).setChecked(True)
        self._on_choice_changed()

    def _build_fields(self, current: TeamDatabase) -> None:
        self.editors: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        values = {
            "host": current.host,
            "port": current.port or str(DEFAULT_PORT),
            "database": current.database,
            "user": current.user,
        }
        for name, label in FIELDS:
            editor = QLineEdit(values[name], self)
            editor.setAccessibleName(label)
            editor.setObjectName(name)
            editor.textEdited.connect(functools.partial(self._on_edited, name))
            self.editors[name] = editor
            error = QLabel(self)
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
        self.editors["host"].setPlaceholderText("db.example.org")
        self.editors["database"].setPlaceholderText("licensedesk")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("optional: else the stored one, PGPASSWORD or ~/.pgpass")

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        for name, label in FIELDS:
            self.form.addRow(f"{label}:", self.editors[name])
            self.form.addRow("", self.errors[name])
        self.form.addRow("Password:", self.password)
        note = QLabel(
            "The password is kept in this computer's keychain, never in a file. The choice "
            "holds for the window and licensedesk-cli on this computer.",
            self,
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local_choice)
        layout.addWidget(self.team_choice)
        layout.addLayout(self.form)
        layout.addWidget(note)
        layout.addWidget(self.test_button)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    # Input

    def fields(self) -> TeamDatabase:
        return TeamDatabase(**{name: editor.text() for name, editor in self.editors.items()})

    @property
    def team(self) -> bool:
        return self.team_choice.isChecked()

    @Slot()
    def _on_choice_changed(self) -> None:
        for editor in (*self.editors.values(), self.password):
            editor.setEnabled(self.team)
        self.ok_button.setText("Connect" if self.team else "Use this computer's database")
        self.outcome.clear()
        self._show_errors()

    def _on_edited(self, name: str, _text: str) -> None:
        self._touched.add(name)
        self.outcome.clear()
        self._show_errors()

    def _show_errors(self, *, all_fields: bool = False) -> dict[str, str]:
        """Each field's message under it, once touched (or on OK and Test); returns them."""
        found = self._controller.validate_team_database(self.fields()) if self.team else {}
        if all_fields:
            self._touched.update(self.editors)
        for name, label in self.errors.items():
            message = found.get(name, "") if name in self._touched else ""
            label.setText(message)
            label.setVisible(bool(message))
            editor = self.editors[name]
            if bool(editor.property("invalid")) != bool(message):
                editor.setProperty("invalid", bool(message))
                restyle(editor)
        busy = self.job is not None
        self.test_button.setEnabled(self.team and not busy)
        self.ok_button.setEnabled(not busy)
        return found

    # Test and switch, as jobs

    @Slot()
    def _on_test_clicked(self) -> None:
        if self._show_errors(all_fields=True):
            return
        call = functools.partial(_test, self._controller, self.fields(), self.password.text())
        self._start("Testing the connection…", "test team database", call)

    @Slot()
    def _on_ok_clicked(self) -> None:
        if self.team:
            if self._show_errors(all_fields=True):
                return
            call = functools.partial(
                _test_and_switch, self._controller, self.fields(), self.password.text()
            )
            self._start("Connecting…", "switch database", call)
        else:
            call = functools.partial(_switch_to_this_computer, self._controller)
            self._start("", "switch database", call)

    def _start(self, text: str, name: str, call: Callable[[CancelToken], object]) -> None:
        self.outcome.setText(text)
        self.outcome.setProperty("level", "info")
        self.job = self._jobs.run(name, call)
        self.job.succeeded.connect(self._on_job_succeeded)
        self.job.failed.connect(self._on_job_failed)
        self.job.completed.connect(self._on_job_completed)
        self._show_errors()

    @Slot(object)
    def _on_job_succeeded(self, result: object) -> None:
        if isinstance(result, DatabaseCheck):
            self._say(result.summary(), "ok")
        else:  # the switch was saved
            self.accept()

    @Slot(object)
    def _on_job_failed(self, exc: BaseException) -> None:
        message, _detail = describe_error(exc)
        self._say(message, "error")

    @Slot()
    def _on_job_completed(self) -> None:
        self.job = None
        self._show_errors()

    def _say(self, text: str, level: str) -> None:
        self.outcome.setText(text)
        self.outcome.setProperty("level", level)
        restyle(self.outcome)


def _test(controller: Controller, fields: TeamDatabase, password: str, _token: object) -> object:
    return controller.test_database(fields, password)


def _test_and_switch(
    controller: Controller, fields: TeamDatabase, password: str, _token: object
) -> None:
    controller.test_database(fields, password)
    controller.switch_database(fields, password)


def _switch_to_this_computer(controller: Controller, _token: object) -> None:
    controller.switch_database(None)
