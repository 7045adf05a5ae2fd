"""Shown on the first run, when there is no connection yet."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.resources import icon

WELCOME_TEXT = (
    "There are no connections yet. Add a PowerShell source connection for each Microsoft 365 "
    "tenant, or look around first with two simulated demo tenants (Contoso and its merger "
    "Fabrikam), served by the built-in simulator without any Microsoft account. If your team "
    "already keeps LicenseDesk in a shared PostgreSQL database, connect to it instead."
)


class WelcomePanel(QWidget):
    """Signals: demo_requested(), new_requested(), team_requested()."""

    demo_requested = Signal()
    new_requested = Signal()
    team_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        text = QLabel(WELCOME_TEXT, self)
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        self.demo_button = QPushButton(icon("simulated"), "Add demo tenants", self)
        self.demo_button.setProperty("primary", True)
        self.new_button = QPushButton(icon("add"), "New connection…", self)
        # A team's analysts share one database: the connections may already be there.
        self.team_button = QPushButton(icon("inventory"), "Connect to a team database…", self)
        self.demo_button.clicked.connect(self._on_demo_clicked)
        self.new_button.clicked.connect(self._on_new_clicked)
        self.team_button.clicked.connect(self._on_team_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.team_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(text)
        layout.addLayout(buttons)

    @Slot()
    def _on_demo_clicked(self) -> None:
        self.demo_requested.emit()

    @Slot()
    def _on_new_clicked(self) -> None:
        self.new_requested.emit()

    @Slot()
    def _on_team_clicked(self) -> None:
        self.team_requested.emit()
