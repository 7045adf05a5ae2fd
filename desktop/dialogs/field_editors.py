"""Composite editors for the connection form: schedule, optional date, file path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QToolButton,
    QWidget,
)

from core.domain.connection import Schedule, ScheduleKind


def _row(parent: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


class ScheduleEditor(QWidget):
    """Manual, every N hours or daily at a time. Signals: changed()."""

    changed = Signal()

    def __init__(self, choices: tuple[tuple[str, str], ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = QComboBox(self)
        for value, label in choices:
            self.kind.addItem(label, value)
        self.hours = QSpinBox(self)
        self.hours.setRange(1, 168)
        self.hours.setSuffix(" h")
        self.hours.setValue(24)
        self.at = QTimeEdit(self)
        self.at.setDisplayFormat("HH:mm")
        self.at.setTime(QTime(2, 0))
        layout = _row(self)
        layout.addWidget(self.kind, 1)
        layout.addWidget(self.hours)
        layout.addWidget(self.at)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.hours.valueChanged.connect(self._on_changed)
        self.at.timeChanged.connect(self._on_changed)
        self._on_kind_changed()

    def value(self) -> Schedule:
        kind = ScheduleKind(self.kind.currentData())
        return Schedule(kind, self.hours.value(), self.at.time().toString("HH:mm"))

    def set_value(self, schedule: Schedule) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(schedule.kind.value)))
        self.hours.setValue(max(1, min(168, schedule.every_hours)))
        hour, _, minute = schedule.daily_at.partition(":")
        if hour.isdigit() and minute.isdigit():
            self.at.setTime(QTime(int(hour), int(minute)))

    @Slot()
    def _on_kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.hours.setVisible(kind == ScheduleKind.EVERY_N_HOURS.value)
        self.at.setVisible(kind == ScheduleKind.DAILY.value)
        self.changed.emit()

    @Slot()
    def _on_changed(self) -> None:
        self.changed.emit()


class OptionalDateEdit(QWidget):
    """A date that may be unset. Signals: changed()."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled = QCheckBox("Set", self)
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setDate(QDate.currentDate().addYears(1))
        self.date.setEnabled(False)
        layout = _row(self)
        layout.addWidget(self.enabled)
        layout.addWidget(self.date, 1)
        self.enabled.toggled.connect(self._on_toggled)
        self.date.dateChanged.connect(self._on_changed)

    def value(self) -> date | None:
        if not self.enabled.isChecked():
            return None
        picked = self.date.date()
        return date(picked.year(), picked.month(), picked.day())

    def set_value(self, value: date | None) -> None:
        self.enabled.setChecked(value is not None)
        if value is not None:
            self.date.setDate(QDate(value.year, value.month, value.day))

    @Slot(bool)
    def _on_toggled(self, on: bool) -> None:
        self.date.setEnabled(on)
        self.changed.emit()

    @Slot()
    def _on_changed(self) -> None:
        self.changed.emit()


class PathEdit(QWidget):
    """A file path typed in or picked with Browse…. Signals: changed()."""

    changed = Signal()

    def __init__(
        self, browse: Callable[[str], str | None] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._browse = browse
        self.line = QLineEdit(self)
        self.button = QToolButton(self)
        self.button.setText("Browse…")
        self.button.setEnabled(browse is not None)
        layout = _row(self)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)
        self.line.textChanged.connect(self._on_changed)
        self.button.clicked.connect(self._on_browse_clicked)

    @Slot()
    def _on_browse_clicked(self) -> None:
        if self._browse is None:
            return
        picked = self._browse(self.line.placeholderText())
        if picked:
            self.line.setText(picked)

    @Slot()
    def _on_changed(self) -> None:
        self.changed.emit()


class Caption(QLabel):
    """Small wrapped text under a field: its message (`fieldError`) or its help."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
