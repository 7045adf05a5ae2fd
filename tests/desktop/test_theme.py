"""Light and dark: readable status colours in both, and a switch that changes the palette,
the style sheet and the painted colours (issue 15)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.controller import Controller
from desktop import theme
from desktop.app import build_window, parse_args, session_scheme
from desktop.resources import colour, stylesheet
from desktop.theme import CHART_SERIES, STATUS_TEXT, THEMES, Appearance, ColorScheme
from tests.desktop.conftest import InlineExecutor, ScriptedNotifier

BACKGROUNDS = ("base", "alternate_base", "window")
# Other text the window shows on a coloured ground: (text, background).
PAIRS = (
    ("text", "base"), ("text", "window"), ("text", "alternate_base"), ("text", "header"),
    ("text_secondary", "header"), ("tab_text", "tab"), ("selection_text", "selection"),
    ("on_accent", "accent"), ("muted", "explanation_bg"), ("text_secondary", "explanation_bg"),
    ("simulated_text", "simulated_bg"), ("negative", "invalid_bg"), ("text", "error_bg"),
    ("text", "warning_bg"), ("text", "ok_bg"), ("text", "info_bg"), ("link", "base"),
    ("text_secondary", "auto_bg"), ("negative", "error_bg"), ("warning", "warning_bg"),
)  # fmt: skip


def luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb`."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", STATUS_TEXT)
def test_status_text_reads_at_wcag_aa_in_both_schemes(scheme: str, name: str) -> None:
    table = THEMES[scheme]
    for ground in BACKGROUNDS:
        assert contrast(table[name], table[ground]) >= 4.5, (scheme, name, ground)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", CHART_SERIES)
def test_chart_series_stand_out_from_the_chart(scheme: str, name: str) -> None:
    """Bars are graphical objects: 3:1 against the chart's ground (WCAG 1.4.11)."""
    table = THEMES[scheme]
    assert contrast(table[name], table["base"]) >= 3.0, (scheme, name)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_stands_out(scheme: str) -> None:
    """The focus indicator is a graphical object: 3:1 against what it sits on."""
    table = THEMES[scheme]
    for ground in ("window", "base", "alternate_base", "tab"):
        assert contrast(table["focus"], table[ground]) >= 3.0, (scheme, ground)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("text", "ground"), PAIRS)
def test_other_text_reads_at_wcag_aa(scheme: str, text: str, ground: str) -> None:
    table = THEMES[scheme]
    assert contrast(table[text], table[ground]) >= 4.5, (scheme, text, ground)


def test_both_schemes_name_the_same_colours() -> None:
    assert THEMES["light"].keys() == THEMES["dark"].keys()


def test_the_style_sheet_has_no_colour_literals_and_every_name_exists() -> None:
    template = stylesheet()
    without_comments = re.sub(r"/\*.*?\*/", "", template, flags=re.S)
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", without_comments) == []
    for scheme in ("light", "dark"):
        filled = theme.fill_stylesheet(template, scheme)
        assert "${" not in re.sub(r"/\*.*?\*/", "", filled, flags=re.S)


@pytest.fixture
def app_appearance(qapp: QApplication) -> Iterator[tuple[Appearance, list[Qt.ColorScheme]]]:
    """An Appearance on the test application whose "system" scheme the test sets; the
    application's palette and style sheet are put back afterwards."""
    system = [Qt.ColorScheme.Light]
    palette, sheet = qapp.palette(), qapp.styleSheet()
    appearance = Appearance(qapp, stylesheet(), system_scheme=lambda: system[0])
    yield appearance, system
    appearance.set_choice(ColorScheme.LIGHT)
    appearance.deleteLater()
    QGuiApplication.styleHints().unsetColorScheme()
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.mark.gui
def test_choosing_dark_changes_the_palette_style_sheet_and_painted_colours(
    qtbot: QtBot, qapp: QApplication, app_appearance: tuple[Appearance, list[Qt.ColorScheme]]
) -> None:
    appearance, _ = app_appearance
    assert appearance.effective() == "light"
    light_window = qapp.palette().color(QPalette.ColorRole.Window).name()
    assert light_window == theme.LIGHT["window"]
    assert f"background: {theme.LIGHT['window']}" in qapp.styleSheet()
    with qtbot.waitSignal(appearance.scheme_changed, timeout=1000) as signal:
        appearance.set_choice(ColorScheme.DARK)
    assert signal.args == ["dark"]
    palette = qapp.palette()
    assert palette.color(QPalette.ColorRole.Window).name() == theme.DARK["window"]
    assert palette.color(QPalette.ColorRole.WindowText).name() == theme.DARK["text"]
    assert palette.color(QPalette.ColorRole.Base).name() == theme.DARK["base"]
    sheet = qapp.styleSheet()
    for name in ("window", "text", "focus", "accent", "negative"):
        assert theme.DARK[name] in sheet, name
    assert theme.LIGHT["window"] not in sheet
    assert colour("negative").name() == theme.DARK["negative"]
    assert colour("retired").name() == theme.DARK["retired"]


