"""One row of the connection form, built from a core FieldSpec: editor, message and help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from core.domain.connection import Schedule
from core.domain.fields import FieldKind, FieldSpec
from desktop.dialogs.field_editors import Caption, OptionalDateEdit, PathEdit, ScheduleEditor
from desktop.widgets.inline_message import restyle


class FieldRow(QObject):
    """Signals: edited(str): the user changed the value of the field (its name)."""

    edited = Signal(str)

    def __init__(
        self,
        spec: FieldSpec,
        parent: QWidget,
        browse: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = spec.name
        self.kind = spec.kind
        self.touched = False
        self.user_modified = False
        self._auto_value: str | None = None
        self._choices: tuple[tuple[str, str], ...] = ()
        self.label = QLabel(parent)
        self.container = QWidget(parent)
        self.editor = self._make_editor(spec, browse)
        self.editor.setObjectName(f"field_{spec.name}")
        self.message = Caption("fieldError", self.container)
        # The message line keeps its place while hidden, so a message coming and going as the
        # user types does not push the rows below up and down.
        policy = self.message.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.message.setSizePolicy(policy)
        self.message.ensurePolished()
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() + 2)
        self.help = Caption("fieldHelp", self.container)
        layout = QVBoxLayout(self.container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.help)
        # Last, so its reserved line reads as the space between rows while empty.
        layout.addWidget(self.message)
        self.apply_spec(spec)

    # Building

    def _make_editor(self, spec: FieldSpec, browse: Callable[[str], str | None] | None) -> QWidget:
        kind = spec.kind
        if kind in (FieldKind.TEXT, FieldKind.SECRET):
            line = QLineEdit(self.container)
            if kind is FieldKind.SECRET or spec.secret:
                line.setEchoMode(QLineEdit.EchoMode.Password)
            line.textEdited.connect(self._on_text_edited)
            line.editingFinished.connect(self._on_editing_finished)
            return line
        if kind is FieldKind.CHOICE:
            combo = QComboBox(self.container)
            combo.activated.connect(self._on_value_changed)
            return combo
        if kind is FieldKind.BOOL:
            box = QCheckBox(spec.label, self.container)
            box.toggled.connect(self._on_value_changed)
            return box
        if kind is FieldKind.SCHEDULE:
            editor = ScheduleEditor(spec.choices, self.container)
            editor.changed.connect(self._on_value_changed)
            return editor
        if kind is FieldKind.DATE:
            date_edit = OptionalDateEdit(self.container)
            date_edit.changed.connect(self._on_value_changed)
            return date_edit
        if kind is FieldKind.PATH:
            path = PathEdit(browse, self.container)
            path.changed.connect(self._on_value_changed)
            return path
        line = QLineEdit(self.container)  # INT and anything new: typed as text
        line.textEdited.connect(self._on_text_edited)
        return line

    def apply_spec(self, spec: FieldSpec) -> None:
        """Update label, help, placeholder, choices and the auto-populated value."""
        text = "" if spec.kind is FieldKind.BOOL else spec.label + (" *" if spec.required else "")
        self.label.setText(text)
        self._name_editor(spec.label, spec.help)
        self.help.show_text(spec.help)
        line = self._line()
        if line is not None:
            line.setPlaceholderText(spec.placeholder)
        if spec.kind is FieldKind.CHOICE and spec.choices != self._choices:
            self._set_choices(spec.choices)
        self._apply_auto(spec.auto_value)

    def _name_editor(self, label: str, help_text: str) -> None:
        """Screen readers read the field's label (the form's labels are not buddies)."""
        editor = self.editor
        parts: list[tuple[QWidget, str]] = [(editor, label)]
        if isinstance(editor, PathEdit):
            parts = [(editor.line, label), (editor.button, f"Browse for the {label.lower()}")]
        elif isinstance(editor, OptionalDateEdit):
            parts = [(editor.enabled, f"Set the {label.lower()}"), (editor.date, label)]
        elif isinstance(editor, ScheduleEditor):
            parts = [(editor.kind, label), (editor.hours, f"{label}: every how many hours"),
                     (editor.at, f"{label}: daily at")]  # fmt: skip
        for widget, name in parts:
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(help_text)

    def _set_choices(self, choices: tuple[tuple[str, str], ...]) -> None:
        combo = self.editor
        assert isinstance(combo, QComboBox)
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for value, label in choices:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)
        self._choices = choices

    def _apply_auto(self, auto_value: str | None) -> None:
        line = self._line()
        if line is None or self.kind is FieldKind.SECRET:
            return
        if not self.user_modified:
            line.setText(auto_value or "")
            line.setCursorPosition(0)
        self._auto_value = auto_value
        auto = bool(auto_value) and not self.user_modified
        if bool(line.property("auto")) != auto:
            line.setProperty("auto", auto)
            restyle(line)

    # Values

    def _line(self) -> QLineEdit | None:
        if isinstance(self.editor, QLineEdit):
            return self.editor
        if isinstance(self.editor, PathEdit):
            return self.editor.line
        return None

    @property
    def is_auto(self) -> bool:
        """True while the field still shows its auto-populated value (sent as "derive")."""
        return self._auto_value is not None and not self.user_modified

    def value(self) -> Any:
        editor = self.editor
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, ScheduleEditor | OptionalDateEdit):
            return editor.value()
        line = self._line()
        assert line is not None
        return "" if self.is_auto else line.text()

    def set_value(self, value: Any) -> None:
        """Load a value without counting it as an edit by the user."""
        editor = self.editor
        editor.blockSignals(True)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(str(value))))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, ScheduleEditor | OptionalDateEdit):
            if isinstance(value, Schedule) or not isinstance(editor, ScheduleEditor):
                editor.set_value(value)
        else:
            line = self._line()
            assert line is not None
            line.setText("" if value is None else str(value))
            self.user_modified = bool(value)
        editor.blockSignals(False)

    def set_message(self, message: str, *, show: bool) -> None:
        """Show `message` under the field (when `show`) and mark the editor invalid."""
        shown = message if show else ""
        self.message.show_text(shown)
        target = self._line() or self.editor
        if bool(target.property("invalid")) != bool(shown):
            target.setProperty("invalid", bool(shown))
            restyle(target)

    # Slots

    @Slot(str)
    def _on_text_edited(self, _text: str) -> None:
        self.user_modified = True
        line = self._line()
        if line is not None and line.property("auto"):
            line.setProperty("auto", False)
            restyle(line)
        self.touched = True
        self.edited.emit(self.name)

    @Slot()
    def _on_editing_finished(self) -> None:
        if not self.touched:
            self.touched = True
            self.edited.emit(self.name)

    @Slot()
    def _on_value_changed(self) -> None:
        self.touched = True
        self.edited.emit(self.name)
