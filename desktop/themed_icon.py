"""SVG icons drawn in the colours of the scheme in effect: one QIcon per name whose engine
reads the scheme each time it paints, so icons already set on buttons and tabs follow a
switch between light and dark without being set again (issue 15)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop import theme

DISABLED_OPACITY = 0.4


def recolour(svg: str, scheme: str) -> str:
    """The SVG with each light-scheme colour it uses swapped for the scheme's colour of the
    same name (the icons are drawn in the light table's colours)."""
    if scheme == "light":
        return svg
    target = theme.THEMES[scheme]
    for name, value in theme.LIGHT.items():
        if value in svg and name in target:
            svg = svg.replace(value, target[name])
    return svg


class ThemedSvgIconEngine(QIconEngine):
    def __init__(self, svg: str) -> None:
        super().__init__()
        self._svg = svg
        self._renderers: dict[str, QSvgRenderer] = {}

    def _renderer(self) -> QSvgRenderer:
        scheme = theme.current_scheme()
        renderer = self._renderers.get(scheme)
        if renderer is None:
            data = QByteArray(recolour(self._svg, scheme).encode("utf-8"))
            renderer = self._renderers[scheme] = QSvgRenderer(data)
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(painter.opacity() * DISABLED_OPACITY)
        self._renderer().render(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pixmap = QPixmap(size * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, pixmap.width(), pixmap.height()), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return ThemedSvgIconEngine(self._svg)

    def key(self) -> str:
        return "licensedesk-themed-svg"


def themed_icon(svg: str) -> QIcon:
    return QIcon(ThemedSvgIconEngine(svg))