@pytest.mark.gui
def test_system_choice_follows_the_system_scheme_live(
    qtbot: QtBot, qapp: QApplication, app_appearance: tuple[Appearance, list[Qt.ColorScheme]]
) -> None:
    appearance, system = app_appearance
    assert appearance.choice is ColorScheme.SYSTEM
    system[0] = Qt.ColorScheme.Dark
    with qtbot.waitSignal(appearance.scheme_changed, timeout=1000):
        QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == theme.DARK["window"]
    system[0] = Qt.ColorScheme.Light
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == theme.LIGHT["window"]
    appearance.set_choice(ColorScheme.DARK)  # a fixed choice ignores the system
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert appearance.effective() == "dark"


@pytest.mark.gui
def test_view_appearance_menu_switches_and_remembers(
    qtbot: QtBot,
    controller: Controller,
    inline_executor: InlineExecutor,
    window_settings: QSettings,
    notifier: ScriptedNotifier,
    app_appearance: tuple[Appearance, list[Qt.ColorScheme]],
) -> None:
    appearance, _ = app_appearance
    window = build_window(controller, inline_executor, window_settings, notifier, appearance)
    qtbot.addWidget(window)
    titles = [a.text() for a in window.menuBar().actions()]
    view = window.menuBar().actions()[titles.index("&View")].menu()
    submenu = next(a.menu() for a in view.actions() if a.text() == "&Appearance")
    assert [a.text() for a in submenu.actions()] == ["&System", "&Light", "&Dark"]
    assert window.scheme_actions[ColorScheme.SYSTEM].isChecked()
    dark: QAction = window.scheme_actions[ColorScheme.DARK]
    dark.trigger()
    assert appearance.choice is ColorScheme.DARK
    assert theme.current_scheme() == "dark"
    assert window_settings.value(theme.SETTINGS_KEY) == "dark"


def test_color_scheme_flag_is_parsed() -> None:
    assert parse_args(["--color-scheme", "dark"]).color_scheme == "dark"
    assert parse_args([]).color_scheme is None
    assert theme.parse_choice("Light") is ColorScheme.LIGHT
    assert theme.parse_choice("purple") is ColorScheme.SYSTEM


def test_titles_and_figures_scale_with_the_application_font() -> None:
    sheet = theme.fill_stylesheet(stylesheet(), "light", 13.0)
    assert "font-size: 15.6pt" in sheet  # section titles
    assert "font-size: 26.0pt" in sheet  # the Overview's figures


@pytest.mark.gui
def test_a_larger_application_font_restyles_at_once(
    qapp: QApplication, app_appearance: tuple[Appearance, list[Qt.ColorScheme]]
) -> None:
    font = qapp.font()
    larger = qapp.font()
    larger.setPointSizeF(13.0)
    try:
        qapp.setFont(larger)
        assert "font-size: 15.6pt" in qapp.styleSheet()
    finally:
        qapp.setFont(font)


def test_the_flag_wins_for_the_session_and_leaves_the_remembered_choice(
    window_settings: QSettings,
) -> None:
    assert session_scheme(None, window_settings) is ColorScheme.SYSTEM
    window_settings.setValue(theme.SETTINGS_KEY, "dark")
    assert session_scheme(None, window_settings) is ColorScheme.DARK
    assert session_scheme("light", window_settings) is ColorScheme.LIGHT
    assert window_settings.value(theme.SETTINGS_KEY) == "dark"
