"""Find shipped resources (frozen-aware) and cache icons, colours and the style sheet."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon

import resources as _resources_package

# Colours the models paint with; the style sheet owns everything else.
COLOURS: dict[str, str] = {
    "retired": "#8a8f98",
    "negative": "#b3261e",
    "positive": "#1b7f3b",
    "warning": "#9a6700",
    "muted": "#6b7280",
    "entitled": "#3b6fb6",
    "assigned": "#e39b2d",
    "active": "#2f9e6a",
    "grid": "#d9dde3",
    "text": "#1f2933",
}


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
    """The SVG icon `resources/icons/<name>.svg` (an empty icon when it does not exist)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


@functools.cache
def colour(name: str) -> QColor:
    return QColor(COLOURS[name])


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
    """Every `resources/styles/*.qss`, in name order."""
    folder = resource_path("styles")
    return "\n".join(p.read_text("utf-8") for p in sorted(folder.glob("*.qss")))
