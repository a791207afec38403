"""Geometry of the server-side SVG chart of the airlift's cumulative totals by day."""

from __future__ import annotations

from dataclasses import dataclass

from truce.deployment.selectors import AirliftDay

WIDTH, HEIGHT, PAD = 640, 220, 40


@dataclass(frozen=True)
class Series:
    name: str
    points: str  # "x,y x,y ..." for a polyline
    last: int


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    ticks: list[tuple[int, str]]  # x, day label
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def cumulative_chart(days: list[AirliftDay]) -> LineChart:
    """Each series scaled to its own final value, so flights, people and equipment share one box."""
    if not days:
        return LineChart([], [])
    step = (WIDTH - 2 * PAD) / max(len(days) - 1, 1)
    series = []
    for name in ("cum_flights", "cum_personnel", "cum_equipment_units"):
        values = [getattr(d, name) for d in days]
        peak = max(values) or 1
        pts = " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - v / peak * (HEIGHT - 2 * PAD):.1f}"
            for i, v in enumerate(values)
        )
        series.append(Series(name, pts, values[-1]))
    ticks = [(int(PAD + i * step), d.day.strftime("%d.%m")) for i, d in enumerate(days)]
    return LineChart(series, ticks)
