"""Keeps the controls that change data disabled on a read-only store, whatever their tab's own
logic (a selection, a finished job) would enable, with the reason as their tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QWidget


class WriteLock(QObject):
    """Disables what it holds, and disables it again whenever something enables it."""

    def __init__(self, reason: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reason = reason
        self.held: list[QWidget | QAction] = []

    def hold(self, *targets: QWidget | QAction) -> None:
        for target in targets:
            target.setEnabled(False)
            target.setToolTip(self.reason)
            if isinstance(target, QAction):
                target.enabledChanged.connect(self._on_action_enabled)
            else:
                target.installEventFilter(self)
            self.held.append(target)

    def hold_edits(self, view: QAbstractItemView) -> None:
        """A table whose cells save what is typed in (prices): no editing."""
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.EnabledChange
            and isinstance(watched, QWidget)
            and watched.isEnabled()
        ):
            watched.setEnabled(False)
        return False

    @Slot(bool)
    def _on_action_enabled(self, enabled: bool) -> None:
        action = self.sender()
        if enabled and isinstance(action, QAction):
            action.setEnabled(False)
