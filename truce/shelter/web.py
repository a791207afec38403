"""What the shelter screens show, built from selectors: chart geometry, timelines, rows.

Charts are SVG drawn on the server (no script), so they print, work offline and read
the same in every browser; each bar carries its number as text too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from truce.core.models import User
from truce.ledger.selectors import record_history
from truce.shelter.allocation import reason_text
from truce.shelter.gap import DayPoint, GapRow
from truce.shelter.models import Placement, Shelter, ShelterStatus

CHART_WIDTH = 720
CHART_HEIGHT = 260
CHART_LEFT = 64
CHART_BOTTOM = 36
AREA_LABEL = 220
AREA_ROW = 34
AREA_BAR = 12


def _ticks(top: int) -> list[int]:
    step = max(1, 10 ** (len(str(max(top, 1))) - 1))
    while top / step > 5:
        step *= 2
    return list(range(0, top + 1, step))


def date_chart(points: Sequence[DayPoint]) -> dict[str, Any]:
    """Expected arrivals (dark) against free places (light), one pair of bars a day."""
    top = max([1, *(p.expected for p in points), *(p.free for p in points)])
    plot_h = CHART_HEIGHT - CHART_BOTTOM - 12
    slot = (CHART_WIDTH - CHART_LEFT - 8) / max(1, len(points))
    bar = max(2.0, slot * 0.38)

    def y_of(value: int) -> float:
        return round(12 + plot_h * (1 - value / top), 1)

    days = []
    for index, point in enumerate(points):
        x = CHART_LEFT + index * slot + slot * 0.1
        days.append(
            {
                "day": point.day,
                "label": point.day.strftime("%d.%m"),
                "show_label": index % max(1, len(points) // 10) == 0,
                "expected": point.expected,
                "free": point.free,
                "gap": point.gap,
                "x_expected": round(x, 1),
                "x_free": round(x + bar, 1),
                "y_expected": y_of(point.expected),
                "y_free": y_of(point.free),
                "h_expected": round(12 + plot_h - y_of(point.expected), 1),
                "h_free": round(12 + plot_h - y_of(point.free), 1),
                "x_label": round(x + bar, 1),
            }
        )
    ticks = [{"value": t, "y": y_of(t)} for t in _ticks(top)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 8,
        "baseline": 12 + plot_h,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 16,
        "bar": round(bar, 1),
        "days": days,
        "ticks": ticks,
    }


def area_chart(rows: Sequence[GapRow]) -> dict[str, Any]:
    """Per area: expected arrivals against free places, as horizontal bars."""
    top = max([1, *(r.expected for r in rows), *(r.free for r in rows)])
    span = CHART_WIDTH - AREA_LABEL - 80
    bars = []
    for index, row in enumerate(rows):
        y = 8 + index * AREA_ROW
        expected_w = round(span * row.expected / top)
        free_w = round(span * row.free / top)
        bars.append(
            {
                "label": row.label,
                "y": y,
                "text_y": y + AREA_BAR + 2,
                "expected": row.expected,
                "free": row.free,
                "expected_w": expected_w,
                "free_y": y + AREA_BAR + 1,
                "free_w": free_w,
                "expected_text_x": AREA_LABEL + expected_w + 4,
                "free_text_x": AREA_LABEL + free_w + 4,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": 16 + len(rows) * AREA_ROW,
        "label_width": AREA_LABEL,
        "bar": AREA_BAR,
        "bars": bars,
    }


def status_timeline(shelter: Shelter, user: User) -> list[dict[str, Any]]:
    """Each version of the shelter, newest first: status, capacity and what changed."""
    labels = dict(ShelterStatus.choices)
    rows = []
    for item in record_history(shelter, user):
        data = item.data
        rows.append(
            {
                "version": item.entry.record_version,
                "recorded_at": item.entry.recorded_at,
                "actor": item.entry.actor,
                "status": labels.get(str(data.get("status")), data.get("status")),
                "status_since": data.get("status_since"),
                "capacity": data.get("capacity"),
                "changed": sorted(item.changed) if item.changed else [],
            }
        )
    return list(reversed(rows))


def placement_reason(placement: Placement, candidates: int) -> str:
    """The reason in the reader's language, from the placement's stored facts."""
    return reason_text(
        code=placement.reason_code,
        people=placement.people,
        vulnerable=placement.vulnerable,
        rank=placement.rank,
        distance_km=placement.distance_km,
        candidates=candidates,
        stage=placement.stage,
    )


def placement_rows(
    placements: Sequence[Placement], households: dict[int, Any], user: User
) -> list[dict[str, Any]]:
    rows = []
    for placement in placements:
        household = households.get(placement.household_id)
        candidates = int(placement.run.parameters.get("candidates", 0))
        rows.append(
            {
                "placement": placement,
                "household": household,
                "head_name": getattr(household, "head_name", ""),
                "redacted": "head_name" in getattr(household, "redacted_fields", []),
                "origin": household.origin_settlement.display_name if household else "",
                "reason": placement_reason(placement, candidates),
            }
        )
    return rows
