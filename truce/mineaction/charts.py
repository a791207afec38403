"""A server-side SVG chart of cumulative land cleared and items destroyed over time.

Two step lines on one time axis, each scaled to its own maximum (the left axis in
ha, the right in items), drawn as plain SVG so the page needs no chart library and
prints as it shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from truce.mineaction.rollups import SeriesPoint

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 16, 32


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    cleared_path: str
    items_path: str
    ticks: list[tuple[float, str]]  # x, label (dates)
    left_ticks: list[tuple[float, str]]  # y, label (ha)
    right_ticks: list[tuple[float, str]]  # y, label (items)
    empty: bool
    last_ha: float
    last_items: int


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least the value."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * scale:
            return step * scale
    return 10.0 * scale


def cumulative_chart(points: list[SeriesPoint]) -> Chart:
    """The two lines' SVG paths and axis ticks for the series (empty if no points)."""
    if not points:
        return Chart(WIDTH, HEIGHT, "", "", [], [], [], True, 0.0, 0)
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    max_ha = _nice(max(p.cleared_ha for p in points))
    max_items = _nice(max(p.items_destroyed for p in points))

    def x(day_index: int) -> float:
        return LEFT + inner_w * day_index / span

    def path(values: list[float], top: float) -> str:
        parts = [f"M{LEFT:.1f},{TOP + inner_h:.1f}"]
        previous_y: float = TOP + inner_h
        for point, value in zip(points, values, strict=True):
            px = x((point.day - first).days)
            py = TOP + inner_h - inner_h * value / top
            parts.append(f"L{px:.1f},{previous_y:.1f}L{px:.1f},{py:.1f}")
            previous_y = py
        parts.append(f"L{LEFT + inner_w:.1f},{previous_y:.1f}")
        return "".join(parts)

    ticks = []
    for offset in sorted({round(span * index / 4) for index in range(5)}):
        day = first.fromordinal(first.toordinal() + offset)
        ticks.append((x(offset), day.strftime("%d.%m.%y")))
    left_ticks = [(TOP + inner_h - inner_h * f, f"{max_ha * f:g}") for f in (0.0, 0.5, 1.0)]
    right_ticks = [
        (TOP + inner_h - inner_h * f, f"{int(max_items * f):,}") for f in (0.0, 0.5, 1.0)
    ]
    return Chart(
        WIDTH,
        HEIGHT,
        path([p.cleared_ha for p in points], max_ha),
        path([float(p.items_destroyed) for p in points], max_items),
        ticks,
        left_ticks,
        right_ticks,
        False,
        points[-1].cleared_ha,
        points[-1].items_destroyed,
    )
