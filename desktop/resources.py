"""Find shipped resources (frozen-aware) and cache icons, colours and the style sheet."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon

import resources as _resources_package
from desktop import theme
from desktop.themed_icon import themed_icon


def resource_dir() -> Path:
    """The `resources/` folder, inside a PyInstaller bundle or next to the package."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "resources"
    return Path(_resources_package.__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def notices_text() -> str:
    """THIRD-PARTY-NOTICES: beside `resources/` in a bundle and at the source tree's root."""
    path = resource_dir().parent / "THIRD-PARTY-NOTICES"
    try:
        return path.read_text("utf-8")
    except OSError:
        return "THIRD-PARTY-NOTICES is missing from this installation."


@functools.cache
def icon(name: str) -> QIcon:
    """The SVG icon `resources/icons/<name>.svg` in the scheme's colours (an empty icon when
    it does not exist)."""
    path = resource_path("icons", f"{name}.svg")
    if not path.exists():
        return QIcon()
    if name == "licensedesk":  # the app's own icon keeps its colours
        return QIcon(str(path))
    return themed_icon(path.read_text("utf-8"))


def colour(name: str) -> QColor:
    """A named colour of the scheme in effect (desktop/theme.py holds the tables)."""
    return theme.colour(name)


@functools.cache
def struck_out_font() -> QFont:
    font = QFont()
    font.setStrikeOut(True)
    return font


@functools.cache
def bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


@functools.cache
def small_font() -> QFont:
    font = QFont()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    return font


def stylesheet() -> str:
    """Every `resources/styles/*.qss`, in name order: a template whose `${name}` colours
    desktop/theme.py fills for the scheme in effect."""
    folder = resource_path("styles")
    return "\n".join(p.read_text("utf-8") for p in sorted(folder.glob("*.qss")))
