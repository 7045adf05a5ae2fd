"""Change the status of the selected licenses at once, with one reason (spec §5)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core.domain.licensing import LicenseStatus


class StatusChangeDialog(QDialog):
    """Asks for the new status and the reason; the caller applies them (as a job)."""

    def __init__(self, count: int, current: LicenseStatus | None, parent: QWidget | None = None):
        super().__init__(parent)
        noun = "license" if count == 1 else "licenses"
        self.setWindowTitle("Change status")
        self.setObjectName("statusChangeDialog")
        self.intro = QLabel(f"Change the status of {count:,} selected {noun}.", self)
        self.status = QComboBox(self)
        for status in LicenseStatus:
            self.status.addItem(status.value, status.value)
        if current is not None:
            self.status.setCurrentIndex(self.status.findData(current.value))
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("Why (kept in each license's status history)")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Change status")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("New status", self.status)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def chosen_status(self) -> LicenseStatus:
        return LicenseStatus(self.status.currentData())

    def chosen_reason(self) -> str:
        return self.reason.text().strip() or "Changed by hand"
