"""The cumulative chart: axes on round numbers, lines that only ever rise."""

from __future__ import annotations

import datetime as dt
import re

from truce.mineaction.charts import _nice, cumulative_chart
from truce.mineaction.rollups import SeriesPoint


def test_axis_tops_are_round_and_cover_the_value() -> None:
    assert [_nice(v) for v in (0, 0.3, 1, 1.7, 7, 37, 479.4, 22_364)] == [
        1.0,
        0.5,
        1.0,
        2.0,
        10.0,
        50.0,
        500.0,
        25_000.0,
    ]


def test_the_lines_step_up_to_the_last_point() -> None:
    day = dt.date(2020, 11, 15)
    points = [
        SeriesPoint(day, 10.0, 100),
        SeriesPoint(day + dt.timedelta(days=10), 200.0, 5000),
        SeriesPoint(day + dt.timedelta(days=40), 479.4, 22_364),
    ]
    chart = cumulative_chart(points)
    assert not chart.empty and chart.last_items == 22_364
    ys = [float(y) for y in re.findall(r",(-?[\d.]+)", chart.cleared_path)]
    assert ys == sorted(ys, reverse=True)  # SVG y grows downwards: the line never falls
    assert [label for _y, label in chart.left_ticks] == ["0", "250", "500"]
    assert cumulative_chart([]).empty
