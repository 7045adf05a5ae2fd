"""A painted grouped bar chart: entitled vs assigned vs active per product (no QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.resources import colour, small_font

SERIES = (("Entitled", "entitled"), ("Assigned", "assigned"), ("Active", "active"))
BAR_HEIGHT = 11
BAR_GAP = 3
GROUP_GAP = 12
LEGEND_HEIGHT = 26
LABEL_WIDTH = 230
VALUE_WIDTH = 64


@dataclass(frozen=True)
class BarGroup:
    label: str
    values: tuple[int, int, int | None]  # entitled, assigned, active (None: usage unknown)


class BarChart(QWidget):
    """Horizontal bars, one group of three per product, largest entitlement first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups: tuple[BarGroup, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(LABEL_WIDTH + VALUE_WIDTH + 120)

    def set_groups(self, groups: Sequence[BarGroup]) -> None:
        self.groups = tuple(groups)
        self.updateGeometry()
        self.update()

    def _group_height(self) -> int:
        return len(SERIES) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP

    def sizeHint(self) -> QSize:
        return QSize(640, LEGEND_HEIGHT + max(1, len(self.groups)) * self._group_height() + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(LABEL_WIDTH + VALUE_WIDTH + 120, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        self._paint_legend(painter)
        if not self.groups:
            painter.setPen(colour("muted"))
            painter.drawText(
                QRectF(0, LEGEND_HEIGHT, self.width(), 40),
                Qt.AlignmentFlag.AlignCenter,
                "No licenses in reconciliation yet: import a tenant to see the chart.",
            )
            return
        peak = max(max(v or 0 for v in g.values) for g in self.groups) or 1
        span = max(20.0, self.width() - LABEL_WIDTH - VALUE_WIDTH - 16)
        top = float(LEGEND_HEIGHT)
        for group in self.groups:
            self._paint_group(painter, group, top, span / peak)
            top += self._group_height()
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        x = float(LABEL_WIDTH)
        metrics = painter.fontMetrics()
        for label, name in SERIES:
            painter.fillRect(QRectF(x, 8, 12, 12), colour(name))
            painter.setPen(colour("text"))
            painter.drawText(QRectF(x + 16, 4, 120, 20), Qt.AlignmentFlag.AlignVCenter, label)
            x += 28 + metrics.horizontalAdvance(label)

    def _paint_group(self, painter: QPainter, group: BarGroup, top: float, scale: float) -> None:
        metrics = painter.fontMetrics()
        bars_height = len(SERIES) * (BAR_HEIGHT + BAR_GAP)
        painter.setPen(colour("text"))
        label = metrics.elidedText(group.label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 12)
        painter.drawText(
            QRectF(4, top, LABEL_WIDTH - 8, bars_height),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            label,
        )
        y = top
        painter.setFont(small_font())
        for (_, name), value in zip(SERIES, group.values, strict=True):
            # Unknown usage draws no bar at all: a zero-length bar would read as "none active".
            width = max(1.0, value * scale) if value else 0.0
            if value is not None:
                painter.fillRect(QRectF(LABEL_WIDTH, y, width, BAR_HEIGHT), colour(name))
            painter.setPen(colour("muted"))
            small = QRectF(LABEL_WIDTH + width + 4, y - 3, VALUE_WIDTH * 2, BAR_HEIGHT + 6)
            text = "usage unknown" if value is None else f"{value:,}"
            painter.drawText(small, Qt.AlignmentFlag.AlignVCenter, text)
            y += BAR_HEIGHT + BAR_GAP
        painter.setFont(self.font())
