"""A message shown where something happened, with the technical detail one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

LEVELS = ("error", "warning", "info", "ok")


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class InlineMessage(QFrame):
    """A framed message whose `level` property ("error", "warning", "info", "ok") the qss
    colours; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineMessage")
        self.setProperty("level", "info")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setOpenExternalLinks(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.details_button = QToolButton(self)
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleDescription("Shows or hides the technical detail")
        self.details_button.toggled.connect(self._on_details_toggled)
        self.detail = QPlainTextEdit(self)
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Technical detail")
        self.detail.setMaximumHeight(90)
        self.detail.hide()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.text, 1)
        top.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        self.clear()

    @property
    def level(self) -> str:
        return str(self.property("level"))

    def show_message(self, level: str, html: str, detail: str = "") -> None:
        """Show `html` (already escaped by the caller) at `level`."""
        assert level in LEVELS, level
        self.setProperty("level", level)
        restyle(self)
        self.text.setText(html)
        self.detail.setPlainText(detail)
        self.details_button.setVisible(bool(detail))
        self.details_button.setChecked(False)
        self.show()

    def clear(self) -> None:
        self.text.clear()
        self.detail.clear()
        self.details_button.hide()
        self.detail.hide()
        self.hide()

    @Slot(bool)
    def _on_details_toggled(self, shown: bool) -> None:
        self.detail.setVisible(shown)
