"""The result of Test connection, shown inline: the outcome and one line per permission."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from core.domain.connection import ConnectionTestReport, PermissionCheck, PermissionState
from desktop.resources import icon
from desktop.widgets.inline_message import InlineMessage

STATE_TEXT = {
    PermissionState.GRANTED: "Granted",
    PermissionState.MISSING: "Missing",
    PermissionState.NOT_APPLICABLE: "Not applicable",
}


def check_icon_name(check: PermissionCheck) -> str:
    if check.state is PermissionState.GRANTED:
        return "ok"
    if check.state is PermissionState.NOT_APPLICABLE:
        return "info"
    return "error" if check.required else "warning"


def summarize(report: ConnectionTestReport) -> tuple[str, str]:
    """(level, html) of a report that got a token."""
    who = html.escape(report.tenant_name or report.tenant_id or "the tenant")
    missing = [c for c in report.checks if c.state is PermissionState.MISSING]
    required = [c for c in missing if c.required]
    if required:
        names = ", ".join(sorted({html.escape(c.permission) for c in required}))
        return "error", f"Connected to {who}, but required permissions are missing: {names}."
    if missing:
        names = ", ".join(sorted({html.escape(c.permission) for c in missing}))
        return "warning", f"Connected to {who}. Optional permissions are missing: {names}."
    return "ok", f"Connected to {who}. Every permission LicenseDesk needs is granted."


class PermissionReportView(QWidget):
    """Shows a ConnectionTestReport: a message and the per-permission list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = InlineMessage(self)
        self.checks = QTreeWidget(self)
        self.checks.setObjectName("permissionList")
        self.checks.setAccessibleName("Permissions")
        self.checks.setHeaderLabels(["Area", "Permission", "Result"])
        self.checks.setRootIsDecorated(False)
        self.checks.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.checks.setMaximumHeight(150)
        self.checks.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(self.checks)

    def show_running(self, text: str) -> None:
        self.checks.hide()
        self.message.show_message("info", html.escape(text))

    def show_report(self, report: ConnectionTestReport) -> None:
        self.checks.clear()
        for check in report.checks:
            state = STATE_TEXT[check.state]
            if check.state is PermissionState.MISSING:
                state += " (required)" if check.required else " (optional)"
            item = QTreeWidgetItem([check.area, check.permission, state])
            item.setIcon(2, icon(check_icon_name(check)))
            if check.message:
                item.setToolTip(2, check.message)
            self.checks.addTopLevelItem(item)
        self.checks.setVisible(bool(report.checks))
        if report.error is None:
            level, text = summarize(report)
            self.message.show_message(level, text)
        else:
            self.message.clear()

    def show_problem(self, level: str, html_text: str, detail: str = "") -> None:
        self.checks.hide()
        self.message.show_message(level, html_text, detail)

    def clear(self) -> None:
        self.checks.clear()
        self.checks.hide()
        self.message.clear()

    def states(self) -> dict[tuple[str, str], str]:
        """(area, permission) -> shown result, for tests and screen readers."""
        out = {}
        for i in range(self.checks.topLevelItemCount()):
            item = self.checks.topLevelItem(i)
            if item is not None:
                out[(item.text(0), item.text(1))] = item.text(2)
        return out
