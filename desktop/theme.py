"""Light and dark appearance: one table of named colours per scheme, the palette built from it
and the style sheet's `${name}` placeholders filled from it (issue 15).

Signals of Appearance: scheme_changed(str): the scheme in effect ("light" or "dark") changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from string import Template

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


class ColorScheme(StrEnum):
    """What the user chose: follow the system, or always light or dark."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


# Status colours (negative, warning, positive, retired, muted) are text on `base`,
# `alternate_base` and `window`: at least 4.5:1 against each (WCAG AA). The chart series are
# bars on `base`: at least 3:1 (WCAG 1.4.11, graphical objects). tests/desktop/test_theme.py
# checks both.
LIGHT: dict[str, str] = {
    "window": "#f5f6f8",
    "base": "#ffffff",
    "alternate_base": "#f8f9fb",
    "text": "#1f2933",
    "text_secondary": "#3b4a5a",
    "tab_text": "#4b5563",
    "muted": "#5f6672",
    "disabled_text": "#8b929c",
    "border": "#d9dde3",
    "border_strong": "#b8bfc9",
    "gridline": "#eceff3",
    "tab": "#e9ecf1",
    "tab_hover": "#f1f3f6",
    "header": "#eef1f5",
    "hover": "#eef2f7",
    "pressed": "#dfe6ef",
    "disabled_bg": "#f1f2f4",
    "disabled_border": "#dde1e6",
    "accent": "#3b6fb6",
    "accent_hover": "#3563a3",
    "accent_border": "#2f5d9a",
    "accent_disabled": "#a9bfdd",
    "on_accent": "#ffffff",
    "on_accent_disabled": "#f3f6fb",
    "focus": "#1f5fbf",
    "selection": "#d6e4f7",
    "selection_text": "#1f2933",
    "link": "#2558a3",
    "auto_bg": "#f3f6fb",
    "explanation_bg": "#f8f9fb",
    "explanation_border": "#e2e6eb",
    "simulated_text": "#5b3d99",
    "simulated_bg": "#f3effb",
    "simulated_border": "#d8cdf0",
    "invalid_bg": "#fdf3f2",
    "info_bg": "#eef3fb",
    "info_border": "#c9d6ea",
    "error_bg": "#fcefed",
    "error_border": "#e5b3ae",
    "warning_bg": "#fdf6e3",
    "warning_border": "#ecd39b",
    "ok_bg": "#edf8f1",
    "ok_border": "#a9d8bb",
    "negative": "#b3261e",
    "warning": "#8a5c00",
    "positive": "#1b7f3b",
    "retired": "#676d76",
    "entitled": "#3b6fb6",
    "assigned": "#b86e00",
    "active": "#23855a",
    "grid": "#d9dde3",
}

DARK: dict[str, str] = {
    "window": "#1d2025",
    "base": "#25292f",
    "alternate_base": "#2a2f36",
    "text": "#e3e6ea",
    "text_secondary": "#c3cad3",
    "tab_text": "#aeb6c1",
    "muted": "#a2aab5",
    "disabled_text": "#737b86",
    "border": "#3b414a",
    "border_strong": "#535b66",
    "gridline": "#30353c",
    "tab": "#2a2f36",
    "tab_hover": "#30363e",
    "header": "#2d3239",
    "hover": "#323842",
    "pressed": "#3b434e",
    "disabled_bg": "#24272c",
    "disabled_border": "#343940",
    "accent": "#3d6fb8",
    "accent_hover": "#4779c2",
    "accent_border": "#5a8ad0",
    "accent_disabled": "#2e405a",
    "on_accent": "#ffffff",
    "on_accent_disabled": "#8c99ab",
    "focus": "#7fb0ff",
    "selection": "#30507a",
    "selection_text": "#f1f4f8",
    "link": "#8ab4f8",
    "auto_bg": "#263041",
    "explanation_bg": "#2a2f36",
    "explanation_border": "#3b414a",
    "simulated_text": "#cbb8f5",
    "simulated_bg": "#2e2840",
    "simulated_border": "#54477a",
    "invalid_bg": "#3a2624",
    "info_bg": "#22303f",
    "info_border": "#3d5675",
    "error_bg": "#3a2624",
    "error_border": "#7d3b35",
    "warning_bg": "#383021",
    "warning_border": "#7a6331",
    "ok_bg": "#1f3328",
    "ok_border": "#3b6b4e",
    "negative": "#ff8a80",
    "warning": "#e5b454",
    "positive": "#6fd39a",
    "retired": "#9ea5af",
    "entitled": "#6f9fe6",
    "assigned": "#e9a84a",
    "active": "#4cbf88",
    "grid": "#3b414a",
}

SETTINGS_KEY = "appearance/color_scheme"  # in the window's QSettings, next to its layout
THEMES: dict[str, dict[str, str]] = {"light": LIGHT, "dark": DARK}
# The colours models and painted widgets take by name; the qss takes the rest.
STATUS_TEXT = ("negative", "warning", "positive", "retired", "muted")
CHART_SERIES = ("entitled", "assigned", "active")

_current: dict[str, str] = LIGHT


def current_scheme() -> str:
    """ "light" or "dark": the scheme whose colours are in effect."""
    return "dark" if _current is DARK else "light"


def colour_hex(name: str) -> str:
    """The named colour of the scheme in effect (`#rrggbb`)."""
    return _current[name]


_qcolours: dict[str, QColor] = {}


def colour(name: str) -> QColor:
    """The named colour of the scheme in effect, as models and painted widgets use it."""
    value = _current[name]
    cached = _qcolours.get(value)
    if cached is None:
        cached = _qcolours[value] = QColor(value)
    return cached


