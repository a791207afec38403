"""Page helpers of the population screens: the server-drawn SVG charts and CSV exports.

Charts are geometry computed here and drawn by the template, so they work
without JavaScript and print as they look.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from truce.population.selectors import FlowDay

CHART_HEIGHT = 220
CHART_TOP = 16
CHART_BOTTOM = 36
CHART_LEFT = 48
DAY_WIDTH = 64
BAR_WIDTH = 22


def _scale(top: int) -> int:
    """A round top for the axis: 1, 2 or 5 times a power of ten, at least the data's top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= top:
                return step * factor
        step *= 10


def flow_chart(days: Sequence[FlowDay]) -> dict[str, Any] | None:
    """Per day, an inbound bar (escorted and other stacked) beside an outbound bar."""
    if not days:
        return None
    top = _scale(max([1, *(max(d.inbound, d.outbound) for d in days)]))
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    base = CHART_TOP + plot

    def height(value: int) -> int:
        return round(plot * value / top)

    bars = []
    for index, day in enumerate(days):
        x = CHART_LEFT + index * DAY_WIDTH + 6
        escorted_h = height(day.inbound_escorted)
        other_h = height(day.inbound_other)
        outbound_h = height(day.outbound)
        bars.append(
            {
                "day": day,
                "label_x": x + BAR_WIDTH,
                "in_x": x,
                "escorted_y": base - escorted_h,
                "escorted_h": escorted_h,
                "other_y": base - escorted_h - other_h,
                "other_h": other_h,
                "in_text_y": base - escorted_h - other_h - 3,
                "out_x": x + BAR_WIDTH + 2,
                "out_y": base - outbound_h,
                "out_h": outbound_h,
                "out_text_y": base - outbound_h - 3,
                "in_text_x": x + BAR_WIDTH // 2,
                "out_text_x": x + BAR_WIDTH + 2 + BAR_WIDTH // 2,
            }
        )
    ticks = [{"value": top * i // 4, "y": base - round(plot * i / 4)} for i in range(5)]
    return {
        "width": CHART_LEFT + len(days) * DAY_WIDTH + 8,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": base,
        "bar": BAR_WIDTH,
        "label_y": base + 16,
        "bars": bars,
        "ticks": ticks,
    }
