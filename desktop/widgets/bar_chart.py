"""A painted grouped bar chart: entitled vs assigned vs active per product (no QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.resources import colour, small_font

SERIES = (("Entitled", "entitled"), ("Assigned", "assigned"), ("Active", "active"))
MIN_BAR_HEIGHT = 11  # grows with the font, so each bar's figure has its own line
BAR_GAP = 3
GROUP_GAP = 10
MIN_LEGEND_HEIGHT = 26
LEFT = 8
MIN_WIDTH = 260


@dataclass(frozen=True)
class BarGroup:
    label: str
    values: tuple[int, int, int | None]  # entitled, assigned, active (None: usage unknown)


class BarChart(QWidget):
    """Horizontal bars, one group of three per product, largest entitlement first. Each
    product's name sits on its own line above its bars, so no name is cut short however
    narrow the pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups: tuple[BarGroup, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(MIN_WIDTH)
        self.setAccessibleName("Chart: entitled, assigned and active licenses per product")
        self.setAccessibleDescription(
            "A bar chart; Show as table shows the same figures as a table."
        )

    def set_groups(self, groups: Sequence[BarGroup]) -> None:
        self.groups = tuple(groups)
        self.updateGeometry()
        self.update()

    def _value_width(self) -> int:
        """Room after the longest bar for its figure ("usage unknown"), in the small font."""
        return QFontMetrics(small_font()).horizontalAdvance("usage unknown") + 8

    def _bar_height(self) -> int:
        return max(MIN_BAR_HEIGHT, QFontMetrics(small_font()).height() - 3)

    def _legend_height(self) -> int:
        return max(MIN_LEGEND_HEIGHT, self.fontMetrics().height() + 10)

    def _label_height(self) -> int:
        return self.fontMetrics().height() + 2

    def _group_height(self) -> int:
        return self._label_height() + len(SERIES) * (self._bar_height() + BAR_GAP) + GROUP_GAP

    def sizeHint(self) -> QSize:
        return QSize(
            420, self._legend_height() + max(1, len(self.groups)) * self._group_height() + 8
        )

    def minimumSizeHint(self) -> QSize:
        return QSize(MIN_WIDTH, self.sizeHint().height())

    def bar_top(self, group: int, series: int) -> float:
        """The y of the top of one bar (the bars start at x = LEFT)."""
        top = self._legend_height() + group * self._group_height() + self._label_height()
        return float(top + series * (self._bar_height() + BAR_GAP))

    def legend_rects(self) -> list[QRectF]:
        """Where each legend entry (swatch and label) is drawn, left to right."""
        metrics = self.fontMetrics()
        rects, x = [], float(LEFT)
        for label, _ in SERIES:
            width = 16 + metrics.horizontalAdvance(label)
            rects.append(QRectF(x, 4, width, self._legend_height() - 6))
            x += width + 14
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), colour("base"))
        self._paint_legend(painter)
        if not self.groups:
            painter.setPen(colour("muted"))
            painter.drawText(
                QRectF(0, self._legend_height(), self.width(), 40),
                Qt.AlignmentFlag.AlignCenter,
                "No licenses in reconciliation yet: import a tenant to see the chart.",
            )
            return
        peak = max(max(v or 0 for v in g.values) for g in self.groups) or 1
        span = max(20.0, self.width() - LEFT - self._value_width())
        top = float(self._legend_height())
        for group in self.groups:
            self._paint_group(painter, group, top, span / peak)
            top += self._group_height()
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        for (label, name), rect in zip(SERIES, self.legend_rects(), strict=True):
            swatch_top = rect.y() + (rect.height() - 12) / 2
            painter.fillRect(QRectF(rect.x(), swatch_top, 12, 12), colour(name))
            painter.setPen(colour("text"))
            text = QRectF(rect.x() + 16, rect.y(), rect.width() - 16, rect.height())
            painter.drawText(text, Qt.AlignmentFlag.AlignVCenter, label)

    def _paint_group(self, painter: QPainter, group: BarGroup, top: float, scale: float) -> None:
        metrics = painter.fontMetrics()
        painter.setPen(colour("text"))
        label = metrics.elidedText(group.label, Qt.TextElideMode.ElideRight, self.width() - LEFT)
        painter.drawText(
            QRectF(LEFT, top, self.width() - LEFT, self._label_height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            label,
        )
        y = top + self._label_height()  # = bar_top(group, 0)
        painter.setFont(small_font())
        for (_, name), value in zip(SERIES, group.values, strict=True):
            # Unknown usage draws no bar at all: a zero-length bar would read as "none active".
            width = max(1.0, value * scale) if value else 0.0
            if value is not None:
                painter.fillRect(QRectF(LEFT, y, width, self._bar_height()), colour(name))
            painter.setPen(colour("muted"))
            small = QRectF(LEFT + width + 4, y - 3, self._value_width(), self._bar_height() + 6)
            text = "usage unknown" if value is None else f"{value:,}"
            painter.drawText(small, Qt.AlignmentFlag.AlignVCenter, text)
            y += self._bar_height() + BAR_GAP
        painter.setFont(self.font())