TITLE_SCALE = 1.2  # section titles, relative to the application's font
FIGURE_SCALE = 2.0  # the Overview's figures


def fill_stylesheet(template: str, scheme: str, base_pt: float = 9.0) -> str:
    """The style sheet with every `${name}` replaced by the scheme's colour and the font
    sizes scaled from `base_pt` (a missing name raises KeyError, so a typo cannot ship)."""
    sizes = {
        "title_pt": f"{base_pt * TITLE_SCALE:.1f}",
        "figure_pt": f"{base_pt * FIGURE_SCALE:.1f}",
    }
    return Template(template).substitute(THEMES[scheme], **sizes)


def build_palette(scheme: str) -> QPalette:
    """The application palette of a scheme, so Fusion's own drawing (menu bar, check boxes,
    scroll bars, tool tips) matches the style sheet."""
    c = {name: QColor(value) for name, value in THEMES[scheme].items()}
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    for group_ in (group.Active, group.Inactive):
        palette.setColor(group_, role.Window, c["window"])
        palette.setColor(group_, role.WindowText, c["text"])
        palette.setColor(group_, role.Base, c["base"])
        palette.setColor(group_, role.AlternateBase, c["alternate_base"])
        palette.setColor(group_, role.Text, c["text"])
        palette.setColor(group_, role.Button, c["tab"])
        palette.setColor(group_, role.ButtonText, c["text"])
        palette.setColor(group_, role.ToolTipBase, c["base"])
        palette.setColor(group_, role.ToolTipText, c["text"])
        palette.setColor(group_, role.PlaceholderText, c["muted"])
        palette.setColor(group_, role.Highlight, c["accent"])
        palette.setColor(group_, role.HighlightedText, c["on_accent"])
        palette.setColor(group_, role.Link, c["link"])
        palette.setColor(group_, role.LinkVisited, c["link"])
        palette.setColor(group_, role.BrightText, c["negative"])
        palette.setColor(group_, role.Light, c["base"].lighter(115))
        palette.setColor(group_, role.Midlight, c["border"])
        palette.setColor(group_, role.Mid, c["border_strong"])
        palette.setColor(group_, role.Dark, c["border_strong"].darker(130))
        palette.setColor(group_, role.Shadow, QColor("#000000"))
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, name, c["disabled_text"])
    for name, key in ((role.Window, "window"), (role.Base, "disabled_bg"),
                      (role.Button, "disabled_bg"), (role.Highlight, "border_strong"),
                      (role.HighlightedText, "text"), (role.PlaceholderText, "disabled_text"),
                      (role.Light, "base"), (role.Mid, "border"), (role.Midlight, "border"),
                      (role.Dark, "border_strong")):  # fmt: skip
        palette.setColor(group.Disabled, name, c[key])
    return palette


def parse_choice(text: object, default: ColorScheme = ColorScheme.SYSTEM) -> ColorScheme:
    """A remembered or typed choice; anything unknown means `default`."""
    try:
        return ColorScheme(str(text).strip().lower())
    except ValueError:
        return default


class Appearance(QObject):
    """Applies a colour scheme to the application and follows the system's while the choice
    is System. Signals: scheme_changed(str): "light" or "dark" is now in effect."""

    scheme_changed = Signal(str)

    def __init__(
        self,
        app: QApplication,
        template: str,
        choice: ColorScheme = ColorScheme.SYSTEM,
        *,
        system_scheme: Callable[[], Qt.ColorScheme] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`system_scheme` reads the platform's scheme (tests pass their own)."""
        super().__init__(parent)
        self._app = app
        self._template = template
        self._choice = choice
        self._system_scheme = system_scheme or QGuiApplication.styleHints().colorScheme
        self._requested = False  # whether we asked the platform for a scheme (Qt 6.8+)
        self._applied = ""
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        app.fontChanged.connect(self._on_font_changed)  # titles scale with the system font
        self.apply()

    @property
    def choice(self) -> ColorScheme:
        return self._choice

    def set_choice(self, choice: ColorScheme) -> None:
        self._choice = choice
        self.apply()

    def effective(self) -> str:
        """The scheme the choice means now: System follows the platform (light if unknown)."""
        if self._choice is not ColorScheme.SYSTEM:
            return self._choice.value
        return "dark" if self._system_scheme() == Qt.ColorScheme.Dark else "light"

    def apply(self, *, force: bool = False) -> None:
        """Tell the platform (Qt 6.8+: native title bars, dialogs), then set the palette and
        the style sheet, which work on every platform, offscreen included."""
        global _current
        hints = QGuiApplication.styleHints()
        wanted = {ColorScheme.LIGHT: Qt.ColorScheme.Light, ColorScheme.DARK: Qt.ColorScheme.Dark}
        if hasattr(hints, "setColorScheme"):
            if self._choice is ColorScheme.SYSTEM:
                if self._requested:
                    self._requested = False
                    hints.unsetColorScheme()
            else:
                self._requested = True
                hints.setColorScheme(wanted[self._choice])
        scheme = self.effective()
        changed = scheme != self._applied
        if not changed and not force:
            return
        _current = THEMES[scheme]
        self._applied = scheme
        self._app.setPalette(build_palette(scheme))
        base_pt = self._app.font().pointSizeF()
        self._app.setStyleSheet(
            fill_stylesheet(self._template, scheme, base_pt if base_pt > 0 else 9.0)
        )
        if changed:
            log.info("colour scheme: %s (%s)", scheme, self._choice.value)
            self.scheme_changed.emit(scheme)

    @Slot()
    def _on_font_changed(self) -> None:
        self.apply(force=True)

    @Slot(Qt.ColorScheme)
    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice is ColorScheme.SYSTEM:
            self.apply()
